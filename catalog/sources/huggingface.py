"""The Hugging Face Hub, behind one seam: plain data in, plain data out, ModellaErrors on failure.

Everything goes through `huggingface_hub` (`HfApi(endpoint=settings.HF_ENDPOINT, token=...)`, its
session and its error classification), with Modella's timeout on every call. How the Hub
answers is described in shared/hub-formats.md part A; the points that shape this module:

* model info with `blobs=true` carries the whole file list with sizes and LFS SHA-256, so one
  request gives the repository, its card data and its files;
* gated repositories show their metadata to anyone; only file access is gated. Whether *our*
  token may download is asked separately (`auth-check`), and the Hub's answer tells the cases
  apart: 401 anonymous, 403 "awaiting a review" (pending), 403 otherwise (licence not accepted);
* a missing repo and a private one look the same (401 anonymous, 404 with a token);
* a bad token is refused on every call (401 "Invalid credentials"), even for public repos;
* datasets (`datasets/owner/name` here) use the same calls with repo_type="dataset": info at
  `/api/datasets/{repo}`, files at `/datasets/{repo}/resolve/...` (hfh adds the prefix).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import httpx2
from django.conf import settings
from django.core.cache import cache
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from huggingface_hub import HfApi
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from catalog.resolve import split_repo_type
from modella import health, outbound
from modella.errors import (
    InvalidInput,
    ModellaError,
    RateLimited,
    RemoteNotFound,
    RemoteUnauthorized,
    UpstreamUnavailable,
)
from modella.models import hub_token

logger = logging.getLogger(__name__)
outbound.silence_library_calls_home()  # no request to huggingface.co behind the configured endpoint

SEARCH_CACHE_SECONDS = 5 * 60
SEARCH_SORTS = ("downloads", "likes", "lastModified", "createdAt", "trendingScore")
SEARCH_EXPAND = ["downloads", "likes", "tags", "lastModified", "gated", "private"]
README_MAX_BYTES = 512 * 1024
INVALID_CREDENTIALS = "invalid credentials"


@dataclass
class RemoteFile:
    path: str
    size: int
    sha256: str = ""  # LFS files only
    blob_id: str = ""  # git blob id (changes with any content change)


@dataclass
class RemoteRepo:
    repo: str  # "owner/name", or "datasets/owner/name" for a dataset
    sha: str
    last_modified: datetime | None
    private: bool
    gated: str  # "", "auto", "manual"
    likes: int
    downloads: int
    tags: list[str]
    pipeline_tag: str
    library_name: str
    card_data: dict
    gguf: dict
    safetensors: dict
    files: list[RemoteFile] = field(default_factory=list)
    access: str = "granted"
    description: str = ""
    repo_type: str = "model"  # "model" | "dataset"


def _token() -> str:
    return hub_token("huggingface")


HUB = "huggingface"
_breaker_depth = threading.local()


def _breaker(function):
    """The hub's circuit breaker around one public call (modella.health): fail fast while it is
    open; a hub that answered (even 4xx) closes it; a timeout, refused connection or 5xx counts
    as one failure. Nested calls (fetch -> check_access) count once."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        depth = getattr(_breaker_depth, "value", 0)
        if depth:
            return function(*args, **kwargs)
        health.guard(HUB)
        _breaker_depth.value = 1
        try:
            result = function(*args, **kwargs)
        except UpstreamUnavailable as error:
            if error.details.get("reason") != "circuit_open":
                health.record_failure(HUB)
            raise
        except ModellaError:
            health.record_success(HUB)
            raise
        finally:
            _breaker_depth.value = 0
        health.record_success(HUB)
        return result

    return wrapper


def _api(token: str | None) -> HfApi:
    # token=False: never fall back to a token saved on the machine by huggingface-cli.
    return HfApi(endpoint=settings.HF_ENDPOINT, token=token or False, library_name="modella")


def _headers(token: str | None) -> dict:
    return build_hf_headers(token=token or False, library_name="modella")


def _is_invalid_token(exc: HfHubHTTPError) -> bool:
    response = exc.response
    message = (response.headers.get("X-Error-Message", "") if response is not None else "") or str(exc)
    return response is not None and response.status_code == 401 and INVALID_CREDENTIALS in message.lower()


def translate(exc: Exception, repo: str = "") -> ModellaError:
    """A huggingface_hub / transport failure as the ModellaError the API shows."""
    if isinstance(exc, ModellaError):
        return exc
    if isinstance(exc, httpx2.TimeoutException):
        return UpstreamUnavailable(_("Hugging Face did not answer in time. Try again in a few minutes."),
                                   details={"hub": "huggingface", "reason": "timeout"})
    if isinstance(exc, (httpx2.TransportError, OSError)) and not isinstance(exc, HfHubHTTPError):
        return UpstreamUnavailable(details={"hub": "huggingface", "reason": "connection"})
    if isinstance(exc, HFValidationError):
        return InvalidInput(_("“%(repo)s” is not a valid Hugging Face repository id.") % {"repo": repo})
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else 0
        if isinstance(exc, RevisionNotFoundError):
            return RemoteNotFound(_("%(repo)s has no such revision.") % {"repo": repo}, details={"repo": repo})
        if isinstance(exc, RemoteEntryNotFoundError):
            return RemoteNotFound(_("%(repo)s has no such file.") % {"repo": repo}, details={"repo": repo})
        if _is_invalid_token(exc):
            return RemoteUnauthorized(
                _("Hugging Face refused the saved token. Save a valid token in Settings."),
                details={"repo": repo, "access": "token_invalid"},
            )
        if isinstance(exc, RepositoryNotFoundError) and not isinstance(exc, GatedRepoError):
            return RemoteNotFound(
                _("Hugging Face has no repository %(repo)s (if it is private, save a token that can read it "
                  "in Settings).") % {"repo": repo},
                details={"repo": repo},
            )
        if status == 429:
            retry_after = exc.response.headers.get("Retry-After") if exc.response is not None else None
            return RateLimited(details={"hub": "huggingface", "retry_after": retry_after})
        if status in (401, 403):
            return RemoteUnauthorized(details={"repo": repo})
        return UpstreamUnavailable(
            _("Hugging Face answered with an error (HTTP %(status)s). Try again in a few minutes.")
            % {"status": status},
            details={"hub": "huggingface", "status": status},
        )
    # Anything else (a body that is not the JSON we expect, a client surprise): the hub is not
    # usable right now, which is what the user needs to know; the traceback goes to the log.
    logger.warning("Unexpected Hugging Face failure for %s", repo or "search", exc_info=exc)
    return UpstreamUnavailable(details={"hub": "huggingface", "reason": "bad_response"})


def _model_info(repo: str, revision: str | None, token: str | None):
    repo_type, repo_id = split_repo_type(repo)
    api = _api(token)
    if repo_type == "dataset":
        return api.dataset_info(repo_id, revision=revision, files_metadata=True, timeout=settings.HUB_TIMEOUT)
    return api.model_info(repo_id, revision=revision, files_metadata=True, timeout=settings.HUB_TIMEOUT)


@_breaker
def fetch(repo: str, revision: str | None = None) -> RemoteRepo:
    """Repository info, card data and files (sizes, SHA-256) of `repo` at `revision` (default main)."""
    token = _token()
    token_refused = False
    try:
        try:
            info = _model_info(repo, revision, token)
        except HfHubHTTPError as exc:
            if not (token and _is_invalid_token(exc)):
                raise
            # A refused token fails even public repos: look again anonymously, and say so below.
            token_refused = True
            info = _model_info(repo, revision, None)
    except RepositoryNotFoundError as exc:
        if token_refused:
            raise RemoteUnauthorized(
                _("Hugging Face refused the saved token, and %(repo)s is not public (or does not exist). "
                  "Save a valid token in Settings.") % {"repo": repo},
                details={"repo": repo, "access": "token_invalid"},
            ) from exc
        raise translate(exc, repo) from exc
    except Exception as exc:
        raise translate(exc, repo) from exc

    card = info.card_data.to_dict() if info.card_data is not None else {}
    files = []
    for sibling in info.siblings or []:
        lfs = sibling.lfs
        files.append(RemoteFile(
            path=sibling.rfilename,
            size=int(sibling.size or (lfs.size if lfs else 0) or 0),
            sha256=(lfs.sha256 if lfs else "") or "",
            blob_id=sibling.blob_id or "",
        ))
    gated = info.gated if info.gated in ("auto", "manual") else ""
    repo_type, _repo_id = split_repo_type(repo)
    remote = RemoteRepo(
        repo=("datasets/" if repo_type == "dataset" else "") + (info.id or _repo_id),
        sha=info.sha or "",
        last_modified=info.last_modified,
        private=bool(info.private),
        gated=gated,
        likes=int(info.likes or 0),
        downloads=int(info.downloads or 0),
        tags=list(info.tags or []),
        # Datasets have no pipeline, library, gguf or safetensors summary.
        pipeline_tag=getattr(info, "pipeline_tag", None) or "",
        library_name=getattr(info, "library_name", None) or "",
        card_data=card,
        gguf=dict(getattr(info, "gguf", None) or {}),
        safetensors=_as_dict(getattr(info, "safetensors", None)),
        files=files,
        repo_type=repo_type,
    )
    if token_refused:
        remote.access = "token_invalid" if gated or remote.private else "granted"
    elif gated:
        remote.access = check_access(remote.repo, token)
    remote.description = _description(remote, token if not token_refused else None)
    return remote


def _as_dict(value) -> dict:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    return {"parameters": dict(getattr(value, "parameters", {}) or {}), "total": getattr(value, "total", None)}


@_breaker
def check_access(repo: str, token: str | None = None) -> str:
    """granted | token_required | token_invalid | licence_not_accepted | pending, for a gated repo."""
    if token is None:
        token = _token()
    if not token:
        return "token_required"
    repo_type, repo_id = split_repo_type(repo)
    url = f"{settings.HF_ENDPOINT}/api/{repo_type}s/{repo_id}/auth-check"
    try:
        response = get_session().get(url, headers=_headers(token), timeout=settings.HUB_TIMEOUT)
        hf_raise_for_status(response)
    except GatedRepoError as exc:
        message = (exc.response.headers.get("X-Error-Message", "") if exc.response is not None else "") or str(exc)
        return "pending" if "awaiting a review" in message.lower() else "licence_not_accepted"
    except HfHubHTTPError as exc:
        if _is_invalid_token(exc):
            return "token_invalid"
        raise translate(exc, repo) from exc
    except Exception as exc:
        raise translate(exc, repo) from exc
    return "granted"


_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.DOTALL)


def _description(remote: RemoteRepo, token: str | None) -> str:
    """The model card's first paragraphs (front matter and markup stripped); "" if unavailable.

    A missing or unreadable README never fails the fetch: it is decoration."""
    readme = next((f for f in remote.files if f.path.lower() == "readme.md"), None)
    if readme is None or readme.size > README_MAX_BYTES:
        return ""
    url = f"{settings.HF_ENDPOINT}/{remote.repo}/resolve/{quote(remote.sha or 'main', safe='')}/{quote(readme.path)}"
    try:
        response = get_session().get(url, headers=_headers(token), timeout=settings.HUB_TIMEOUT)
        if response.status_code != 200:
            return ""
        text = response.content[:README_MAX_BYTES].decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - decoration only
        return ""
    text = _FRONT_MATTER.sub("", text)
    lines = [line.strip() for line in text.splitlines()]
    prose = [line for line in lines if line and not line.startswith(("#", "<", "|", "!", "```", "---"))]
    return " ".join(prose)[:2000]


def file_url(repo: str, path: str, revision: str = "main") -> str:
    # `repo` carries the `datasets/` prefix for a dataset: exactly the resolve URL's prefix.
    return f"{settings.HF_ENDPOINT}/{repo}/resolve/{quote(revision, safe='')}/{quote(path)}"


HEAD_MAX_BYTES = 16 * 1024 * 1024
HEAD_MAX_REDIRECTS = 5


@_breaker
def read_file_head(repo: str, path: str, revision: str, length: int, start: int = 0) -> bytes:
    """Bytes [start, start + length) of a file (fewer if it is shorter): one Range request.

    Redirects (the resolve endpoint -> the CDN) are followed by hand, only to allowed hosts
    (modella.outbound), and the token never leaves the endpoint's origin. A server ignoring the
    Range answers 200 with the whole file: only what was asked for is read from it."""
    length = max(0, min(int(length), HEAD_MAX_BYTES))
    if length == 0:
        return b""
    token = _token()
    url = file_url(repo, path, revision or "main")
    origin = urlsplit(url)[:2]
    headers = {**_headers(token), "Range": f"bytes={start}-{start + length - 1}", "Accept-Encoding": "identity"}
    try:
        for _hop in range(HEAD_MAX_REDIRECTS + 1):
            if not outbound.url_allowed(url):
                raise UpstreamUnavailable(details={"hub": "huggingface", "reason": "redirect_not_allowed"})
            send = headers if urlsplit(url)[:2] == origin else {k: v for k, v in headers.items()
                                                                  if k.lower() != "authorization"}
            with get_session().stream("GET", url, headers=send, follow_redirects=False,
                                      timeout=settings.HUB_TIMEOUT) as response:
                if response.is_redirect and response.headers.get("Location"):
                    url = urljoin(url, response.headers["Location"])
                    continue
                if response.status_code >= 400:
                    response.read()  # a small error body, for the hub's error classification
                    hf_raise_for_status(response)
                # 206 starts at `start`; a 200 is the whole file, whose first `start` bytes are dropped.
                skip = start if response.status_code == 200 else 0
                served = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
                if response.status_code == 206 and (served is None or int(served.group(1)) != start):
                    raise UpstreamUnavailable(details={"hub": "huggingface", "reason": "bad_range"})
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) >= skip + length:
                        break
                return bytes(data[skip:skip + length])
        raise UpstreamUnavailable(details={"hub": "huggingface", "reason": "too_many_redirects"})
    except Exception as exc:
        raise translate(exc, repo) from exc


# --- Search ------------------------------------------------------------------------------------
@_breaker
def search(q: str = "", author: str = "", sort: str = "", limit: int = 20, cursor: str = "") -> dict:
    """One page of Hub search results: {"results": [...], "next": cursor or None}.

    Cached for five minutes per query (and per endpoint): the Hub limits the API, and browsing
    back and forth repeats the same searches."""
    sort = sort if sort in SEARCH_SORTS else "downloads"
    limit = max(1, min(int(limit or 20), 100))
    params: list[tuple[str, str]] = [("sort", sort), ("direction", "-1"), ("limit", str(limit))]
    if q:
        params.append(("search", q))
    if author:
        params.append(("author", author))
    params += [("expand", name) for name in SEARCH_EXPAND]
    if cursor:
        params.append(("cursor", cursor))
    token = _token()
    key_source = json.dumps([settings.HF_ENDPOINT, params, hashlib.sha256(token.encode()).hexdigest()[:12]])
    key = "catalog:hf-search:" + hashlib.sha256(key_source.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        response = get_session().get(f"{settings.HF_ENDPOINT}/api/models", params=params, headers=_headers(token),
                                     timeout=settings.HUB_TIMEOUT)
        hf_raise_for_status(response)
        items = response.json()
        if not isinstance(items, list):
            raise ValueError("search answered with something else than a list")
    except Exception as exc:
        # A cursor the Hub refuses is the caller's mistake (400), not the Hub failing (502).
        if cursor and isinstance(exc, HfHubHTTPError) and getattr(exc.response, "status_code", 0) == 400:
            raise InvalidInput(_("The cursor is not valid: pass the “next” value of a previous page."),
                               details={"cursor": cursor[:200]}) from exc
        raise translate(exc) from exc
    next_url = response.links.get("next", {}).get("url")
    next_cursor = (parse_qs(urlsplit(next_url).query).get("cursor") or [None])[0] if next_url else None
    results = [
        {
            "repo": item.get("id") or item.get("modelId") or "",
            "likes": int(item.get("likes") or 0),
            "downloads": int(item.get("downloads") or 0),
            "tags": list(item.get("tags") or []),
            "last_modified": _iso(item.get("lastModified")),
            "gated": item.get("gated") if item.get("gated") in ("auto", "manual") else False,
            "private": bool(item.get("private")),
        }
        for item in items
        if isinstance(item, dict)
    ]
    page = {"results": results, "next": next_cursor}
    cache.set(key, page, SEARCH_CACHE_SECONDS)
    return page


def _iso(value) -> str | None:
    if not value:
        return None
    parsed = parse_datetime(str(value))
    return parsed.isoformat().replace("+00:00", "Z") if parsed else None


def parse_last_modified(value) -> datetime | None:
    if isinstance(value, datetime) or value is None:
        return value
    return parse_datetime(str(value))
