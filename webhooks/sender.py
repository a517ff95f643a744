"""One webhook request: the signature, the POST, and an outcome that is safe to store and show.

Webhook URLs are destinations the user chose (often on their own network: Home Assistant, n8n),
so the hub SSRF rule (modella.outbound) does not apply to them; what is refused is anything but
http(s). Nothing here ever writes the secret, the signature or the URL's password into a log,
an error or the database: errors are composed from the failure's kind, not from the exception's
text (which names the full URL).
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from modella.errors import InvalidInput

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 10
MAX_URL_LENGTH = 2000
EXCERPT_BYTES = 1000
SIGNATURE_PREFIX = "sha256="


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Modella-Signature value: HMAC-SHA256 of "<timestamp>.<raw body>" keyed with the secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (the README shows the same in a few lines): constant-time compare."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def encode(payload: dict) -> bytes:
    """The exact bytes sent (and signed): compact UTF-8 JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def clean_url(value) -> str:
    """A webhook URL as stored, or InvalidInput saying what is accepted."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(_("Enter the URL to call, for example http://192.168.1.20:8123/api/webhook/modella."),
                           details={"url": "required"})
    url = value.strip()
    accepted = _("Only http:// and https:// URLs with a host name are accepted.")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(_("The URL is too long (at most %(max)d characters).") % {"max": MAX_URL_LENGTH},
                           details={"url": "too_long"})
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise InvalidInput(_("The URL must not contain spaces or control characters."), details={"url": "invalid"})
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise InvalidInput(accepted, details={"url": "invalid"}) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(accepted, details={"url": "invalid_scheme"})
    return url


def redact_url(url: str) -> str:
    """The URL with a password in it replaced by ***, for pages, the API and logs."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
    except ValueError:
        return url


def keep_password(url: str, stored: str) -> str:
    """`url` with the *** that redact_url shows in place of a password put back to `stored`'s
    password, so a URL edited from its redacted form (another path, say) keeps its credentials."""
    try:
        parts, old = urlsplit(url), urlsplit(stored)
        if parts.password != "***" or old.password is None:
            return url
        host = parts.netloc.rsplit("@", 1)[1]
        return urlunsplit(parts._replace(netloc=f"{parts.username}:{old.password}@{host}"))
    except ValueError:
        return url


def log_target(url: str) -> str:
    """What a log line may say about a destination: scheme, host and port only (a path can itself
    be a secret, like a Home Assistant webhook id)."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}"
    except ValueError:
        return "(invalid URL)"


@dataclass
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int
    response_excerpt: str = ""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, secret: str, event: str, delivery_id: str, body: bytes) -> Outcome:
    """Send one signed request; never raises for a network problem, never follows a redirect."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Modella/{settings.VERSION}",
        "X-Modella-Event": event,
        "X-Modella-Delivery": delivery_id,
        "X-Modella-Timestamp": timestamp,
        "X-Modella-Signature": sign(secret, timestamp, body),
    }
    started = time.monotonic()
    session = requests.Session()
    # trust_env off: ~/.netrc must never add credentials, nor a proxy setting reroute a LAN call.
    session.trust_env = False
    try:
        with session.post(url, data=body, headers=headers, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                          allow_redirects=False, stream=True) as response:
            excerpt = _excerpt(response)
            code = response.status_code
    except Exception as exc:  # noqa: BLE001 - not only RequestException: a password requests cannot
        # encode raises UnicodeEncodeError. An attempt must always end in an outcome, or the delivery
        # stays pending and is retried forever (and a test ping answers 500).
        return Outcome(None, describe(exc), _elapsed(started))
    finally:
        session.close()
    if 200 <= code < 300:
        return Outcome(code, "", _elapsed(started), excerpt)
    if 300 <= code < 400:
        error = _("The receiver answered with a redirect (HTTP %(status)d); redirects are not followed: "
                  "use the final URL.") % {"status": code}
    else:
        error = _("The receiver answered HTTP %(status)d.") % {"status": code}
    return Outcome(code, error, _elapsed(started), excerpt)


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _excerpt(response: requests.Response) -> str:
    """The start of the answer, for the delivery log (the receiver's own words about a failure)."""
    try:
        data = next(response.iter_content(EXCERPT_BYTES), b"")[:EXCERPT_BYTES]
    except requests.RequestException:
        return ""
    return data.decode("utf-8", errors="replace")


def describe(exc: Exception) -> str:
    """A short, translated reason for a failed request that names no URL, path or credential."""
    if isinstance(exc, requests.ConnectTimeout):
        return _("No connection within %(seconds)d seconds.") % {"seconds": CONNECT_TIMEOUT}
    if isinstance(exc, requests.ReadTimeout):
        return _("No answer within %(seconds)d seconds.") % {"seconds": READ_TIMEOUT}
    if isinstance(exc, requests.exceptions.SSLError):
        return _("The TLS connection failed (is the certificate valid for this host?).")
    cause = _root_cause(exc)
    if isinstance(cause, socket.gaierror):
        return _("The host name could not be resolved.")
    if isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED:
        return _("The connection was refused (is the receiver running on that port?).")
    if isinstance(cause, OSError) and cause.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return _("The host cannot be reached from this server.")
    if isinstance(exc, requests.ConnectionError):
        return _("The connection failed or was closed before an answer.")
    return _("The request could not be sent.")


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nested = exc.__cause__ or exc.__context__
        if nested is None and exc.args and isinstance(exc.args[0], BaseException):
            nested = exc.args[0]
        if nested is None:
            break
        reason = getattr(nested, "reason", None)  # urllib3's MaxRetryError wraps the real error
        exc = reason if isinstance(reason, BaseException) else nested
    return exc
