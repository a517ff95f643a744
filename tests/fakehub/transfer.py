"""Serving a file body: Range/If-Range handling (RFC 9110) and the per-file faults."""

from __future__ import annotations

import gzip
import json
import re

from .content import BytesContent, Content
from .faults import Decision, Fault
from .server import Request, Response, Stream

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)

ERROR_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Storage Portal</title></head>
<body><h1>Session expired</h1><p>Please sign in again to continue your download.</p>
<form method="post" action="/login"><input name="user"><input name="password" type="password">
<button>Sign in</button></form></body></html>
"""


def parse_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """(start, end_exclusive), "unsatisfiable", or None when the header is absent or ignorable.

    Multi-range and malformed headers are ignored (a full 200 is a valid answer to them).
    """
    if not header:
        return None
    match = _RANGE.match(header)
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # suffix range: the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - count), size
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        return "unsatisfiable"
    end = size if last == "" else min(int(last) + 1, size)
    return start, end


def failure_response(fault: Fault) -> Response:
    status = fault.status_for_failure
    message = "Rate limited" if status == 429 else "Service temporarily unavailable"
    body = json.dumps({"error": message}).encode()
    headers = [("Content-Type", "application/json; charset=utf-8"), *fault.failure_headers()]
    return Response(status, headers, body)


def serve_content(
    req: Request,
    content: Content,
    decision: Decision,
    headers: list[tuple[str, str]],
    etag: str | None = None,
) -> Response:
    """200/206/416 for `content`, honouring Range and If-Range, with the decided faults applied.

    `headers` are the resource headers (Content-Type, Content-Disposition, ETag, ...).
    """
    fault = decision.fault if req.method == "GET" else None
    if fault is not None and decision.fail:
        return failure_response(fault)
    transient = fault is not None and decision.transient

    if transient and fault.error_page:
        return Response(200, [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
                        ERROR_PAGE)

    size = content.size
    wanted = parse_range(req.headers.get("range"), size)
    if_range = req.headers.get("if-range")
    if wanted is not None and if_range and etag and if_range.strip() != etag:
        wanted = None  # the client's copy is of another version: send it the whole new one
    if fault is not None and fault.ignore_range:
        wanted = None
    if wanted == "unsatisfiable":
        return Response(416, [("Content-Range", f"bytes */{size}"), ("Content-Type", "text/plain"),
                              ("Accept-Ranges", "bytes")], b"Requested Range Not Satisfiable")

    base = [*headers, ("Accept-Ranges", "bytes")]
    if wanted is None:
        status, start, end = 200, 0, size
        range_headers: list[tuple[str, str]] = []
    else:
        status, (start, end) = 206, wanted
        total = size
        if transient and fault.wrong_content_range_start is not None:
            start = min(max(0, start + fault.wrong_content_range_start), max(size - 1, 0))
        if transient and fault.wrong_content_range_total is not None:
            total = fault.wrong_content_range_total
        range_headers = [("Content-Range", f"bytes {start}-{end - 1}/{total}")]

    stream = Stream(content, start, end)
    response = Response(status, [*base, *range_headers], stream=stream)
    if fault is None:
        return response

    stream.corrupt_offset = fault.corrupt_offset
    stream.rate_bps = fault.rate_bps
    if transient:
        stream.drop_after = fault.drop_after_bytes
        stream.drop_with_reset = fault.drop_with_reset
        if fault.stall_after_bytes is not None:
            stream.stall_after, stream.stall_seconds = fault.stall_after_bytes, fault.stall_seconds
        if fault.gzip:
            _gzip_body(response, stream)
        if fault.content_length_delta:
            real = response.stream.end - response.stream.start
            announced = max(0, real + fault.content_length_delta)
            response.content_length = announced
            # Too short: the client reads `announced` bytes; too long: it waits for bytes that never come.
            response.stream.limit = min(real, announced)
            response.stream.close_after = True
    return response


def _gzip_body(response: Response, stream: Stream) -> None:
    raw = bytearray(stream.content.read(stream.start, stream.end))
    if stream.corrupt_offset is not None and stream.start <= stream.corrupt_offset < stream.end:
        raw[stream.corrupt_offset - stream.start] ^= 0xFF
    packed = gzip.compress(bytes(raw), compresslevel=1, mtime=0)
    response.headers.append(("Content-Encoding", "gzip"))
    response.headers.append(("Vary", "Accept-Encoding"))
    response.stream = Stream(BytesContent(packed), 0, len(packed), drop_after=stream.drop_after,
                             drop_with_reset=stream.drop_with_reset, stall_after=stream.stall_after,
                             stall_seconds=stream.stall_seconds, rate_bps=stream.rate_bps)
