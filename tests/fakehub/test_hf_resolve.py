"""/resolve and the CDN: redirects, headers, ranges, signed URLs, and hf_hub_download end to end."""

import hashlib
import time

import pytest
import requests
from huggingface_hub import get_hf_file_metadata, hf_hub_download

from tests.fakehub import Fault
from tests.fakehub.catalog_seed import MEDIUM_REPO, TINY_BERT_REPO, TINY_REPO


def entry(hub, repo_id, path):
    return hub.hf_repo(repo_id).head.files[path]


def test_head_on_lfs_file_is_a_302_with_linked_headers(fakehub):
    response = requests.head(fakehub.hf_file_url(TINY_REPO, "tiny-q8_0.gguf"), allow_redirects=False)
    file = entry(fakehub, TINY_REPO, "tiny-q8_0.gguf")
    assert response.status_code == 302
    assert response.headers["X-Linked-Etag"] == f'"{file.sha256}"'
    assert response.headers["X-Linked-Size"] == str(file.size)
    assert response.headers["X-Repo-Commit"] == fakehub.hf_repo(TINY_REPO).head.sha
    assert response.headers["Location"].startswith(f"{fakehub.cdn_url}/repos/")
    assert "response-content-disposition=" in response.headers["Location"]
    assert int(response.headers["Content-Length"]) != file.size
    assert "X-Xet-Hash" not in response.headers


def test_regular_file_is_served_by_the_hub_with_git_sha1_etag(fakehub):
    response = requests.get(fakehub.hf_file_url(TINY_BERT_REPO, "config.json"))
    file = entry(fakehub, TINY_BERT_REPO, "config.json")
    assert response.status_code == 200 and response.content == file.content.read()
    assert response.headers["ETag"] == f'"{file.blob_id}"'
    expected = hashlib.sha1(f"blob {file.size}\0".encode() + response.content).hexdigest()
    assert file.blob_id == expected
    assert response.headers["X-Repo-Commit"] and "X-Linked-Etag" not in response.headers


def test_weights_are_lfs_whatever_their_size(fakehub):
    response = requests.head(fakehub.hf_file_url(TINY_BERT_REPO, "pytorch_model.bin"), allow_redirects=False)
    assert response.status_code == 302


def test_missing_file_is_entry_not_found_with_commit(fakehub):
    response = requests.head(fakehub.hf_file_url(TINY_REPO, "nope.gguf"))
    assert response.status_code == 404 and response.headers["X-Error-Code"] == "EntryNotFound"
    assert response.headers["X-Repo-Commit"] == fakehub.hf_repo(TINY_REPO).head.sha


def test_get_hf_file_metadata_reads_sha256_etag_and_size(fakehub):
    meta = get_hf_file_metadata(fakehub.hf_file_url(TINY_REPO, "tiny-f16.gguf"))
    file = entry(fakehub, TINY_REPO, "tiny-f16.gguf")
    assert (meta.etag, meta.size, meta.commit_hash) == (file.sha256, file.size,
                                                         fakehub.hf_repo(TINY_REPO).head.sha)
    assert meta.location.startswith(fakehub.cdn_url)


def test_cdn_range_semantics(fakehub):
    location = requests.head(fakehub.hf_file_url(TINY_REPO, "tiny-q8_0.gguf")).headers["Location"]
    data = entry(fakehub, TINY_REPO, "tiny-q8_0.gguf").content.read()
    size = len(data)

    one = requests.get(location, headers={"Range": "bytes=0-0"})
    assert one.status_code == 206 and one.content == data[:1]
    assert one.headers["Content-Range"] == f"bytes 0-0/{size}"

    tail = requests.get(location, headers={"Range": "bytes=1000-"})
    assert tail.status_code == 206 and tail.content == data[1000:]
    assert tail.headers["Content-Range"] == f"bytes 1000-{size - 1}/{size}"

    suffix = requests.get(location, headers={"Range": "bytes=-10"})
    assert suffix.content == data[-10:]

    past_end = requests.get(location, headers={"Range": f"bytes={size}-"})
    assert past_end.status_code == 416 and past_end.headers["Content-Range"] == f"bytes */{size}"

    full = requests.get(location)
    assert full.status_code == 200 and full.content == data and full.headers["Accept-Ranges"] == "bytes"
    assert 'filename="tiny-q8_0.gguf"' in full.headers["Content-Disposition"]

    stale = requests.get(location, headers={"Range": "bytes=10-", "If-Range": '"other"'})
    assert stale.status_code == 200 and len(stale.content) == size
    fresh = requests.get(location, headers={"Range": "bytes=10-", "If-Range": full.headers["ETag"]})
    assert fresh.status_code == 206


def test_cdn_needs_no_authorization_and_logs_whether_it_got_one(fakehub):
    location = requests.head(fakehub.hf_file_url(TINY_REPO, "tiny-q4_k_m.gguf")).headers["Location"]
    assert requests.get(location).status_code == 200
    requests.get(location, headers={"Authorization": "Bearer hf_good"})
    cdn = [r for r in fakehub.requests if r.listener == "cdn"]
    assert [r.has_auth for r in cdn] == [False, True]


def test_tampered_signed_url_is_access_denied(fakehub):
    location = requests.head(fakehub.hf_file_url(TINY_REPO, "tiny-q4_k_m.gguf")).headers["Location"]
    forged = location.replace("Expires=", "Expires=9")
    response = requests.get(forged)
    assert response.status_code == 403 and b"<Code>AccessDenied</Code>" in response.content


def test_hf_hub_download_fetches_and_caches_with_sha256_blob(fakehub, tmp_path):
    path = hf_hub_download(TINY_REPO, "tiny-f16.gguf", endpoint=fakehub.hf_url, cache_dir=tmp_path)
    file = entry(fakehub, TINY_REPO, "tiny-f16.gguf")
    assert hashlib.sha256(open(path, "rb").read()).hexdigest() == file.sha256
    blob = tmp_path / "models--acme--tiny-llama-gguf" / "blobs" / file.sha256
    assert blob.exists()
    cdn_gets = [r for r in fakehub.requests_for("/repos/") if r.method == "GET"]
    assert cdn_gets and not any(r.has_auth for r in cdn_gets)


def test_hf_hub_download_drops_token_on_the_cdn(fakehub, tmp_path):
    hf_hub_download(TINY_REPO, "tiny-q4_k_m.gguf", endpoint=fakehub.hf_url, cache_dir=tmp_path, token="hf_good")
    resolve = fakehub.requests_for("/resolve/main/tiny-q4_k_m.gguf")
    cdn = fakehub.requests_for("/repos/")
    assert all(r.has_auth for r in resolve) and not any(r.has_auth for r in cdn)


def test_hf_hub_download_resumes_after_a_dropped_connection(fakehub, tmp_path):
    # hfh writes in 10 MiB chunks, so drop after two of them to see an in-process Range resume.
    fakehub.set_fault(f"{MEDIUM_REPO}/medium-q4_k_m.gguf", Fault(drop_after_bytes=25 * 1024 * 1024))
    path = hf_hub_download(MEDIUM_REPO, "medium-q4_k_m.gguf", endpoint=fakehub.hf_url, cache_dir=tmp_path)
    file = entry(fakehub, MEDIUM_REPO, "medium-q4_k_m.gguf")
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    assert digest.hexdigest() == file.sha256
    gets = [r for r in fakehub.requests_for("/repos/") if r.method == "GET"]
    assert len(gets) == 2 and gets[0].range is None and gets[0].bytes_sent == 25 * 1024 * 1024
    start = int(gets[1].range.removeprefix("bytes=").split("-")[0])
    assert start > 0 and gets[1].status == 206
    assert fakehub.bytes_sent_for("/repos/") == 25 * 1024 * 1024 + file.size - start


def test_replaced_file_gets_new_commit_and_etag(fakehub):
    before = get_hf_file_metadata(fakehub.hf_file_url(TINY_REPO, "tiny-q4_k_m.gguf"))
    fakehub.replace_hf_file(TINY_REPO, "tiny-q4_k_m.gguf", fakehub.gguf_file(quant="Q4_K_M", tensor_elements=4096))
    after = get_hf_file_metadata(fakehub.hf_file_url(TINY_REPO, "tiny-q4_k_m.gguf"))
    assert after.commit_hash != before.commit_hash and after.etag != before.etag
    pinned = get_hf_file_metadata(fakehub.hf_file_url(TINY_REPO, "tiny-q4_k_m.gguf", revision=before.commit_hash))
    assert pinned.etag == before.etag
    old_blob = requests.get(pinned.location)
    assert hashlib.sha256(old_blob.content).hexdigest() == before.etag


@pytest.mark.parametrize("size", [5 * 1024 * 1024 + 3])
def test_generated_content_downloads_byte_exact(fakehub, size):
    content = fakehub.generated(size, seed=11)
    fakehub.add_hf_repo("tests/generated", files={"blob.bin": content})
    started = time.time()
    body = requests.get(fakehub.hf_file_url("tests/generated", "blob.bin")).content
    assert len(body) == size and hashlib.sha256(body).hexdigest() == content.sha256
    assert time.time() - started < 5


def test_optional_relative_redirect_through_the_resolve_cache(fakehub, tmp_path):
    fakehub.hf_resolve_cache = True
    url = fakehub.hf_file_url(TINY_BERT_REPO, "config.json")
    first = requests.head(url, allow_redirects=False)
    assert first.status_code == 307 and first.headers["Location"].startswith("/api/resolve-cache/models/")
    assert requests.get(url).content == entry(fakehub, TINY_BERT_REPO, "config.json").content.read()
    path = hf_hub_download(TINY_BERT_REPO, "config.json", endpoint=fakehub.hf_url, cache_dir=tmp_path)
    assert open(path, "rb").read() == entry(fakehub, TINY_BERT_REPO, "config.json").content.read()
