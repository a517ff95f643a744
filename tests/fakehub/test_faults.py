"""Each scripted Fault, observed with a plain HTTP client (raw sockets where requests would hide it)."""

import gzip
import hashlib
import http.client
import socket
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.fakehub import Fault
from tests.fakehub.catalog_seed import TINY_BERT_REPO, TINY_LORA_FILE_ID, TINY_LORA_VERSION_ID, TINY_REPO

FILE = "tiny-q8_0.gguf"
KEY = f"{TINY_REPO}/{FILE}"


def cdn_location(hub, path=FILE, headers=None):
    response = requests.head(hub.hf_file_url(TINY_REPO, path), headers=headers or {})
    assert response.status_code == 302, response.status_code
    return response.headers["Location"]


def payload(hub, path=FILE):
    return hub.hf_repo(TINY_REPO).head.files[path].content.read()


def raw_get(url, headers=None, timeout=5.0):
    """(status, headers, body, clean) where clean means the body matched Content-Length."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    conn.request("GET", f"{parts.path}?{parts.query}", headers=headers or {})
    response = conn.getresponse()
    try:
        body, clean = response.read(), True
    except http.client.IncompleteRead as partial:
        body, clean = partial.partial, False
    conn.close()
    return response.status, dict(response.getheaders()), body, clean


def test_drop_after_bytes_closes_the_first_response_only(fakehub):
    fakehub.set_fault(KEY, Fault(drop_after_bytes=1000))
    url = cdn_location(fakehub)
    status, _, body, clean = raw_get(url)
    assert status == 200 and len(body) == 1000 and not clean
    status, _, body, clean = raw_get(url, {"Range": "bytes=1000-"})
    assert status == 206 and clean and body == payload(fakehub)[1000:]


def test_drop_with_reset_sends_rst(fakehub):
    fakehub.set_fault(KEY, Fault(drop_after_bytes=10, drop_with_reset=True))
    location = urlsplit(cdn_location(fakehub))
    sock = socket.create_connection((location.hostname, location.port), timeout=5)
    sock.sendall(f"GET {location.path}?{location.query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    with pytest.raises(ConnectionResetError):
        while sock.recv(65536):
            pass
    sock.close()


def test_fail_first_then_success_counts_across_attempts(fakehub):
    fakehub.set_fault(KEY, Fault(fail_first=2, fail_status=503))
    url = cdn_location(fakehub)
    assert [requests.get(url).status_code for _ in range(3)] == [503, 503, 200]


def test_429_carries_retry_after_and_ratelimit_headers(fakehub):
    fakehub.set_fault(KEY, Fault(fail_first=1, retry_after=7, ratelimit_header=True))
    response = requests.get(cdn_location(fakehub))
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.headers["RateLimit"] == '"resolvers";r=0;t=7'
    assert "RateLimit-Policy" in response.headers
    date = "Wed, 21 Oct 2099 07:28:00 GMT"
    fakehub.set_fault(KEY, Fault(fail_first=1, retry_after=date))
    assert requests.get(cdn_location(fakehub)).headers["Retry-After"] == date


def test_fail_on_resolve_fails_the_hub_not_the_cdn(fakehub):
    fakehub.set_fault(KEY, Fault(fail_first=1, fail_status=429, fail_on="resolve", retry_after=1))
    first = requests.head(fakehub.hf_file_url(TINY_REPO, FILE), allow_redirects=False)
    assert first.status_code == 429 and first.headers["X-Repo-Commit"]
    assert requests.get(fakehub.hf_file_url(TINY_REPO, FILE)).status_code == 200


def test_rate_bps_caps_bandwidth(fakehub):
    fakehub.set_fault(KEY, Fault(rate_bps=200_000))
    started = time.monotonic()
    status, _, body, _ = raw_get(cdn_location(fakehub), {"Range": "bytes=0-99999"})
    elapsed = time.monotonic() - started
    assert status == 206 and len(body) == 100_000 and 0.4 < elapsed < 2.0


def test_stall_sends_headers_then_silence(fakehub):
    fakehub.set_fault(KEY, Fault(stall_after_bytes=0, stall_seconds=5))
    url = cdn_location(fakehub)
    with pytest.raises(requests.exceptions.ConnectionError):
        with requests.get(url, stream=True, timeout=(2, 0.5)) as response:
            assert response.status_code == 200
            next(response.iter_content(10))
    # The fault hits one response only; the next attempt streams normally.
    assert requests.get(url).content == payload(fakehub)


def test_corrupt_offset_flips_one_byte_in_every_response(fakehub):
    fakehub.set_fault(KEY, Fault(corrupt_offset=5000))
    url = cdn_location(fakehub)
    good = payload(fakehub)
    for _ in range(2):
        body = requests.get(url).content
        assert len(body) == len(good) and body != good
        assert [i for i in range(len(good)) if body[i] != good[i]] == [5000]
    ranged = requests.get(url, headers={"Range": "bytes=4990-5010"}).content
    assert ranged[10] == good[5000] ^ 0xFF and ranged[:10] == good[4990:5000]


def test_content_length_too_long_and_too_short(fakehub):
    size = len(payload(fakehub))
    fakehub.set_fault(KEY, Fault(content_length_delta=+500))
    status, headers, body, clean = raw_get(cdn_location(fakehub))
    assert int(headers["Content-Length"]) == size + 500 and len(body) == size and not clean
    fakehub.set_fault(KEY, Fault(content_length_delta=-500))
    status, headers, body, clean = raw_get(cdn_location(fakehub))
    assert int(headers["Content-Length"]) == size - 500 and len(body) == size - 500 and clean


def test_ignore_range_answers_200_with_the_whole_file(fakehub):
    fakehub.set_fault(KEY, Fault(ignore_range=True))
    response = requests.get(cdn_location(fakehub), headers={"Range": "bytes=100-"})
    assert response.status_code == 200 and response.content == payload(fakehub)
    assert "Content-Range" not in response.headers


def test_wrong_content_range_start_and_total(fakehub):
    good = payload(fakehub)
    fakehub.set_fault(KEY, Fault(wrong_content_range_start=-100))
    response = requests.get(cdn_location(fakehub), headers={"Range": "bytes=1000-"})
    assert response.headers["Content-Range"] == f"bytes 900-{len(good) - 1}/{len(good)}"
    assert response.content == good[900:]
    fakehub.set_fault(KEY, Fault(wrong_content_range_total=len(good) + 4096))
    response = requests.get(cdn_location(fakehub), headers={"Range": "bytes=1000-"})
    assert response.headers["Content-Range"].endswith(f"/{len(good) + 4096}")


def test_error_page_is_a_small_200_html(fakehub):
    fakehub.set_fault(KEY, Fault(error_page=True))
    response = requests.get(cdn_location(fakehub))
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert len(response.content) < 4096 and b"<html" in response.content


def test_gzip_even_when_identity_was_asked(fakehub):
    fakehub.set_fault(KEY, Fault(gzip=True))
    status, headers, body, clean = raw_get(cdn_location(fakehub),
                                           {"Range": "bytes=0-9999", "Accept-Encoding": "identity"})
    assert status == 206 and headers["Content-Encoding"] == "gzip" and clean
    assert gzip.decompress(body) == payload(fakehub)[:10000]


def test_signed_url_ttl_expires_and_a_fresh_resolve_works(fakehub):
    fakehub.set_fault(KEY, Fault(signed_url_ttl=1))
    url = cdn_location(fakehub)
    assert requests.get(url).status_code == 200
    time.sleep(2.1)
    expired = requests.get(url)
    assert expired.status_code == 403 and b"AccessDenied" in expired.content
    fresh = cdn_location(fakehub)
    assert fresh != url and requests.get(fresh).status_code == 200


def test_signed_url_ttl_on_civitai_storage(fakehub):
    fakehub.set_fault(f"civitai:{TINY_LORA_FILE_ID}", Fault(signed_url_ttl=1))
    url = fakehub.civitai_download_url(TINY_LORA_VERSION_ID)
    location = requests.get(url, allow_redirects=False).headers["Location"]
    time.sleep(2.1)
    expired = requests.get(location)
    assert expired.status_code == 403 and b"Request has expired" in expired.content


def test_redirect_to_points_resolve_at_another_host(fakehub):
    fakehub.set_fault(KEY, Fault(redirect_to="http://127.0.0.2:9/evil"))
    response = requests.head(fakehub.hf_file_url(TINY_REPO, FILE), allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"] == "http://127.0.0.2:9/evil"
    fakehub.set_fault(f"civitai:{TINY_LORA_FILE_ID}", Fault(redirect_to="http://127.0.0.2:9/evil"))
    civitai = requests.get(fakehub.civitai_download_url(TINY_LORA_VERSION_ID), allow_redirects=False)
    assert civitai.status_code == 307 and civitai.headers["Location"] == "http://127.0.0.2:9/evil"


def test_faults_apply_to_regular_files_served_by_the_hub(fakehub):
    fakehub.set_fault(f"{TINY_BERT_REPO}/vocab.txt", Fault(fail_first=1))
    url = fakehub.hf_file_url(TINY_BERT_REPO, "vocab.txt")
    assert requests.head(url).status_code == 200  # HEAD does not count
    assert [requests.get(url).status_code for _ in range(2)] == [503, 200]


def test_times_none_repeats_and_faults_combine(fakehub):
    fakehub.set_fault(KEY, Fault(fail_first=1, drop_after_bytes=100, times=2))
    url = cdn_location(fakehub)
    results = [raw_get(url)[0::2] for _ in range(4)]
    assert [status for status, _ in results] == [503, 200, 200, 200]
    assert [len(body) for _, body in results[1:]] == [100, 100, len(payload(fakehub))]


def test_clear_faults_and_reset(fakehub):
    fakehub.set_fault(KEY, Fault(fail_first=5))
    fakehub.clear_faults()
    assert requests.get(cdn_location(fakehub)).status_code == 200
    fakehub.set_fault(KEY, Fault(fail_first=5))
    fakehub.reset()
    assert requests.get(cdn_location(fakehub)).status_code == 200 and len(fakehub.requests) == 2


def test_stalled_response_is_released_by_reset(fakehub):
    fakehub.set_fault(KEY, Fault(stall_after_bytes=10, stall_seconds=60))
    cdn = urlsplit(fakehub.cdn_url)
    sock = socket.create_connection((cdn.hostname, cdn.port))
    location = urlsplit(cdn_location(fakehub))
    sock.sendall(f"GET {location.path}?{location.query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    sock.settimeout(5)
    time.sleep(0.3)
    fakehub.reset()
    received = b""
    started = time.monotonic()
    while chunk := sock.recv(65536):
        received += chunk
    sock.close()
    assert time.monotonic() - started < 3 and received.startswith(b"HTTP/1.1 200")


def test_fault_body_matches_sha_when_resumed_after_drop(fakehub):
    fakehub.set_fault(KEY, Fault(drop_after_bytes=12345))
    url = cdn_location(fakehub)
    _, _, first, _ = raw_get(url)
    _, _, rest, _ = raw_get(url, {"Range": f"bytes={len(first)}-"})
    good = payload(fakehub)
    assert hashlib.sha256(first + rest).hexdigest() == hashlib.sha256(good).hexdigest()


def test_a_list_of_faults_scripts_successive_requests(fakehub):
    date = "Wed, 21 Oct 2099 07:28:00 GMT"
    fakehub.set_fault(KEY, [Fault(fail_first=1, retry_after=7), Fault(fail_first=1, retry_after=date),
                            Fault(fail_first=1, ratelimit_header='"api";r=0;t=3'), Fault(drop_after_bytes=50)])
    url = cdn_location(fakehub)
    answers = [requests.get(url) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 429]
    assert answers[0].headers["Retry-After"] == "7" and answers[1].headers["Retry-After"] == date
    assert answers[2].headers["RateLimit"] == '"api";r=0;t=3'
    status, _, body, clean = raw_get(url)
    assert status == 200 and len(body) == 50 and not clean
    assert raw_get(url)[2] == payload(fakehub)
