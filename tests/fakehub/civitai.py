"""The Civitai listener: /api/v1 models, model-versions, by-hash, and /api/download redirects."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlencode

from .civitai_store import FILE_FORMATS, FILE_TYPES, MODEL_TYPES
from .server import Request, Response, json_response, text_response
from .transfer import failure_response

if TYPE_CHECKING:
    from .hub import FakeHub

SORTS = ["Highest Rated", "Most Downloaded", "Most Liked", "Most Discussed", "Most Collected", "Most Images",
         "Newest", "Oldest"]
PERIODS = ["AllTime", "Year", "Month", "Week", "Day"]
PUBLIC_CACHE = [("Cache-Control", "public, s-maxage=300, stale-while-revalidate=150"),
                ("Access-Control-Allow-Origin", "*")]
_BROWSER = re.compile(r"mozilla|chrome|safari|firefox|opera|edge", re.IGNORECASE)
_MAX_ID = 2147483647


def _enum_error(values: list[str], received: str) -> str:
    expected = " | ".join(f"'{v}'" for v in values)
    return f"Invalid enum value. Expected {expected}, received '{received}'"


def _stat(model: dict, name: str) -> float:
    return model.get("stats", {}).get(name, 0)


def _published(model: dict) -> str:
    dates = [v.get("publishedAt") or "" for v in model.get("modelVersions", [])]
    return max(dates, default="")


SORT_KEYS = {
    "Highest Rated": lambda m: _stat(m, "thumbsUpCount") - _stat(m, "thumbsDownCount"),
    "Most Downloaded": lambda m: _stat(m, "downloadCount"),
    "Most Liked": lambda m: _stat(m, "thumbsUpCount"),
    "Most Discussed": lambda m: _stat(m, "commentCount"),
    "Most Collected": lambda m: _stat(m, "collectedCount"),
    "Most Images": lambda m: sum(len(v.get("images", [])) for v in m.get("modelVersions", [])),
    "Newest": _published,
    "Oldest": _published,
}


class CivitaiRoutes:
    def __init__(self, hub: FakeHub):
        self.hub = hub

    @property
    def store(self):
        return self.hub.civitai

    def __call__(self, req: Request) -> Response:
        if req.method == "OPTIONS":
            return Response(200, [("Access-Control-Allow-Origin", "*"),
                                  ("Access-Control-Allow-Headers", "Authorization, Content-Type")])
        path = req.path.rstrip("/")
        with self.store.lock:
            if path == "/api/v1/models":
                return self.list_models(req)
            if m := re.fullmatch(r"/api/v1/models/([^/]+)", path):
                return self.get_model(m[1])
            if m := re.fullmatch(r"/api/v1/model-versions/by-hash/([^/]+)", path):
                return self.by_hash(m[1])
            if m := re.fullmatch(r"/api/v1/model-versions/([^/]+)", path):
                return self.get_version(m[1])
            if m := re.fullmatch(r"/api/download/models/([^/]+)", path):
                return self.download(req, m[1])
            if path == "/api/v1/me":
                return self.me(req)
        return json_response(404, {"error": "Not found"})

    # ---- helpers --------------------------------------------------------------------------
    def _token(self, req: Request) -> str | None:
        """The API key if it is valid; invalid keys are simply anonymous on public endpoints."""
        token = req.param("token") or req.bearer
        return token if token in self.hub.civitai_tokens else None

    @staticmethod
    def _parse_id(raw: str) -> int | None:
        return int(raw) if raw.isdigit() and 1 <= int(raw) <= _MAX_ID else None

    def me(self, req: Request) -> Response:
        token = self._token(req)
        if token is None:
            return json_response(401, {"error": "Unauthorized"})
        return json_response(200, {"id": 4242, "username": "modella-tester", "tier": None, "status": "active",
                                   "isMember": False, "subscriptions": []})

    # ---- /api/v1/models -------------------------------------------------------------------
    def list_models(self, req: Request) -> Response:
        if self.hub._take_overload():
            return json_response(503, {"error": "Model search is temporarily overloaded — please retry."},
                                 [("Retry-After", "2"), ("Cache-Control", "no-store")])
        try:
            limit = int(req.param("limit") or 100)
            page = int(req.param("page")) if req.param("page") else None
        except ValueError:
            return json_response(400, {"error": "Expected number, received nan"})
        if limit < 0 or limit > 100:
            return json_response(400, {"error": "Number must be less than or equal to 100"})
        limit = limit or 100
        query = req.param("query")
        cursor = req.param("cursor")
        if page is not None and page < 1:
            return json_response(400, {"error": "Number must be greater than or equal to 1"})
        if query and page is not None:
            return json_response(400, {"error": "Cannot use page param with query search. Use cursor-based "
                                                "pagination."})
        if page is not None and page * limit > 1000:
            return json_response(429, {"error": "You've requested too many pages, please use cursors instead"})
        if (req.flag("favorites") or req.flag("hidden")) and self._token(req) is None:
            return json_response(401, {"error": "Unauthorized"})
        types = req.params_list("types")
        for value in types:
            if value not in MODEL_TYPES:
                return json_response(400, {"error": _enum_error(MODEL_TYPES, value)})
        sort = req.param("sort") or "Highest Rated"
        if sort not in SORTS:
            return json_response(400, {"error": _enum_error(SORTS, sort)})
        period = req.param("period") or "AllTime"
        if period not in PERIODS:
            return json_response(400, {"error": _enum_error(PERIODS, period)})

        models = self._filter(req, types, query)
        models.sort(key=lambda m: m["id"], reverse=True)
        models.sort(key=SORT_KEYS[sort], reverse=sort != "Oldest")

        metadata: dict = {}
        if cursor:
            start = self._cursor_start(models, cursor, bool(query), sort)
            if start is None:
                return json_response(400, {"error": "Invalid cursor"})
        elif page is not None:
            start = (page - 1) * limit
            metadata.update(currentPage=page, pageSize=limit)
        else:
            start = 0
        chunk = models[start : start + limit]
        if start + limit < len(models):
            following = models[start + limit]
            next_cursor = str(start + limit) if query else f"{SORT_KEYS[sort](following)}|{following['id']}"
            params = [(k, v) for k, vs in parse_qs(req.query, keep_blank_values=True).items()
                      for v in vs if k != "cursor"]
            params.append(("cursor", next_cursor))
            metadata["nextCursor"] = next_cursor
            metadata["nextPage"] = f"{req.origin}/api/v1/models?{urlencode(params, quote_via=quote)}"
        primary_only = req.flag("primaryFileOnly")
        items = [self.store.render_model(m, self.hub.civitai_url, self.hub.cdn_url, primary_only) for m in chunk]
        return json_response(200, {"items": items, "metadata": metadata}, PUBLIC_CACHE)

    def _filter(self, req: Request, types: list[str], query: str | None) -> list[dict]:
        models = [m for m in self.store.models.values()
                  if m.get("status", "Published") == "Published" and m.get("mode") != "Archived"]
        if query:
            q = query.lower()
            models = [m for m in models if q in m["name"].lower()
                      or any(q in t.lower() for t in m.get("tags", []))
                      or q in (m.get("creator") or {}).get("username", "").lower()]
        if tag := req.param("tag"):
            models = [m for m in models if tag.lower() in (t.lower() for t in m.get("tags", []))]
        if username := req.param("username"):
            models = [m for m in models if (m.get("creator") or {}).get("username", "").lower() == username.lower()]
        if types:
            models = [m for m in models if m.get("type") in types]
        if ids := req.param("ids"):
            wanted = {int(x) for x in ids.split(",") if x.strip().isdigit()}
            models = [m for m in models if m["id"] in wanted]
        base_models = req.params_list("baseModels")
        if base_models:
            models = [m for m in models if any(v.get("baseModel") in base_models for v in m.get("modelVersions", []))]
        if not req.flag("nsfw"):
            # Without nsfw=true only models with SFW browsing levels (PG, PG-13) are listed.
            models = [m for m in models if not m.get("nsfw") and (m.get("nsfwLevel", 1) & 0b11 or not m.get("nsfwLevel"))]
        for licence in ("allowNoCredit", "allowDerivatives", "allowDifferentLicense"):
            if req.param(licence) is not None:
                models = [m for m in models if bool(m.get(licence)) == req.flag(licence)]
        return models

    @staticmethod
    def _cursor_start(models: list[dict], cursor: str, query: bool, sort: str) -> int | None:
        if query:
            return int(cursor) if cursor.isdigit() else None
        *_, last = cursor.split("|")
        if not last.isdigit():
            return None
        for index, model in enumerate(models):
            if model["id"] == int(last):
                return index
        # The cursor's model is gone: continue after the position its sort value would take.
        value = cursor.rsplit("|", 1)[0]
        for index, model in enumerate(models):
            mine = str(SORT_KEYS[sort](model))
            if (mine < value) if sort != "Oldest" else (mine > value):
                return index
        return len(models)

    # ---- single objects -------------------------------------------------------------------
    def get_model(self, raw_id: str) -> Response:
        model_id = self._parse_id(raw_id)
        if model_id is None:
            return json_response(400, {"error": f"Invalid id: {raw_id}"})
        model = self.store.models.get(model_id)
        if model is None:
            return json_response(404, {"error": f"No model with id {model_id}"})
        body = self.store.render_model(model, self.hub.civitai_url, self.hub.cdn_url)
        return json_response(200, body, PUBLIC_CACHE)

    def get_version(self, raw_id: str) -> Response:
        version_id = self._parse_id(raw_id)
        if version_id is None:
            return json_response(400, {"error": f"Invalid id: {raw_id}"})
        found = self.store.version(version_id)
        if found is None or found[1].get("status", "Published") != "Published":
            return json_response(404, {"error": "Model not found"})
        model, version = found
        if not any(f.get("primary") for f in version.get("files", [])) and model.get("mode") != "Archived":
            return json_response(404, {"error": "Missing model file"})
        body = self.store.render_version(model, version, self.hub.civitai_url, self.hub.cdn_url)
        return json_response(200, body, PUBLIC_CACHE)

    def by_hash(self, value: str) -> Response:
        found = self.store.find_by_hash(value)
        if found is None:
            return json_response(404, {"error": "Model not found"})
        body = self.store.render_version(*found, self.hub.civitai_url, self.hub.cdn_url)
        return json_response(200, body, [("Cache-Control", "public, s-maxage=3600, stale-while-revalidate=150"),
                                         ("Access-Control-Allow-Origin", "*")])

    # ---- downloads ------------------------------------------------------------------------
    def download(self, req: Request, raw_id: str) -> Response:
        browser = bool(_BROWSER.search(req.user_agent))

        def error(status: int, body: dict, extra: list[tuple[str, str]] | None = None) -> Response:
            if browser:
                return text_response(status, body.get("message") or body["error"], headers=extra)
            return json_response(status, body, extra)

        version_id = self._parse_id(raw_id)
        if version_id is None:
            return error(400, {"error": f"Invalid id: {raw_id}"})
        checks = [("type", FILE_TYPES), ("format", FILE_FORMATS), ("size", ["full", "pruned"])]
        for name, allowed in checks:
            value = req.param(name)
            if value is not None and value not in allowed:
                return error(400, {"error": _enum_error(allowed, value)})
        found = self.store.version(version_id)
        if found is None or found[1].get("status", "Published") != "Published":
            return error(404, {"error": "File not found"})
        model, version = found
        if model.get("mode") == "Archived":
            return error(410, {"error": "Model archived, not available for download"})

        token = self._token(req)
        flags = self.store.flags.get(model["id"])
        if token is None and (flags.require_auth or not self.hub.civitai_anonymous_downloads):
            if browser:
                login = f"/login?returnUrl={quote(f'/model-versions/{version_id}')}&reason=download-auth"
                return Response(307, [("Location", f"{req.origin}{login}"), ("Cache-Control", "no-store")])
            message = "The creator of this asset requires you to be logged in to download it"
            return json_response(401, {"error": "Unauthorized", "message": message})
        deadline = self.store.early_access_ends(model, version)
        if deadline and _in_future(deadline) and version_id not in self.hub.civitai_purchases.get(token or "", set()):
            if browser:
                return Response(307, [("Location", f"{req.origin}/model-versions/{version_id}"),
                                      ("Cache-Control", "no-store")])
            return json_response(403, {"error": "Early Access", "deadline": deadline,
                                       "message": "This asset is in Early Access. You can use Buzz access it now!"})

        file = self._pick_file(req, version)
        if file is None:
            return error(404, {"error": "File not found"})
        key = f"civitai:{file['id']}"
        decision = self.hub.faults.on_resolve(key)
        if decision.fail:
            return failure_response(decision.fault)
        fault = decision.fault
        if fault is not None and fault.redirect_to:
            location = fault.redirect_to
        else:
            location = self.hub.signer.civitai_url(self.hub.cdn_url, f"/storage/{file['id']}", file["name"],
                                                   fault.signed_url_ttl if fault else None)
        return Response(307, [("Location", location), ("Cache-Control", "no-store, max-age=0")],
                        f"Redirecting to {location}".encode())

    @staticmethod
    def _pick_file(req: Request, version: dict) -> dict | None:
        files = [f for f in version.get("files", []) if f.get("visibility", "Public") == "Public"]
        file_id = req.param("fileId")
        if file_id is not None:
            return next((f for f in files if str(f["id"]) == file_id), None)
        if req.param("type"):
            files = [f for f in files if f.get("type") == req.param("type")]
        wanted = {k: req.param(k) for k in ("format", "size", "fp", "quantType") if req.param(k)}

        def fits(f: dict) -> bool:
            meta = f.get("metadata") or {}
            return all(meta.get(k) in (None, v) for k, v in wanted.items())

        candidates = [f for f in files if fits(f)]
        if not candidates:
            return None
        # Prefer files whose metadata states the requested values, then the primary file.
        candidates.sort(key=lambda f: (-sum((f.get("metadata") or {}).get(k) == v for k, v in wanted.items()),
                                       not f.get("primary")))
        return candidates[0]


def _in_future(iso_date: str) -> bool:
    try:
        when = datetime.fromisoformat(iso_date.replace("Z", "+00:00"))
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when > datetime.now(UTC)
