"""Where Modella may send a request: the one check every outbound URL passes (SSRF guard).

Allowed: http(s) URLs whose host is a configured hub endpoint's host (HF_ENDPOINT,
CIVITAI_ENDPOINT) or matches DOWNLOAD_HOSTS (`*.example.com` wildcards), port ignored. Refused
even when listed in DOWNLOAD_HOSTS: an IP literal outside the public internet (private,
loopback, link-local such as cloud metadata at 169.254.169.254, reserved, multicast), in any
spelling the resolver accepts ("127.1", "0x7f000001", "2130706433", "[::1]"), unless it is the
host of a configured endpoint itself (a local mirror, or the emulator in tests).

A host name that is not a configured endpoint's own host is resolved, and refused when any of its
addresses is internal: a DNS record under an allowed wildcard (or a redirect to `localhost`) must
not lead to a service on this machine or the local network (DNS-rebinding-style SSRF). A name that
does not resolve is left to fail at connect time.
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


def internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether `address` leads inside (private, loopback, link-local, reserved, ...), including IPv4
    addresses wrapped in IPv6 (::ffff:127.0.0.1, ::127.0.0.1, NAT64 64:ff9b::7f00:1)."""
    if isinstance(address, ipaddress.IPv6Address):
        packed = address.packed
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif packed[:12] == bytes(12) or packed[:12] == bytes.fromhex("0064ff9b0000000000000000"):
            address = ipaddress.IPv4Address(packed[12:])
    return not address.is_global


def resolved_addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address `host` resolves to now (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    addresses = []
    for info in infos:
        try:
            addresses.append(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
        except ValueError:
            continue
    return addresses


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
    if address is not None and internal(address):
        # An internal address is only ever the configured endpoint itself, never a redirect target.
        return any(ip_literal(h) == address for h in endpoints)
    if not any(_matches(host, pattern) for pattern in settings.DOWNLOAD_HOSTS):
        return False
    # A listed name must not resolve inside either (only an endpoint's own host may).
    return address is not None or not any(internal(a) for a in resolved_addresses(host))


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
