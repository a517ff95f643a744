"""Scripted faults, attached to one file and counted across all requests for that file.

A fault key is "repo_id/path" for a Hugging Face file ("datasets/owner/name/path" for a dataset file)
and "civitai:<fileId>" for a Civitai file.

Counting rules (per key, reset by FakeHub.clear_faults()/reset()):
* `fail_first` answers the first K body GETs (or resolve requests, with fail_on="resolve") with
  `fail_status`, carrying `retry_after` / `ratelimit_header` when given.
* The transient body faults (`drop_after_bytes`, `stall_after_bytes`, `content_length_delta`,
  `wrong_content_range_*`, `error_page`, `gzip`) hit the first `times` body responses that were
  not failed by `fail_first`; `times=None` means every response.
* `corrupt_offset`, `ignore_range`, `rate_bps`, `signed_url_ttl` and `redirect_to` are properties
  of the file and apply to every request.

A list of faults is a script: body request i gets list[i] (once, as if fail_first/times were 1),
later requests get no fault. Resolve requests see the entry the next body request will use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class Fault:
    times: int | None = 1
    # connection closed (FIN, or RST with drop_with_reset) after N body bytes of the response
    drop_after_bytes: int | None = None
    drop_with_reset: bool = False
    # first K requests answered with an error status
    fail_first: int = 0
    fail_status: int | None = None  # default: 429 if retry_after/ratelimit_header is set, else 503
    fail_on: str = "body"  # "body" (CDN / file GET) or "resolve" (HF resolve, Civitai /api/download)
    retry_after: int | str | None = None  # seconds, or an HTTP-date string
    ratelimit_header: str | bool | None = None  # the draft RateLimit header value; True builds one
    # per-connection bandwidth cap in bytes per second
    rate_bps: int | None = None
    # after N body bytes, send nothing for stall_seconds (then carry on)
    stall_after_bytes: int | None = None
    stall_seconds: float = 0.0
    # flip one byte (xor 0xFF) at this file offset in every response that covers it
    corrupt_offset: int | None = None
    # advertise Content-Length = real length + delta; the connection is closed after the body
    content_length_delta: int = 0
    # answer Range requests with 200 and the whole file
    ignore_range: bool = False
    # 206 that serves (and announces) start + delta instead of the requested start
    wrong_content_range_start: int | None = None
    # 206 whose Content-Range announces this total instead of the real size
    wrong_content_range_total: int | None = None
    # 200 text/html login page instead of the file
    error_page: bool = False
    # signed storage URLs issued for this file expire after T seconds
    signed_url_ttl: float | None = None
    # the resolve / download redirect points here instead of the CDN
    redirect_to: str | None = None
    # gzip the (range of the) body and say Content-Encoding: gzip even if identity was asked
    gzip: bool = False

    @property
    def status_for_failure(self) -> int:
        if self.fail_status:
            return self.fail_status
        return 429 if (self.retry_after is not None or self.ratelimit_header) else 503

    def failure_headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        if self.retry_after is not None:
            headers.append(("Retry-After", str(self.retry_after)))
        if self.ratelimit_header:
            if self.ratelimit_header is True:
                wait = self.retry_after if isinstance(self.retry_after, int) else 1
                value = f'"resolvers";r=0;t={wait}'
            else:
                value = str(self.ratelimit_header)
            headers.append(("RateLimit", value))
            headers.append(("RateLimit-Policy", '"fixed window";"resolvers";q=3000;w=300'))
        return headers


@dataclass
class Decision:
    """What one request for a file must suffer."""

    fault: Fault | None = None
    fail: bool = False
    transient: bool = False  # the transient body faults apply to this response


class FaultBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault | list[Fault]] = {}
        self._counts: dict[tuple[str, str], int] = {}

    def set(self, key: str, fault: Fault | list[Fault]) -> None:
        with self._lock:
            self._faults[key] = fault
            for counter in [k for k in self._counts if k[0] == key]:
                del self._counts[counter]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._counts.clear()

    def _scripted(self, key: str, script: list[Fault], consume: bool) -> Fault | None:
        index = self._counts.get((key, "script"), 0)
        if consume:
            self._counts[(key, "script")] = index + 1
        return script[index] if index < len(script) else None

    def _bump(self, key: str, name: str) -> int:
        self._counts[(key, name)] = self._counts.get((key, name), 0) + 1
        return self._counts[(key, name)]

    def on_resolve(self, key: str) -> Decision:
        with self._lock:
            fault = self._faults.get(key)
            if isinstance(fault, list):
                step = self._scripted(key, fault, consume=False)
                return Decision(step, fail=bool(step and step.fail_on == "resolve" and step.fail_first))
            if fault is None:
                return Decision()
            if fault.fail_on == "resolve" and fault.fail_first:
                return Decision(fault, fail=self._bump(key, "resolve") <= fault.fail_first)
            return Decision(fault)

    def on_body(self, key: str) -> Decision:
        with self._lock:
            fault = self._faults.get(key)
            if isinstance(fault, list):
                step = self._scripted(key, fault, consume=True)
                if step is None:
                    return Decision()
                return Decision(step, fail=bool(step.fail_on == "body" and step.fail_first), transient=True)
            if fault is None:
                return Decision()
            if fault.fail_on == "body" and fault.fail_first and self._bump(key, "body") <= fault.fail_first:
                return Decision(fault, fail=True)
            served = self._bump(key, "served")
            return Decision(fault, transient=fault.times is None or served <= fault.times)

    def count(self, key: str, name: str = "served") -> int:
        return self._counts.get((key, name), 0)
