"""HTTP plumbing: listeners, parsed requests, responses, body streaming and the request log."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from .content import Content


@dataclass
class RequestRecord:
    listener: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int | None = None
    range: str | None = None
    bytes_sent: int = 0
    time: float = 0.0
    duration: float | None = None

    @property
    def has_auth(self) -> bool:
        return "authorization" in self.headers

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


class Request:
    def __init__(self, listener: str, method: str, raw_path: str, headers: dict[str, str], body: bytes, origin: str):
        self.listener = listener
        self.method = method
        split = urlsplit(raw_path)
        self.raw_path = split.path
        self.path = unquote(split.path)
        self.query = split.query
        self.params = parse_qs(split.query, keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.origin = origin  # "http://127.0.0.1:PORT" of the listener that got the request

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.params_list(name)
        return values[0] if values else default

    def params_list(self, name: str) -> list[str]:
        """Repeated query parameter, accepting both `name=` and `name[]=` spellings."""
        return self.params.get(name, []) + self.params.get(f"{name}[]", [])

    def flag(self, name: str) -> bool:
        return (self.param(name) or "").lower() in ("1", "true", "yes")

    @property
    def bearer(self) -> str | None:
        value = self.headers.get("authorization")
        if not value:
            return None
        parts = value.split()
        return parts[1] if len(parts) > 1 else None

    @property
    def user_agent(self) -> str:
        return self.headers.get("user-agent", "")


@dataclass
class Stream:
    """A body to stream from `content[start:end]`, with byte-level faults applied on the way."""

    content: Content
    start: int
    end: int
    limit: int | None = None  # send at most this many bytes (Content-Length said less)
    close_after: bool = False  # the body is shorter than Content-Length said: hang up after it
    drop_after: int | None = None
    drop_with_reset: bool = False
    stall_after: int | None = None
    stall_seconds: float = 0.0
    corrupt_offset: int | None = None  # absolute offset in content
    rate_bps: int | None = None


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: Stream | None = None
    content_length: int | None = None  # overrides the computed Content-Length

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def json_response(status: int, data: object, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(status, [("Content-Type", "application/json; charset=utf-8"), *(headers or [])], body)


def text_response(status: int, text: str, content_type: str = "text/plain; charset=utf-8",
                  headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, [("Content-Type", content_type), *(headers or [])], text.encode())


Router = Callable[[Request], Response]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakehub/1.0"
    # Idle keep-alive connections are dropped after this long, so stray client pools cannot pin threads.
    timeout = 60

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        if self.server.listener.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        listener: Listener = self.server.listener
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        record = RequestRecord(
            listener=listener.name,
            method=self.command,
            path=urlsplit(self.path).path,
            query=urlsplit(self.path).query,
            headers=headers,
            range=headers.get("range"),
            time=time.time(),
        )
        listener.log(record)
        request = Request(listener.name, self.command, self.path, headers, body, listener.url)
        try:
            response = listener.router(request)
        except Exception as exc:  # a bug in the emulator must surface as a 500, not a hung client
            import traceback

            traceback.print_exc()
            response = json_response(500, {"error": f"fakehub internal error: {exc!r}"})
        record.status = response.status
        try:
            self._send(response, record)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        finally:
            record.duration = time.time() - record.time

    def _send(self, response: Response, record: RequestRecord) -> None:
        stream = response.stream
        if response.content_length is not None:
            length = response.content_length
        elif stream is not None:
            length = stream.end - stream.start
        else:
            length = len(response.body)
        self.send_response(response.status)
        for key, value in response.headers:
            self.send_header(key, value)
        self.send_header("X-Request-Id", f"Root={uuid.uuid4()}")
        if response.status not in (204, 304) and not (100 <= response.status < 200):
            self.send_header("Content-Length", str(length))
        if stream is not None and stream.close_after:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if stream is None:
            self.wfile.write(response.body)
            record.bytes_sent = len(response.body)
            return
        self.wfile.flush()
        self._stream(stream, record)

    def _stream(self, stream: Stream, record: RequestRecord) -> None:
        sock: socket.socket = self.connection
        listener: Listener = self.server.listener
        generation = listener.generation()
        budget = stream.end - stream.start if stream.limit is None else stream.limit
        sent = 0
        for chunk in stream.content.iter_range(stream.start, stream.end):
            view = chunk
            while len(view):
                if sent >= budget:
                    break
                n = min(len(view), budget - sent)
                if stream.stall_after is not None and sent <= stream.stall_after < sent + n:
                    n = stream.stall_after - sent
                    if n == 0:
                        stream.stall_after = None
                        if not listener.sleep(stream.stall_seconds, generation):
                            self._hang_up(stream)
                            return
                        continue
                if stream.drop_after is not None and sent <= stream.drop_after < sent + n:
                    n = stream.drop_after - sent
                    if n == 0:
                        self._hang_up(stream)
                        return
                piece = view[:n]
                offset = stream.start + sent
                if stream.corrupt_offset is not None and offset <= stream.corrupt_offset < offset + n:
                    flipped = bytearray(piece)
                    flipped[stream.corrupt_offset - offset] ^= 0xFF
                    piece = memoryview(flipped)
                if stream.rate_bps:
                    self._send_throttled(sock, piece, stream.rate_bps, generation)
                else:
                    sock.sendall(piece)
                sent += n
                record.bytes_sent = sent
                view = view[n:]
            if sent >= budget:
                break
        if stream.close_after or (stream.drop_after is not None and sent >= stream.drop_after):
            self._hang_up(stream)

    def _send_throttled(self, sock: socket.socket, piece: memoryview, rate_bps: int, generation: int) -> None:
        step = max(1, rate_bps // 20)  # ~50 ms worth of bytes per write
        started = time.monotonic()
        for pos in range(0, len(piece), step):
            sock.sendall(piece[pos : pos + step])
            due = started + (pos + step) / rate_bps
            delay = due - time.monotonic()
            if delay > 0 and not self.server.listener.sleep(delay, generation):
                raise BrokenPipeError("fakehub reset while throttling")

    def _hang_up(self, stream: Stream) -> None:
        self.close_connection = True
        sock: socket.socket = self.connection
        try:
            if stream.drop_with_reset:
                # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()
            else:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], listener: Listener):
        self.listener = listener
        super().__init__(address, _Handler)


class Listener:
    """One "host": a threaded HTTP/1.1 server on 127.0.0.1 with its own router."""

    def __init__(self, name: str, router: Router, log: Callable[[RequestRecord], None],
                 generation: Callable[[], int], port: int = 0, host: str = "127.0.0.1", verbose: bool = False):
        self.name = name
        self.router = router
        self.log = log
        self.generation = generation
        self.verbose = verbose
        self._stopping = threading.Event()
        self._server = _Server((host, port), self)
        self.port = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"fakehub-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def sleep(self, seconds: float, generation: int) -> bool:
        """Sleep in small steps; False if the hub was reset or stopped meanwhile (abort the response)."""
        deadline = time.monotonic() + seconds
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            if self._stopping.wait(min(remaining, 0.05)) or self.generation() != generation:
                return False
