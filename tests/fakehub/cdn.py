"""The storage/CDN listener: signed HF LFS blobs, signed Civitai files, and image thumbnails.

It never requires Authorization (the URLs are pre-signed); whether a client leaked its token
here is visible in the request log (RequestRecord.has_auth).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from .faults import Decision
from .formats import png_bytes
from .server import Request, Response
from .transfer import serve_content

if TYPE_CHECKING:
    from .hub import FakeHub

_LFS_PATH = re.compile(r"^/repos/[0-9a-f]{2}/[0-9a-f]{2}/(?P<repo>[0-9a-f]{64})/(?P<sha>[0-9a-f]{64})$")
_STORAGE_PATH = re.compile(r"^/storage/(?P<file>\d+)$")
_IMAGE_PATH = re.compile(r"^/(?:img/[^/]+/[^/]+/(?:width=(?P<width>\d+)/)?(?P<id>\d+)\.\w+|avatars/(?P<user>[^/]+)\.png)$")


def s3_error(status: int, code: str, message: str) -> Response:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>FAKEHUB{hashlib.md5(message.encode()).hexdigest()[:12].upper()}</RequestId></Error>")
    return Response(status, [("Content-Type", "application/xml")], body.encode())


class CdnRoutes:
    def __init__(self, hub: FakeHub):
        self.hub = hub

    def __call__(self, req: Request) -> Response:
        if req.method == "OPTIONS":
            return Response(200, [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Headers", "Range")])
        if req.method not in ("GET", "HEAD"):
            return s3_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        if match := _LFS_PATH.match(req.raw_path):
            return self.lfs_blob(req, match["repo"], match["sha"])
        if match := _STORAGE_PATH.match(req.raw_path):
            return self.civitai_file(req, int(match["file"]))
        if match := _IMAGE_PATH.match(req.raw_path):
            return self.image(match["id"], match["width"], match["user"])
        return s3_error(404, "NoSuchKey", "The specified key does not exist.")

    def lfs_blob(self, req: Request, repo_hash: str, sha256: str) -> Response:
        if self.hub.signer.check_hf_lfs(req.raw_path, req.params):
            return s3_error(403, "AccessDenied", "Access denied")
        found = self.hub.lfs_object(repo_hash, sha256)
        if found is None:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        key, entry, when = found
        headers = [
            ("Content-Type", req.param("response-content-type") or "application/octet-stream"),
            ("Content-Disposition", req.param("response-content-disposition") or "inline"),
            ("ETag", _s3_etag(sha256, entry.size)),
            ("Last-Modified", when.strftime("%a, %d %b %Y %H:%M:%S GMT")),
            ("Cache-Control", "public, max-age=604800, immutable, s-maxage=604800"),
            ("X-Cache", "Hit from cloudfront"),
            ("Access-Control-Allow-Origin", "*"),
        ]
        decision = self.hub.faults.on_body(key) if req.method == "GET" else Decision()
        return serve_content(req, entry.content, decision, headers, etag=_s3_etag(sha256, entry.size))

    def civitai_file(self, req: Request, file_id: int) -> Response:
        reason = self.hub.signer.check_civitai(req.raw_path, req.params)
        if reason:
            return s3_error(403, "AccessDenied", reason)
        content = self.hub.civitai.content_for(file_id)
        if content is None:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        headers = [
            ("Content-Type", "application/octet-stream"),
            ("Content-Disposition", req.param("response-content-disposition") or "attachment"),
            ("ETag", _s3_etag(content.sha256, content.size)),
            ("Last-Modified", "Thu, 01 May 2025 12:05:00 GMT"),
            ("Cache-Control", "private, max-age=0"),
        ]
        key = f"civitai:{file_id}"
        decision = self.hub.faults.on_body(key) if req.method == "GET" else Decision()
        return serve_content(req, content, decision, headers, etag=_s3_etag(content.sha256, content.size))

    def image(self, image_id: str | None, width: str | None, user: str | None) -> Response:
        seed = int(image_id) if image_id else int(hashlib.sha1((user or "").encode()).hexdigest()[:8], 16)
        side = max(8, min(int(width or 64), 128))
        body = png_bytes(side, side, seed)
        return Response(200, [("Content-Type", "image/png"), ("Cache-Control", "public, max-age=31536000"),
                              ("Access-Control-Allow-Origin", "*")], body)


def _s3_etag(sha256: str, size: int) -> str:
    # Multipart-upload style ETag: opaque, but changes whenever the object does.
    parts = max(1, -(-size // (64 << 20)))
    return f'"{hashlib.md5(sha256.encode()).hexdigest()}-{parts}"'
