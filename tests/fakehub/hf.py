"""The Hugging Face Hub listener: model API, search, tree, paths-info, whoami and /resolve.

Dataset repos answer the same routes under /api/datasets/{id}/... and /datasets/{id}/resolve/...
(hub-formats.md A0: dataset repos get the `datasets/` prefix); internally they are keyed
"datasets/{id}" so a dataset never shadows a model of the same name."""

from __future__ import annotations

import base64
import json
import mimetypes
import posixpath
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, unquote, urlencode

from .faults import Decision
from .hf_repo import Commit, FileEntry, HfRepo, iso
from .server import Request, Response, json_response
from .transfer import failure_response, serve_content

if TYPE_CHECKING:
    from .hub import FakeHub

EXPAND_PROPERTIES = {
    "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled", "downloads",
    "downloadsAllTime", "evalResults", "gated", "gguf", "inference", "inferenceProviderMapping", "lastModified",
    "library_name", "likes", "mask_token", "model-index", "pipeline_tag", "private", "resourceGroup",
    "safetensors", "sha", "siblings", "spaces", "tags", "transformersInfo", "trendingScore", "usedStorage",
    "widgetData",
}
SEARCH_DEFAULT = ["id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag",
                  "library_name", "createdAt"]
SEARCH_FULL = [*SEARCH_DEFAULT, "author", "sha", "lastModified", "gated", "disabled", "siblings"]
SORT_KEYS = {
    "downloads": lambda r: r.downloads,
    "likes": lambda r: r.likes,
    "likes30d": lambda r: r.likes,
    "trendingScore": lambda r: r.likes // 10 + r.downloads // 1000,
    "lastModified": lambda r: r.head.date,
    "createdAt": lambda r: r.created_at,
    "id": lambda r: r.id.lower(),
    "downloadsAllTime": lambda r: r.downloads * 5,
}
INVALID_CREDENTIALS = "Invalid credentials in Authorization header"


def hf_error(status: int, message: str, code: str | None = None,
             headers: list[tuple[str, str]] | None = None) -> Response:
    extra = [("X-Error-Message", message), *(headers or [])]
    if code:
        extra.insert(0, ("X-Error-Code", code))
    return json_response(status, {"error": message}, extra)


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["o"])
    except (ValueError, KeyError, TypeError):
        return -1


def _next_link(req: Request, offset: int) -> tuple[str, str]:
    params = [(k, v) for k, values in parse_qs(req.query, keep_blank_values=True).items()
              for v in values if k != "cursor"]
    params.append(("cursor", _cursor(offset)))
    return ("Link", f'<{req.origin}{req.raw_path}?{urlencode(params)}>; rel="next"')


class HfRoutes:
    def __init__(self, hub: FakeHub):
        self.hub = hub

    # ---- dispatch -------------------------------------------------------------------------
    def __call__(self, req: Request) -> Response:
        segments = [unquote(s) for s in req.raw_path.split("/")[1:]]
        if req.method == "OPTIONS":
            return Response(204, [("Access-Control-Allow-Origin", "*")])
        token, error = self._token(req)
        if error:
            return error
        if segments[:2] == ["api", "whoami-v2"]:
            return self.whoami(token)
        if segments[:2] == ["api", "models"] and len(segments) == 2:
            return self.search(req, token)
        if segments[:2] == ["api", "models"] and len(segments) >= 4:
            return self._model_api(req, token, f"{segments[2]}/{segments[3]}", segments[4:])
        if segments[:2] == ["api", "datasets"] and len(segments) >= 4:
            return self._model_api(req, token, f"datasets/{segments[2]}/{segments[3]}", segments[4:])
        if (segments[0] == "datasets" and len(segments) >= 5 and segments[3] == "resolve"
                and req.method in ("GET", "HEAD")):
            return self._resolve_route(req, token, f"datasets/{segments[1]}/{segments[2]}", segments[4:])
        if len(segments) >= 4 and segments[2] == "resolve" and req.method in ("GET", "HEAD"):
            return self._resolve_route(req, token, f"{segments[0]}/{segments[1]}", segments[3:])
        if segments[:2] == ["api", "resolve-cache"] and len(segments) >= 7 and segments[2] in ("models", "datasets"):
            repo_id, sha, path = f"{segments[3]}/{segments[4]}", segments[5], "/".join(segments[6:])
            if segments[2] == "datasets":
                repo_id = f"datasets/{repo_id}"
            return self._resolve_route(req, token, repo_id, [sha, *path.split("/")], cached=True)
        return hf_error(404, "Sorry, we can't find the page you are looking for.")

    def _model_api(self, req: Request, token: str | None, repo_id: str, rest: list[str]) -> Response:
        repo = self._repo(repo_id, token)
        if isinstance(repo, Response):
            return repo
        if not rest and req.method == "GET":
            return self.model_info(req, repo, "main")
        if rest[:1] == ["revision"] and len(rest) >= 2:
            return self.model_info(req, repo, "/".join(rest[1:]))
        if rest[:1] == ["tree"] and len(rest) >= 2:
            revision, path = self._split_revision(rest[1:])
            return self.tree(req, repo, revision, "/".join(path))
        if rest[:1] == ["paths-info"] and len(rest) >= 2 and req.method == "POST":
            return self.paths_info(req, repo, "/".join(rest[1:]))
        if rest == ["refs"]:
            return self.refs(repo)
        if rest == ["auth-check"]:
            return self._gate(repo, token, "") or json_response(200, {})
        return hf_error(404, "Sorry, we can't find the page you are looking for.")

    @staticmethod
    def _split_revision(parts: list[str]) -> tuple[str, list[str]]:
        # hfh sends the revision URL-encoded as one segment; tolerate a raw "refs/pr/1" as well.
        if parts[0] == "refs" and len(parts) >= 3 and parts[1] in ("pr", "heads", "convert", "tags"):
            return "/".join(parts[:3]), parts[3:]
        return parts[0], parts[1:]

    # ---- auth -----------------------------------------------------------------------------
    def _token(self, req: Request) -> tuple[str | None, Response | None]:
        if "authorization" not in req.headers:
            return None, None
        token = req.bearer
        if token not in self.hub.hf_tokens:
            return None, hf_error(401, INVALID_CREDENTIALS)
        return token, None

    def _grants(self, token: str | None, key: str) -> set[str]:
        if token is None:
            return set()
        return {str(x).lower() for x in self.hub.hf_tokens.get(token, {}).get(key, set())}

    def _repo(self, repo_id: str, token: str | None) -> HfRepo | Response:
        repo = self.hub.hf_repo(repo_id)
        if repo is not None and (not repo.private or self._can_see_private(repo, token)):
            return repo
        message = "Repository not found"
        # The Hub answers 401 to anonymous callers so as not to reveal private repos.
        return hf_error(401 if token is None else 404, message, "RepoNotFound")

    def _can_see_private(self, repo: HfRepo, token: str | None) -> bool:
        if token is None:
            return False
        info = self.hub.hf_tokens.get(token, {})
        return repo.id.lower() in self._grants(token, "granted") or info.get("name") == repo.author

    def _gate(self, repo: HfRepo, token: str | None, path: str) -> Response | None:
        """GatedRepo error for file access, or None when allowed."""
        if not repo.gated or path in (".gitattributes", "README.md"):
            return None
        if repo.id.lower() in self._grants(token, "granted"):
            return None
        kind = repo.repo_type
        if token is None:
            return hf_error(401, f"Access to {kind} {repo.id} is restricted. You must have access to it and be "
                                 "authenticated to access it. Please log in.", "GatedRepo")
        if repo.id.lower() in self._grants(token, "pending"):
            return hf_error(403, f"Your request to access {kind} {repo.id} is awaiting a review from the repo "
                                 "authors.", "GatedRepo")
        return hf_error(403, f"Access to {kind} {repo.id} is restricted and you are not in the authorized list. "
                             f"Visit {self.hub.hf_url}/{repo.key} to ask for access.", "GatedRepo")

    def _commit(self, repo: HfRepo, revision: str) -> Commit | Response:
        commit = repo.resolve_revision(revision)
        if commit is None:
            return hf_error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return commit

    # ---- whoami ---------------------------------------------------------------------------
    def whoami(self, token: str | None) -> Response:
        if token is None:
            return hf_error(401, INVALID_CREDENTIALS)
        info = self.hub.hf_tokens[token]
        name = info.get("name", "modella-tester")
        return json_response(200, {
            "type": "user", "id": f"6600{abs(hash(name)) % 10**20:020d}", "name": name,
            "fullname": name.replace("-", " ").title(), "email": f"{name}@example.invalid",
            "emailVerified": True, "canPay": False, "isPro": False, "periodEnd": None,
            "avatarUrl": f"{self.hub.cdn_url}/avatars/{name}.png", "orgs": [],
            "auth": {"type": "access_token",
                     "accessToken": {"displayName": "modella", "role": info.get("role", "read"),
                                     "createdAt": "2025-01-01T00:00:00.000Z"}},
        })

    # ---- model info -----------------------------------------------------------------------
    def model_info(self, req: Request, repo: HfRepo, revision: str) -> Response:
        commit = self._commit(repo, revision)
        if isinstance(commit, Response):
            return commit
        expand = req.params_list("expand")
        unknown = [e for e in expand if e not in EXPAND_PROPERTIES]
        if unknown:
            return hf_error(400, f'"expand" must be one of {sorted(EXPAND_PROPERTIES)}, got {unknown[0]!r}')
        if expand:
            return json_response(200, self.model_json(repo, commit, ["id", *expand], blobs=req.flag("blobs")))
        if repo.repo_type == "dataset":
            # hfh DatasetInfo: no library_name, pipeline_tag, gguf, safetensors, config or widgetData.
            fields = ["id", "author", "sha", "lastModified", "private", "gated", "disabled", "downloads", "likes",
                      "tags", "cardData", "siblings", "createdAt", "usedStorage", "description", "citation",
                      "paperswithcode_id"]
            return json_response(200, self.model_json(repo, commit, fields, blobs=req.flag("blobs")))
        fields = ["id", "author", "sha", "lastModified", "private", "gated", "disabled", "downloads", "likes",
                  "library_name", "tags", "pipeline_tag", "cardData", "siblings", "spaces", "createdAt",
                  "usedStorage", "gguf", "safetensors", "config", "transformersInfo", "widgetData"]
        data = self.model_json(repo, commit, fields, blobs=req.flag("blobs"))
        if req.flag("securityStatus"):
            data["securityRepoStatus"] = {"scansDone": True, "filesWithIssues": []}
        return json_response(200, data)

    def model_json(self, repo: HfRepo, commit: Commit, fields: list[str], blobs: bool = False) -> dict:
        files = commit.files
        values = {
            "id": repo.id,
            "author": repo.author,
            "sha": commit.sha,
            "lastModified": iso(commit.date),
            "createdAt": iso(repo.created_at),
            "private": repo.private,
            "gated": repo.gated,
            "disabled": repo.disabled,
            "downloads": repo.downloads,
            "downloadsAllTime": repo.downloads * 5,
            "likes": repo.likes,
            "trendingScore": SORT_KEYS["trendingScore"](repo),
            "library_name": repo.library_name,
            "pipeline_tag": repo.pipeline_tag,
            "tags": repo.derived_tags(),
            "cardData": repo.card_data,
            "siblings": [self._sibling(entry, blobs) for entry in sorted(files.values(), key=lambda e: e.path)],
            "spaces": [],
            "usedStorage": sum(e.size for e in files.values()),
            "gguf": repo.extra.get("gguf") or _derived_gguf(files),
            "safetensors": repo.extra.get("safetensors") or _derived_safetensors(files),
            "config": _derived_config(files),
            "description": (repo.card_data or {}).get("pretty_name", "") if repo.repo_type == "dataset" else None,
            "citation": "" if repo.repo_type == "dataset" else None,
            "paperswithcode_id": None,
        }
        values.update({k: v for k, v in repo.extra.items() if k not in ("gguf", "safetensors")})
        data: dict = {"_id": repo.object_id}
        for name in fields:
            if name in values and values[name] is not None:
                data[name] = values[name]
        if "id" in data and repo.repo_type == "model":
            data["modelId"] = repo.id
        return data

    @staticmethod
    def _sibling(entry: FileEntry, blobs: bool) -> dict:
        sibling: dict = {"rfilename": entry.path}
        if blobs:
            sibling["size"] = entry.size
            sibling["blobId"] = entry.blob_id
            if entry.lfs:
                sibling["lfs"] = entry.lfs_info("sha256")
        return sibling

    # ---- search ---------------------------------------------------------------------------
    def search(self, req: Request, token: str | None) -> Response:
        repos = [r for r in self.hub.hf_repo_list()
                 if r.repo_type == "model" and (not r.private or self._can_see_private(r, token))]
        for term in req.params_list("search"):
            repos = [r for r in repos if term.lower() in r.id.lower()]
        author = req.param("author")
        if author:
            repos = [r for r in repos if r.author.lower() == author.lower()]
        for wanted in req.params_list("filter"):
            repos = [r for r in repos if _matches_filter(r, wanted)]
        pipeline_tag = req.param("pipeline_tag")
        if pipeline_tag:
            repos = [r for r in repos if r.pipeline_tag == pipeline_tag]
        gated = req.param("gated")
        if gated is not None:
            repos = [r for r in repos if bool(r.gated) == (gated.lower() == "true")]

        sort = req.param("sort") or "trendingScore"
        if sort not in SORT_KEYS:
            return hf_error(400, f'Invalid sort parameter "{sort}"')
        ascending = req.param("direction") == "1"
        repos.sort(key=lambda r: r.serial)
        repos.sort(key=SORT_KEYS[sort], reverse=not ascending)

        try:
            limit = int(req.param("limit") or self.hub.search_page_size)
        except ValueError:
            return hf_error(400, '"limit" must be a number')
        page_size = max(1, min(limit, 1000))
        offset = _offset(req.param("cursor"))
        if offset < 0:
            return hf_error(400, "Invalid cursor")
        page = repos[offset : offset + page_size]

        expand = req.params_list("expand")
        unknown = [e for e in expand if e not in EXPAND_PROPERTIES]
        if unknown:
            return hf_error(400, f'"expand" must be one of {sorted(EXPAND_PROPERTIES)}, got {unknown[0]!r}')
        if expand:
            fields = ["id", *expand]
        else:
            fields = list(SEARCH_FULL if req.flag("full") else SEARCH_DEFAULT)
            if req.flag("cardData"):
                fields.append("cardData")
            if req.flag("config"):
                fields.append("config")
        items = [self.model_json(r, r.head, fields) for r in page]
        headers = [_next_link(req, offset + page_size)] if offset + page_size < len(repos) else []
        return json_response(200, items, headers)

    # ---- tree / paths-info / refs ---------------------------------------------------------
    def tree(self, req: Request, repo: HfRepo, revision: str, path: str) -> Response:
        commit = self._commit(repo, revision)
        if isinstance(commit, Response):
            return commit
        path = path.strip("/")
        directories = commit.directories()
        if path and path not in directories:
            return hf_error(404, f"Entry not found: {path}", "EntryNotFound", [("X-Repo-Commit", commit.sha)])
        recursive = req.flag("recursive")
        prefix = f"{path}/" if path else ""

        def wanted(p: str) -> bool:
            if not p.startswith(prefix):
                return False
            return recursive or "/" not in p[len(prefix):]

        dirs = sorted(d for d in directories if wanted(d))
        files = sorted(p for p in commit.files if wanted(p))
        expand = req.flag("expand")
        entries = [self._dir_json(repo, commit, d, expand) for d in dirs]
        entries += [self._file_json(repo, commit, commit.files[p], expand) for p in files]

        offset = _offset(req.param("cursor"))
        if offset < 0:
            return hf_error(400, "Invalid cursor")
        page_size = self.hub.tree_page_size
        page = entries[offset : offset + page_size]
        headers = [_next_link(req, offset + page_size)] if offset + page_size < len(entries) else []
        return json_response(200, page, headers)

    def paths_info(self, req: Request, repo: HfRepo, revision: str) -> Response:
        commit = self._commit(repo, revision)
        if isinstance(commit, Response):
            return commit
        # hfh posts a form (paths=a&paths=b&expand=False); other clients post JSON.
        if req.headers.get("content-type", "").startswith("application/json"):
            payload = json.loads(req.body or b"{}")
            paths, expand = payload.get("paths") or [], bool(payload.get("expand"))
        else:
            form = parse_qs(req.body.decode(), keep_blank_values=True)
            paths = form.get("paths", []) + form.get("paths[]", [])
            expand = (form.get("expand") or ["false"])[0].lower() == "true"
        if isinstance(paths, str):
            paths = [paths]
        directories = commit.directories()
        result = []
        for raw in paths:
            p = raw.strip("/")
            if p in commit.files:
                result.append(self._file_json(repo, commit, commit.files[p], expand))
            elif p in directories:
                result.append(self._dir_json(repo, commit, p, expand))
        return json_response(200, result)

    def refs(self, repo: HfRepo) -> Response:
        branches = [{"name": n, "ref": f"refs/heads/{n}", "targetCommit": sha}
                    for n, sha in repo.branches.items() if not n.startswith("refs/")]
        return json_response(200, {"branches": branches, "converts": [], "tags": []})

    def _last_commit(self, repo: HfRepo, commit: Commit, path: str) -> dict:
        """The newest commit up to `commit` that changed `path` (a file or a directory)."""
        def state(c: Commit) -> list:
            return sorted((p, id(e.content)) for p, e in c.files.items() if p == path or p.startswith(path + "/"))

        history = repo.commits[: repo.commits.index(commit) + 1]
        current = state(commit)
        chosen = history[0]
        for older, newer in zip(history, history[1:], strict=False):
            if state(older) != state(newer) and state(newer) == current:
                chosen = newer
        return {"id": chosen.sha, "title": chosen.title, "date": iso(chosen.date)}

    def _file_json(self, repo: HfRepo, commit: Commit, entry: FileEntry, expand: bool) -> dict:
        data: dict = {"type": "file", "oid": entry.blob_id, "size": entry.size, "path": entry.path}
        if entry.lfs:
            data["lfs"] = entry.lfs_info("oid")
        if expand:
            data["lastCommit"] = self._last_commit(repo, commit, entry.path)
            pickle = entry.path.endswith((".bin", ".ckpt", ".pt", ".pth", ".pkl", ".pickle"))
            data["securityFileStatus"] = {
                "status": "safe",
                "avScan": {"virusFound": False, "virusNames": None},
                "pickleImportScan": {"highestSafetyLevel": "innocuous", "imports": []} if pickle else None,
            }
        return data

    def _dir_json(self, repo: HfRepo, commit: Commit, path: str, expand: bool) -> dict:
        data: dict = {"type": "directory", "oid": commit.tree_oid(path), "size": 0, "path": path}
        if expand:
            data["lastCommit"] = self._last_commit(repo, commit, path)
        return data

    # ---- resolve --------------------------------------------------------------------------
    def _resolve_route(self, req: Request, token: str | None, repo_id: str, rest: list[str],
                       cached: bool = False) -> Response:
        revision, path_parts = self._split_revision(rest)
        path = "/".join(path_parts)
        repo = self._repo(repo_id, token)
        if isinstance(repo, Response):
            return repo
        gate = self._gate(repo, token, path)
        if gate:
            return gate
        commit = self._commit(repo, revision)
        if isinstance(commit, Response):
            return commit
        entry = commit.files.get(path)
        if entry is None:
            return hf_error(404, "Entry not found", "EntryNotFound", [("X-Repo-Commit", commit.sha)])
        return self.resolve(req, repo, commit, entry, cached)

    def resolve(self, req: Request, repo: HfRepo, commit: Commit, entry: FileEntry,
                cached: bool = False) -> Response:
        key = f"{repo.key}/{entry.path}"
        decision = self.hub.faults.on_resolve(key)
        if decision.fail:
            response = failure_response(decision.fault)
            response.headers.append(("X-Repo-Commit", commit.sha))
            return response
        fault = decision.fault
        common = [("X-Repo-Commit", commit.sha), ("Access-Control-Allow-Origin", "*"),
                  ("Vary", "Origin, Accept")]
        if entry.lfs or (fault is not None and fault.redirect_to):
            filename = posixpath.basename(entry.path)
            if fault is not None and fault.redirect_to:
                location = fault.redirect_to
            else:
                location = self.hub.signer.hf_lfs_url(
                    self.hub.cdn_url, self.hub.cdn_lfs_path(repo, entry), filename,
                    fault.signed_url_ttl if fault else None)
            if entry.lfs:
                etag_headers = [("X-Linked-Etag", f'"{entry.sha256}"'), ("X-Linked-Size", str(entry.size)),
                                ("ETag", f'W/"{entry.blob_id[:8]}-{entry.sha256[:12]}"')]
            else:
                etag_headers = [("ETag", f'"{entry.blob_id}"'), ("X-Linked-Size", str(entry.size))]
            body = f"Found. Redirecting to {location}".encode()
            return Response(302, [*common, *etag_headers, ("Location", location),
                                  ("Content-Type", "text/plain; charset=utf-8"), ("Accept-Ranges", "bytes")], body)
        # Small regular files are served by the Hub itself, with the git blob id as ETag.
        etag = f'"{entry.blob_id}"'
        if self.hub.hf_resolve_cache and not cached:
            # The real Hub first answers with a *relative* 307 to its resolve cache (clients follow it).
            location = (f"/api/resolve-cache/{repo.repo_type}s/{repo.id}/{commit.sha}/{quote(entry.path)}"
                        f"?%2F{quote(repo.key, safe='')}%2Fresolve%2F{commit.sha}%2F{quote(entry.path, safe='')}"
                        f"=&etag={quote(etag, safe='')}")
            return Response(307, [*common, ("ETag", etag), ("Location", location),
                                  ("Content-Type", "text/plain; charset=utf-8")],
                            f"Temporary Redirect. Redirecting to {location}".encode())
        content_type = mimetypes.guess_type(entry.path)[0] or "text/plain"
        if content_type.startswith("text/") or content_type == "application/json":
            content_type += "; charset=utf-8"
        name = posixpath.basename(entry.path)
        headers = [*common, ("ETag", etag), ("Content-Type", content_type),
                   ("Content-Disposition", f"inline; filename*=UTF-8''{quote(name)}; filename=\"{name}\";"),
                   ("Cache-Control", "public, max-age=0, must-revalidate")]
        decision = self.hub.faults.on_body(key) if req.method == "GET" else Decision()
        return serve_content(req, entry.content, decision, headers, etag=etag)


def _matches_filter(repo: HfRepo, wanted: str) -> bool:
    wanted = wanted.lower()
    candidates = {t.lower() for t in repo.derived_tags()}
    candidates |= {str(repo.library_name or "").lower(), str(repo.pipeline_tag or "").lower(), repo.id.lower()}
    return wanted in candidates


def _derived_gguf(files: dict[str, FileEntry]) -> dict | None:
    for path in sorted(files):
        meta = files[path].content.meta.get("gguf")
        if path.endswith(".gguf") and meta and "mmproj" not in path:
            return dict(meta)
    return None


def _derived_safetensors(files: dict[str, FileEntry]) -> dict | None:
    params: dict[str, int] = {}
    for path, entry in files.items():
        meta = entry.content.meta.get("safetensors")
        if path.endswith(".safetensors") and meta:
            for dtype, count in meta.items():
                params[dtype] = params.get(dtype, 0) + count
    return {"parameters": params, "total": sum(params.values())} if params else None


def _derived_config(files: dict[str, FileEntry]) -> dict | None:
    """The subset of config.json the Hub echoes in model-info `config`."""
    entry = files.get("config.json")
    if entry is None or entry.size > 1_000_000:
        return None
    try:
        config = json.loads(entry.content.read())
    except ValueError:
        return None
    return {k: config[k] for k in ("architectures", "model_type") if k in config} or None
