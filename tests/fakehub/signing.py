"""Pre-signed storage URLs: CloudFront style for HF LFS blobs, S3 SigV4 style for Civitai files.

The signature is an HMAC over the path and the expiry, so a URL cannot be edited or extended;
an expired URL is answered 403 AccessDenied, and a fresh resolve yields a fresh signature.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

HF_DEFAULT_TTL = 3600.0
CIVITAI_DEFAULT_TTL = 86400.0


class Signer:
    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def _mac(self, *parts: str) -> str:
        return hmac.new(self._key, "\n".join(parts).encode(), hashlib.sha256).hexdigest()

    # Hugging Face LFS (CloudFront): ?response-content-disposition=...&Expires=<unix>&Signature=...
    def hf_lfs_url(self, cdn_url: str, path: str, filename: str, ttl: float | None) -> str:
        expires = str(math.ceil(time.time() + (HF_DEFAULT_TTL if ttl is None else ttl)))
        disposition = f"inline; filename*=UTF-8''{quote(filename)}; filename=\"{_ascii(filename)}\";"
        signature = self._mac(path, expires, disposition)
        query = urlencode({
            "response-content-disposition": disposition,
            "response-content-type": "application/octet-stream",
            "Expires": expires,
            "Signature": signature,
            "Key-Pair-Id": "K3FAKEHUB0CDN",
        }, quote_via=quote)
        return f"{cdn_url}{path}?{query}"

    def check_hf_lfs(self, path: str, params: dict[str, list[str]]) -> str | None:
        """None if valid, else the AccessDenied reason."""
        expires = _one(params, "Expires")
        disposition = _one(params, "response-content-disposition")
        signature = _one(params, "Signature")
        if not (expires and signature) or not hmac.compare_digest(signature, self._mac(path, expires, disposition)):
            return "Access denied"
        if time.time() > int(expires):
            return "Access denied"  # CloudFront does not say why
        return None

    # Civitai storage (S3/R2 SigV4 look-alike)
    def civitai_url(self, cdn_url: str, path: str, filename: str, ttl: float | None) -> str:
        now = time.time()
        date = datetime.fromtimestamp(math.floor(now), UTC).strftime("%Y%m%dT%H%M%SZ")
        ttl = CIVITAI_DEFAULT_TTL if ttl is None else ttl
        expires = str(max(1, math.ceil(now + ttl - math.floor(now))))
        disposition = f'attachment; filename="{_ascii(filename)}"'
        signature = self._mac(path, date, expires, disposition)
        query = urlencode({
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": f"FAKEHUBKEY/{date[:8]}/auto/s3/aws4_request",
            "X-Amz-Date": date,
            "X-Amz-Expires": expires,
            "X-Amz-SignedHeaders": "host",
            "response-content-disposition": disposition,
            "X-Amz-Signature": signature,
        }, quote_via=quote)
        return f"{cdn_url}{path}?{query}"

    def check_civitai(self, path: str, params: dict[str, list[str]]) -> str | None:
        date = _one(params, "X-Amz-Date")
        expires = _one(params, "X-Amz-Expires")
        disposition = _one(params, "response-content-disposition")
        signature = _one(params, "X-Amz-Signature")
        if not (date and expires and signature) or not hmac.compare_digest(
            signature, self._mac(path, date, expires, disposition)
        ):
            return "The request signature we calculated does not match the signature you provided."
        issued = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
        if time.time() > issued + int(expires):
            return "Request has expired"
        return None


def _one(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name)
    return values[0] if values else ""


def _ascii(name: str) -> str:
    return name.encode("ascii", "replace").decode().replace('"', "_")
