"""Over real HTTP (the live server, a Token, `requests` and a raw socket): a connection cut in the
middle of a chunk keeps the bytes that arrived, HEAD tells the offset, and the rest completes the
file with the right SHA-256 in the library."""

import hashlib
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests
from rest_framework.authtoken.models import Token

from storage.models import LocalFile
from tests.fakehub.hub import FakeHub

pytestmark = pytest.mark.django_db(transaction=True)

CONTENT = FakeHub.safetensors_bytes({"model.weight": ("F32", [256, 256])}, seed=3)  # about 256 KiB


@pytest.fixture
def session(live_server, user, settings):
    settings.CIVITAI_ENDPOINT = "http://127.0.0.1:9"  # no hub needed: identification is tested elsewhere
    settings.HUB_TIMEOUT = 1
    http = requests.Session()
    http.headers["Authorization"] = f"Token {Token.objects.create(user=user).key}"
    return http


def cut_chunk(live_server, token: str, upload_id: str, offset: int, announced: int, sent: bytes) -> None:
    """PATCH a chunk announcing `announced` bytes, send only `sent`, then drop the connection."""
    url = urlsplit(live_server.url)
    with socket.create_connection((url.hostname, url.port)) as raw:
        raw.sendall(
            f"PATCH /api/v1/uploads/{upload_id} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: Token {token}\r\nContent-Type: application/octet-stream\r\n"
            f"Upload-Offset: {offset}\r\nContent-Length: {announced}\r\n\r\n".encode() + sent
        )
        raw.shutdown(socket.SHUT_WR)


def wait_for_offset(session, url: str, expected: int) -> int:
    deadline = time.monotonic() + 15
    offset = -1
    while time.monotonic() < deadline:
        offset = int(session.head(url).headers["Upload-Offset"])
        if offset == expected:
            break
        time.sleep(0.05)
    return offset


def test_a_chunk_cut_mid_way_resumes_from_the_bytes_that_arrived(live_server, session, models_dir):
    created = session.post(f"{live_server.url}/api/v1/uploads",
                           json={"filename": "big-model.safetensors", "size": len(CONTENT)})
    assert created.status_code == 201
    upload_id = created.json()["id"]
    url = f"{live_server.url}/api/v1/uploads/{upload_id}"
    chunk = 64 * 1024
    first = session.patch(url, data=CONTENT[:chunk], headers={"Upload-Offset": "0",
                                                              "Content-Type": "application/octet-stream"})
    assert first.status_code == 200 and first.json()["offset"] == chunk

    # The second chunk's connection drops after 40,000 of its 65,536 bytes.
    token = session.headers["Authorization"].split()[1]
    cut_chunk(live_server, token, upload_id, chunk, chunk, CONTENT[chunk : chunk + 40_000])

    resume_at = wait_for_offset(session, url, chunk + 40_000)
    assert resume_at == chunk + 40_000
    stale = session.patch(url, data=CONTENT[chunk : 2 * chunk],
                          headers={"Upload-Offset": str(chunk), "Content-Type": "application/octet-stream"})
    assert stale.status_code == 409 and stale.json()["error"]["details"]["offset"] == resume_at

    position = resume_at
    while position < len(CONTENT):
        response = session.patch(url, data=CONTENT[position : position + chunk],
                                 headers={"Upload-Offset": str(position), "Content-Type": "application/octet-stream"})
        assert response.status_code == 200, response.text
        position = response.json()["offset"]

    body = session.get(url).json()
    assert body["status"] == "completed"
    assert body["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert (models_dir / "uploads" / "big-model.safetensors").read_bytes() == CONTENT
    row = LocalFile.objects.get(path="uploads/big-model.safetensors")
    assert row.sha256 == body["sha256"] and row.header["format"] == "safetensors"
