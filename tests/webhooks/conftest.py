"""A real HTTP receiver on 127.0.0.1 for the webhook tests, and webhooks pointed at it."""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhooks.models import COMPLETED, FAILED, Webhook


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every request; answers with the scripted statuses in turn, then with `default`."""

    url: str
    requests: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    default: int = 200
    headers_for_status: dict = field(default_factory=dict)

    def answer(self, *statuses: int) -> None:
        self.script.extend(statuses)


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        self.receiver.requests.append(Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        status = self.receiver.script.pop(0) if self.receiver.script else self.receiver.default
        self.send_response(status)
        for name, value in self.receiver.headers_for_status.get(status, {}).items():
            self.send_header(name, value)
        answer = b'{"ok": true}' if status < 300 else b"receiver says no"
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.receiver = Receiver(url=f"http://127.0.0.1:{server.server_port}/hooks/modella")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler.receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was just free)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def make_webhook(url: str, events=(COMPLETED, FAILED), **kwargs) -> tuple[Webhook, str]:
    return Webhook.objects.create_webhook(url, list(events), **kwargs)


@pytest.fixture
def queued_tasks(monkeypatch) -> list:
    """What would have been handed to Django-Q2, as (function, args); nothing runs by itself."""
    tasks = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, *args, **kwargs: tasks.append((func, args)))
    return tasks
