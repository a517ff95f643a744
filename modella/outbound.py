"""Where Modella may send a request: the one check every outbound URL passes (SSRF guard).

Allowed: http(s) URLs whose host is a configured hub endpoint's host (HF_ENDPOINT,
CIVITAI_ENDPOINT) or matches DOWNLOAD_HOSTS (`*.example.com` wildcards), port ignored. Refused
even when listed in DOWNLOAD_HOSTS: an IP literal outside the public internet (private,
loopback, link-local such as cloud metadata at 169.254.169.254, reserved, multicast), in any
spelling the resolver accepts ("127.1", "0x7f000001", "2130706433", "[::1]"), unless it is the
host of a configured endpoint itself (a local mirror, or the emulator in tests).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

SCHEMES = ("http", "https")


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def endpoint_hosts() -> set[str]:
    return {h for h in (_host(settings.HF_ENDPOINT), _host(settings.CIVITAI_ENDPOINT)) if h}


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address `host` spells, if it is an IP literal in any form the C resolver accepts."""
    host = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefx." for c in host):
        try:  # inet_aton's legacy forms: "127.1", "0x7f.0.0.1", "2130706433"
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _matches(host: str, pattern: str) -> bool:
    pattern = pattern.strip().lower().rstrip(".")
    if pattern.startswith("*."):
        return host == pattern[2:] or host.endswith(pattern[1:])
    return bool(pattern) and host == pattern.split(":")[0]


def host_allowed(host: str) -> bool:
    host = (host or "").lower().rstrip(".")
    if not host:
        return False
    endpoints = endpoint_hosts()
    if host in endpoints:
        return True
    address = ip_literal(host)
    if address is not None and not address.is_global:
        # An internal address is only ever the configured endpoint itself, never a redirect target.
        return any(ip_literal(h) == address for h in endpoints)
    return any(_matches(host, pattern) for pattern in settings.DOWNLOAD_HOSTS)


def url_allowed(url: str) -> bool:
    """Whether Modella may request `url` at all (scheme, host; see the module docstring)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme.lower() not in SCHEMES:
        return False
    return host_allowed(parts.hostname or "")


def silence_library_calls_home() -> None:
    """huggingface_hub asks `<its default endpoint>/api/agent-harnesses` (huggingface.co, not the
    configured HF_ENDPOINT) once per process to tag its User-Agent: a request to a host Modella was
    not told to talk to. Give it an empty registry up front so that it never asks."""
    try:
        from huggingface_hub.utils import _detect_agent
    except ImportError:  # pragma: no cover - a huggingface_hub without agent detection
        return
    if getattr(_detect_agent, "_registry", "missing") is None:
        _detect_agent._registry = getattr(_detect_agent, "_EMPTY_REGISTRY", {})
