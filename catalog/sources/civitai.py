"""The Civitai client: search, a model, a version, lookup by hash, and the download endpoint.

Everything Modella asks Civitai goes through this module (see /work/shared/hub-formats.md Part B).
It returns plain data, shaped for Modella (snake_case, sizes in bytes, descriptions already
sanitised), never Civitai's raw objects — except `version_by_hash`, whose callers (storage
identification) read the API's own version object.

Rules the module keeps:

* The API key travels only in the `Authorization: Bearer` header, never as `?token=` in a URL
  (URLs end up in logs, proxies and error messages). Log lines carry paths, not keys.
* Calls to one host are spaced by a small steady rate (CIVITAI_REQUESTS_PER_SECOND, default 2).
* 429 and 5xx answers are retried with backoff (Retry-After honoured, capped); when they persist
  the caller gets RateLimited or UpstreamUnavailable, and the hub's state (GET /api/v1/status)
  says Civitai is unreachable until a call succeeds again.
* Successful answers are cached for five minutes (Django cache), keyed per key owner: what an
  API key may see is not what an anonymous visitor sees.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import logging
import re
import threading
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, urljoin, urlsplit

import nh3
import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from modella.errors import (
    InvalidInput,
    ModellaError,
    RateLimited,
    RemoteNotFound,
    RemoteUnauthorized,
    UpstreamUnavailable,
)

log = logging.getLogger(__name__)

CACHE_SECONDS = 5 * 60
HUB = "civitai"
SORTS = ["Highest Rated", "Most Downloaded", "Newest"]
ALL_SORTS = SORTS + ["Most Liked", "Most Discussed", "Most Collected", "Most Images", "Oldest"]
PERIODS = ["AllTime", "Year", "Month", "Week", "Day"]
# The API's `types` enum (civ enums.ts::ModelType): sending anything else is a 400, so it is checked here.
MODEL_TYPES = [
    "Checkpoint", "TextualInversion", "Hypernetwork", "AestheticGradient", "LORA", "LoCon", "DoRA", "Controlnet",
    "Upscaler", "MotionModule", "VAE", "TextEncoder", "UNet", "CLIPVision", "Poses", "Wildcards", "Workflows",
    "ComfyWorkflows", "Detection", "VisionLanguage", "CLIP", "LLM", "Other",
]
# Civitai's browsing levels are bit flags; a version or image carries the OR of its levels.
NSFW_BITS = {"pg": 1, "pg13": 2, "r": 4, "x": 8, "xxx": 16}
UNKNOWN_LEVEL = NSFW_BITS["x"]  # an unrated image counts as adult
MAX_LIMIT = 100
MAX_RETRIES = 3
MAX_BACKOFF_SECONDS = 30.0
FILE_FORMATS = {"SafeTensor": "safetensors", "PickleTensor": "ckpt", "GGUF": "gguf", "Diffusers": "diffusers",
                "Core ML": "coreml", "ONNX": "onnx"}


# --- NSFW levels ---------------------------------------------------------------------------------
def level_allowed(level, threshold: str) -> bool:
    """Whether content rated `level` (bit flags) is at or below the user's threshold."""
    try:
        level = int(level or 0)
    except (TypeError, ValueError):
        level = 0
    if level <= 0:
        level = UNKNOWN_LEVEL
    limit = NSFW_BITS.get(threshold, NSFW_BITS["pg13"])
    allowed_mask = (limit << 1) - 1  # every level up to and including the threshold
    return level & ~allowed_mask == 0


# --- HTML ----------------------------------------------------------------------------------------
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "li", "mark", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "u", "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "*": {"lang"}}


def sanitize_html(html) -> str:
    """Civitai descriptions are user HTML: keep the formatting, drop scripts, handlers, styles,
    frames and `javascript:` links; links open without a referrer chain and pass no ranking."""
    if not html or not isinstance(html, str):
        return ""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow noreferrer",
        strip_comments=True,
    ).strip()


def plain_text(html: str, length: int = 160) -> str:
    """A short plain-text summary of (sanitised) HTML, for cards."""
    text = nh3.clean(html or "", tags=set())
    text = re.sub(r"\s+", " ", html_lib.unescape(text)).strip()
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# --- transport -----------------------------------------------------------------------------------
_local = threading.local()
_rate_lock = threading.Lock()
_next_slot: dict[str, float] = {}
_sleep = time.sleep  # tests replace it to observe backoff without waiting


def _session() -> requests.Session:
    # One Session per thread: connection reuse without sharing a pool across threads.
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        # trust_env off: ~/.netrc must never add credentials Modella did not mean to send.
        session.trust_env = False
        session.headers.update({"User-Agent": f"Modella/{settings.VERSION}", "Accept": "application/json"})
        _local.session = session
    return session


def token() -> str:
    from modella.models import hub_token

    return hub_token("civitai")


def _headers(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"} if key else {}


def _throttle(host: str) -> None:
    """Space calls to one host by 1/rate seconds (a steady trickle, never a burst)."""
    rate = float(getattr(settings, "CIVITAI_REQUESTS_PER_SECOND", 2) or 0)
    if rate <= 0:
        return
    interval = 1.0 / rate
    with _rate_lock:
        now = time.monotonic()
        slot = max(now, _next_slot.get(host, 0.0))
        _next_slot[host] = slot + interval
    if slot > now:
        _sleep(slot - now)


def _retry_after(response: requests.Response) -> float | None:
    value = (response.headers.get("Retry-After") or "").strip()
    if re.fullmatch(r"[0-9]+", value):  # not isdigit(): "²" passes it, float() fails
        return float(value)
    return None


def _backoff(attempt: int, response: requests.Response | None) -> float:
    wait = _retry_after(response) if response is not None else None
    if wait is None:
        wait = float(getattr(settings, "CIVITAI_RETRY_BASE_SECONDS", 1.0)) * (2 ** attempt)
    return min(wait, MAX_BACKOFF_SECONDS)


def _error_text(response: requests.Response) -> tuple[str, dict]:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200], {}
    if not isinstance(body, dict):
        return "", {}
    return str(body.get("error") or ""), body


def _path(url: str) -> str:
    return urlsplit(url).path  # what log lines may show: never a query string


def _request(method: str, url: str, *, params=None, key: str = "", allow_redirects: bool = True,
             retries: int | None = None) -> requests.Response:
    """One call with throttling and backoff. Returns any answer below 500 except 429; raises
    RateLimited / UpstreamUnavailable when those persist."""
    from modella import health

    retries = MAX_RETRIES if retries is None else retries
    host = (urlsplit(url).hostname or "").lower()
    health.guard(HUB)  # while the breaker is open, fail fast: no call goes out
    response = None
    for attempt in range(retries + 1):
        _throttle(host)
        try:
            response = _session().request(method, url, params=params, headers=_headers(key),
                                          timeout=settings.HUB_TIMEOUT, allow_redirects=allow_redirects)
        except requests.RequestException as exc:
            log.warning("civitai %s %s failed: %s", method, _path(url), type(exc).__name__)
            response = None
            _mark_down()
            # A refused or dropped connection is retried once: an unreachable host stays unreachable.
            if attempt >= min(retries, 1):
                raise UpstreamUnavailable(
                    _("Civitai cannot be reached right now. Try again in a few minutes."),
                    details={"hub": HUB, "reason": "connection"},
                ) from None
            _sleep(_backoff(attempt, None))
            continue
        if response.status_code != 429 and response.status_code < 500:
            _mark_up()
            return response
        log.warning("civitai %s %s answered %s (attempt %s)", method, _path(url), response.status_code, attempt + 1)
        if response.status_code != 429:
            _mark_down()  # a 429 is the hub limiting us, not the hub being down
        if attempt < retries:
            _sleep(_backoff(attempt, response))
    assert response is not None
    message, _body = _error_text(response)
    if response.status_code == 429:
        raise RateLimited(
            _("Civitai is limiting requests right now. Try again in a few minutes."),
            details={"hub": HUB, "retry_after": _retry_after(response), "reason": message[:200]},
        )
    if response.status_code == 503 and "overloaded" in message.lower():
        raise UpstreamUnavailable(
            _("Civitai's search is overloaded right now, so no results could be fetched. This does not mean "
              "that nothing matches: try again in a moment."),
            details={"hub": HUB, "status": 503, "reason": "search_overloaded"},
        )
    raise UpstreamUnavailable(
        _("Civitai answered with an error (HTTP %(status)s). Try again in a few minutes.")
        % {"status": response.status_code},
        details={"hub": HUB, "status": response.status_code},
    )


def _mark_down() -> None:
    """One failed attempt for the hub's circuit breaker (modella.health; never hides the error)."""
    from modella import health

    health.record_failure(HUB)


def _mark_up() -> None:
    from modella import health

    health.record_success(HUB)


def _cache_key(kind: str, value, key: str) -> str:
    owner = hashlib.sha256(key.encode()).hexdigest()[:12] if key else "anon"
    raw = json.dumps([settings.CIVITAI_ENDPOINT, kind, value, owner], sort_keys=True, default=str)
    return "civitai:" + hashlib.sha256(raw.encode()).hexdigest()


def _get_json(path: str, params=None, *, kind: str, not_found=None):
    """GET a JSON endpoint through the cache. 404 -> `not_found()` (raised or returned)."""
    key = token()
    cache_key = _cache_key(kind, [path, params], key)
    cached = cache.get(cache_key)
    if cached is not None:
        return cached
    url = f"{settings.CIVITAI_ENDPOINT}{path}"
    response = _request("GET", url, params=params, key=key)
    message, _body = _error_text(response) if response.status_code >= 400 else ("", {})
    if response.status_code == 404:
        if not_found is None:
            raise RemoteNotFound(details={"hub": HUB})
        return not_found()
    if response.status_code == 400:
        raise InvalidInput(_("Civitai refused the request: %(reason)s") % {"reason": message[:300]},
                           details={"hub": HUB})
    if response.status_code in (401, 403):
        raise RemoteUnauthorized(_("Civitai refused the request: save a valid API key in Settings."),
                                 details={"hub": HUB, "reason": "unauthorized"})
    if response.status_code >= 400:
        raise UpstreamUnavailable(details={"hub": HUB, "status": response.status_code})
    try:
        data = response.json()
    except ValueError:
        raise UpstreamUnavailable(details={"hub": HUB, "reason": "bad_response"}) from None
    cache.set(cache_key, data, CACHE_SECONDS)
    return data


# --- shaping ---------------------------------------------------------------------------------------
def _int(value) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _sha256(hashes: dict) -> str:
    for name, value in (hashes or {}).items():
        if str(name).upper() == "SHA256" and re.fullmatch(r"[0-9A-Fa-f]{64}", str(value)):
            return str(value).lower()
    return ""


def shape_file(file: dict) -> dict:
    from storage.disk import sanitize_filename

    metadata = file.get("metadata") or {}
    hashes = file.get("hashes") or {}
    name = str(file.get("name") or "")
    return {
        "id": _int(file.get("id")),
        "name": name,
        # The name a file gets on disk: Civitai's name may carry path separators or worse.
        "filename": sanitize_filename(name, default=f"civitai-{_int(file.get('id'))}.safetensors"),
        "type": file.get("type") or "",
        "size": round(float(file.get("sizeKB") or 0) * 1024),
        "format": metadata.get("format") or "",
        "precision": metadata.get("fp") or "",
        "size_type": metadata.get("size") or "",
        "primary": bool(file.get("primary")),
        "pickle_scan": file.get("pickleScanResult") or "",
        "pickle_scan_message": file.get("pickleScanMessage") or "",
        "virus_scan": file.get("virusScanResult") or "",
        "virus_scan_message": file.get("virusScanMessage") or "",
        "scanned_at": file.get("scannedAt"),
        "sha256": _sha256(hashes),
        "hashes": {str(k): str(v) for k, v in hashes.items()},
    }


def shape_image(image: dict) -> dict:
    url = str(image.get("url") or "")
    return {
        "id": image.get("id"),
        "url": url if url.startswith(("https://", "http://")) else "",
        "nsfw_level": _int(image.get("nsfwLevel")),
        "width": _int(image.get("width")) or None,
        "height": _int(image.get("height")) or None,
        "type": image.get("type") or "image",
    }


def shape_version(version: dict, model: dict | None = None) -> dict:
    files = [shape_file(f) for f in version.get("files") or [] if isinstance(f, dict)]
    return {
        "id": _int(version.get("id")),
        "model_id": _int(version.get("modelId") or (model or {}).get("id")),
        "name": version.get("name") or "",
        "description": sanitize_html(version.get("description")),
        "base_model": version.get("baseModel") or "",
        "base_model_type": version.get("baseModelType") or "",
        "published_at": version.get("publishedAt") or version.get("createdAt"),
        "created_at": version.get("createdAt"),
        "availability": version.get("availability") or "Public",
        "early_access_ends_at": version.get("earlyAccessEndsAt"),
        "nsfw_level": _int(version.get("nsfwLevel")),
        "trained_words": [str(w) for w in version.get("trainedWords") or [] if str(w).strip()],
        "stats": {"downloads": _int((version.get("stats") or {}).get("downloadCount")),
                  "likes": _int((version.get("stats") or {}).get("thumbsUpCount"))},
        "files": files,
        "images": [shape_image(i) for i in version.get("images") or [] if isinstance(i, dict)],
    }


def _published_key(version: dict) -> str:
    return str(version.get("published_at") or version.get("created_at") or "")


def shape_model(model: dict) -> dict:
    stats = model.get("stats") or {}
    up, down = _int(stats.get("thumbsUpCount")), _int(stats.get("thumbsDownCount"))
    versions = [shape_version(v, model) for v in model.get("modelVersions") or [] if isinstance(v, dict)]
    # Newest first (by publication date; the API's own order breaks ties): the default version.
    versions = sorted(versions, key=_published_key, reverse=True)
    description = sanitize_html(model.get("description"))
    creator = model.get("creator") or {}
    return {
        "id": _int(model.get("id")),
        "repo": f"civitai:{_int(model.get('id'))}",
        "name": model.get("name") or "",
        "description": description,
        "summary": plain_text(description),
        "type": model.get("type") or "",
        "nsfw": bool(model.get("nsfw")),
        "nsfw_level": _int(model.get("nsfwLevel")),
        "mode": model.get("mode") or "",
        "creator": {"username": creator.get("username") or "", "image": creator.get("image") or ""},
        "tags": [str(t) for t in model.get("tags") or []],
        "stats": {"downloads": _int(stats.get("downloadCount")), "likes": up, "dislikes": down,
                  "comments": _int(stats.get("commentCount")),
                  "rating": round(100 * up / (up + down)) if up + down else None},
        "licence": {k: model.get(k) for k in ("allowNoCredit", "allowCommercialUse", "allowDerivatives",
                                                "allowDifferentLicense") if k in model},
        "base_model": versions[0]["base_model"] if versions else "",
        "versions": versions,
        "url": f"{settings.CIVITAI_ENDPOINT}/models/{_int(model.get('id'))}",
    }


# --- public calls -----------------------------------------------------------------------------------
def search(query: str = "", tag: str = "", username: str = "", types=(), base_models=(), sort: str = "",
           period: str = "", nsfw: bool | None = None, cursor: str = "", limit: int = 24) -> dict:
    """One page of models: {"items": [shaped model...], "next_cursor": str | None}.

    Pagination is by cursor only (`page` stops at 1000 results and cannot be combined with a
    query). An overloaded search raises UpstreamUnavailable with reason "search_overloaded", which
    the pages show as such, never as "no models found"."""
    types = [t for t in types if t]
    wrong = [t for t in types if t not in MODEL_TYPES]
    if wrong:
        raise InvalidInput(_("Unknown model type %(types)s. Use one of: %(allowed)s.")
                           % {"types": ", ".join(wrong), "allowed": ", ".join(MODEL_TYPES)}, details={"types": wrong})
    if sort and sort not in ALL_SORTS:
        raise InvalidInput(_("Unknown sort %(sort)s. Use one of: %(allowed)s.")
                           % {"sort": sort, "allowed": ", ".join(ALL_SORTS)}, details={"sort": sort})
    if period and period not in PERIODS:
        raise InvalidInput(_("Unknown period %(period)s. Use one of: %(allowed)s.")
                           % {"period": period, "allowed": ", ".join(PERIODS)}, details={"period": period})
    try:
        limit = max(1, min(int(limit or 24), MAX_LIMIT))
    except (TypeError, ValueError):
        raise InvalidInput(_("limit must be a number from 1 to 100.")) from None
    params: list[tuple[str, str]] = [("limit", str(limit))]
    for name, value in (("query", query), ("tag", tag), ("username", username), ("sort", sort),
                        ("period", period), ("cursor", cursor)):
        if value:
            params.append((name, str(value).strip()[:200]))
    params += [("types", t) for t in types]
    params += [("baseModels", b[:100]) for b in base_models if b]
    if nsfw is not None:
        params.append(("nsfw", "true" if nsfw else "false"))
    data = _get_json("/api/v1/models", params, kind="search")
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise UpstreamUnavailable(details={"hub": HUB, "reason": "bad_response"})
    items = [shape_model(m) for m in data["items"] if isinstance(m, dict)]
    metadata = data.get("metadata") or {}
    next_cursor = metadata.get("nextCursor")
    if not next_cursor and metadata.get("nextPage"):
        next_cursor = (parse_qs(urlsplit(metadata["nextPage"]).query).get("cursor") or [None])[0]
    remember_base_models(v["base_model"] for m in items for v in m["versions"])
    return {"items": items, "next_cursor": str(next_cursor) if next_cursor else None}


def get_model(model_id: int) -> dict:
    """One model with every version, shaped. RemoteNotFound when Civitai has none (deleted)."""
    model_id = _valid_id(model_id)

    def missing():
        raise RemoteNotFound(
            _("Civitai has no model %(id)s: it may have been deleted or made private.") % {"id": model_id},
            details={"hub": HUB, "repo": f"civitai:{model_id}"},
        )

    model = shape_model(_get_json(f"/api/v1/models/{model_id}", kind="model", not_found=missing))
    remember_base_models(v["base_model"] for v in model["versions"])
    return model


def get_version(version_id: int) -> dict:
    """One model version, shaped (with `model_id`)."""
    version_id = _valid_id(version_id)

    def missing():
        raise RemoteNotFound(_("Civitai has no model version %(id)s.") % {"id": version_id},
                             details={"hub": HUB, "version_id": version_id})

    data = _get_json(f"/api/v1/model-versions/{version_id}", kind="version", not_found=missing)
    version = shape_version(data)
    version["model"] = {k: (data.get("model") or {}).get(k) for k in ("name", "type", "nsfw", "mode")}
    return version


def version_by_hash(value: str) -> dict | None:
    """The API's version object holding a file with this hash (any of Civitai's hash types), or None."""
    value = str(value or "").strip()
    if not re.fullmatch(r"[0-9A-Fa-f]{8,64}", value):
        raise InvalidInput(_("“%(hash)s” is not a file hash.") % {"hash": value[:80]})
    return _get_json(f"/api/v1/model-versions/by-hash/{value.upper()}", kind="by-hash", not_found=lambda: None)


def _valid_id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 2147483647:
        raise InvalidInput(_("“%(id)s” is not a Civitai id.") % {"id": str(value)[:40]})
    return number


# --- base models -------------------------------------------------------------------------------------
_BASE_MODELS_KEY = "civitai:base-models"


def remember_base_models(values) -> None:
    """Keep every base model the API has mentioned: the filter offers what Civitai actually uses."""
    seen = {str(v) for v in values if v}
    if not seen:
        return
    known = set(cache.get(_BASE_MODELS_KEY) or [])
    if not seen <= known:
        cache.set(_BASE_MODELS_KEY, sorted(known | seen), 24 * 60 * 60)


def base_models(fetch: bool = True) -> list[str]:
    """Base-model filter values, from Civitai's own data (never a hard-coded list that goes stale):
    what searches and models have shown, what the catalog holds, and, the first time, one page of
    the most downloaded models."""
    from catalog.models import ModelVariant

    known = set(cache.get(_BASE_MODELS_KEY) or [])
    if not known and fetch:
        try:
            search(sort="Most Downloaded", limit=MAX_LIMIT, nsfw=True)
        except ModellaError:
            pass
        known = set(cache.get(_BASE_MODELS_KEY) or [])
    known |= set(ModelVariant.objects.filter(repository__source="civitai").exclude(base_model="")
                 .values_list("base_model", flat=True).distinct())
    return sorted(known, key=str.lower)


# --- downloads ----------------------------------------------------------------------------------------
def download_url(version_id: int, file: dict | None = None) -> str:
    """The stable download endpoint of a file: the version's URL, `?fileId=` for non-primary files."""
    url = f"{settings.CIVITAI_ENDPOINT}/api/download/models/{_valid_id(version_id)}"
    if file and not file.get("primary") and file.get("id"):
        url += f"?fileId={int(file['id'])}"
    return url


def check_token(key: str | None = None) -> bool:
    """Whether Civitai accepts the API key (GET /api/v1/me). Public endpoints treat a bad key as
    anonymous, so this is the only way to tell "invalid key" from "no access"."""
    key = token() if key is None else key
    if not key:
        return False
    response = _request("GET", f"{settings.CIVITAI_ENDPOINT}/api/v1/me", key=key)
    return response.status_code == 200


def resolve_download(version_id: int, file: dict | None = None) -> dict:
    """Ask the download endpoint for a file without downloading it.

    Returns {"url": <signed storage URL>, "filename": <sanitised Content-Disposition name>}. Raises
    RemoteUnauthorized told apart by `details["reason"]`: "no_key", "invalid_key", "login_required",
    "early_access" (with `deadline`), "no_access", "downloads_disabled"; RemoteNotFound with
    "archived" or "not_found"; RateLimited / UpstreamUnavailable as any call."""
    from downloads.engine import parse_content_disposition
    from storage.disk import sanitize_filename

    key = token()
    url = download_url(version_id, file)
    response = _request("GET", url, key=key, allow_redirects=False)
    try:
        if response.is_redirect or response.status_code in (301, 302, 303, 307, 308):
            location = urljoin(url, response.headers.get("Location", ""))
            name = _disposition_from_url(location)
            if name is None:
                name = _disposition_from_storage(location)
            fallback = (file or {}).get("filename") or f"civitai-{version_id}"
            return {"url": location, "filename": sanitize_filename(parse_content_disposition(name) or "",
                                                                   default=fallback)}
        raise download_error(response.status_code, _error_text(response)[1], version_id, bool(key))
    finally:
        response.close()


def _disposition_from_url(location: str) -> str | None:
    values = parse_qs(urlsplit(location).query).get("response-content-disposition")
    return values[0] if values else None


def _disposition_from_storage(location: str) -> str | None:
    # The storage host gets no Authorization header: the URL is pre-signed. Redirects are followed
    # by hand so that every hop passes the outbound check (no other host, no internal address).
    from modella import outbound

    for _hop in range(5):
        if not outbound.url_allowed(location):
            log.warning("civitai storage redirect to a host not allowed: %s", urlsplit(location).hostname)
            return None
        try:
            response = _session().head(location, timeout=settings.HUB_TIMEOUT, allow_redirects=False)
        except requests.RequestException:
            return None
        response.close()
        if not response.is_redirect:
            return response.headers.get("Content-Disposition")
        location = urljoin(location, response.headers.get("Location", ""))
    return None


def download_error(status: int, body: dict, version_id: int, has_key: bool) -> ModellaError:
    """The download endpoint's refusal as the error a person can act on."""
    error = str(body.get("error") or "")
    message = str(body.get("message") or "")
    details = {"hub": HUB, "version_id": version_id}
    if status == 403 and error.lower() == "early access":
        deadline = parse_deadline(body.get("deadline"))
        when = deadline.strftime("%Y-%m-%d %H:%M UTC") if deadline else _("an unannounced date")
        details.update(reason="early_access", deadline=deadline.isoformat() if deadline else None)
        if has_key:
            text = _("This file is in Early Access until %(date)s and your Civitai account has not unlocked it. "
                     "Modella can queue it automatically when Early Access ends.") % {"date": when}
        else:
            text = _("This file is in Early Access until %(date)s. Save your Civitai API key in Settings if "
                     "you unlocked it, or let Modella queue it automatically when Early Access ends.") % {"date": when}
        return RemoteUnauthorized(text, details=details)
    if status == 401 and "disabled downloads" in message.lower():
        return RemoteUnauthorized(_("The creator of this model has disabled downloads of this file."),
                                  details={**details, "reason": "downloads_disabled"})
    if status == 401:
        if not has_key:
            return RemoteUnauthorized(
                _("Civitai requires you to be logged in to download this file: save your Civitai API key in "
                  "Settings."), details={**details, "reason": "no_key"})
        if not check_token():
            return RemoteUnauthorized(
                _("Civitai did not accept your API key (it may be mistyped or revoked): save a valid key in "
                  "Settings."), details={**details, "reason": "invalid_key"})
        return RemoteUnauthorized(_("Civitai requires a logged-in account for this file and refused yours."),
                                  details={**details, "reason": "login_required"})
    if status == 403:
        return RemoteUnauthorized(_("Your Civitai account does not have access to this file."),
                                  details={**details, "reason": "no_access"})
    if status == 410:
        return RemoteNotFound(_("This model is archived on Civitai: its files can no longer be downloaded."),
                              details={**details, "reason": "archived"})
    if status == 404:
        return RemoteNotFound(_("Civitai has no such file any more: the model or version may have been deleted."),
                              details={**details, "reason": "not_found"})
    if status == 400:
        return InvalidInput(_("Civitai refused the download request: %(reason)s") % {"reason": error[:200]},
                            details=details)
    return UpstreamUnavailable(details={**details, "status": status})


def parse_deadline(value) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(str(value).replace("Z", "+00:00"))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
