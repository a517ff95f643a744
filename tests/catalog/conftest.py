"""Fixtures of the catalog tests: the emulator as the Hub, and a hub that is down or slow."""

import http.server
import threading
import time

import pytest
from django.core.cache import cache


class _Broken(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    status = 503
    delay = 0.0

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.server.delay:
            time.sleep(self.server.delay)
        body = b'{"error": "Service Unavailable"}'
        try:
            self.send_response(self.server.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass

    do_HEAD = do_GET


@pytest.fixture
def broken_hub(settings, db):
    """A Hub that answers every request with `server.status` after `server.delay` seconds."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    server.daemon_threads = True
    server.status, server.delay = 503, 0.0
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.HF_ENDPOINT = f"http://127.0.0.1:{server.server_address[1]}"
    settings.HF_TOKEN = ""
    cache.clear()
    yield server
    server.shutdown()
    server.server_close()
