"""Uploading model files through the API in chunks: offsets, resuming, refusals, and the finished
file in the library (hashed, probed, identified on the emulated Civitai)."""

import hashlib

import pytest

from storage import uploads
from storage.models import LocalFile, Upload
from tests.fakehub.hub import FakeHub

pytestmark = pytest.mark.django_db

LORA = FakeHub.safetensors_bytes({"lora_up.weight": ("F16", [64, 64]), "lora_down.weight": ("F16", [64, 64])},
                                 metadata={"ss_network_module": "networks.lora"}, seed=7)
SIZE = len(LORA)


def create(api_client, filename="my-style.safetensors", size=SIZE, **extra):
    return api_client.post("/api/v1/uploads", {"filename": filename, "size": size, **extra}, format="json")


def send(api_client, upload_id, offset, chunk, **headers):
    if "HTTP_CONTENT_RANGE" not in headers:
        headers["HTTP_UPLOAD_OFFSET"] = str(offset)
    return api_client.generic("PATCH", f"/api/v1/uploads/{upload_id}", data=chunk,
                              content_type="application/octet-stream", **headers)


def upload_in_chunks(api_client, content, chunk_size, filename="my-style.safetensors"):
    upload_id = create(api_client, filename, len(content)).json()["id"]
    response = None
    for start in range(0, len(content), chunk_size):
        response = send(api_client, upload_id, start, content[start : start + chunk_size])
        assert response.status_code == 200, response.json()
    return response.json()


def test_an_upload_starts_at_offset_zero_with_an_empty_hidden_partial(api_client, models_dir):
    response = create(api_client)

    assert response.status_code == 201
    body = response.json()
    assert body["offset"] == 0 and body["size"] == len(LORA) and body["status"] == "uploading"
    assert body["chunk_size"] > 0 and response["Upload-Offset"] == "0"
    assert response["Location"].endswith(f"/api/v1/uploads/{body['id']}")
    partial = models_dir / ".modella-uploads" / f"{body['id']}.part"
    assert partial.is_file() and partial.stat().st_size == 0


def test_chunks_build_the_file_and_the_last_one_adds_it_to_the_library(api_client, models_dir):
    body = upload_in_chunks(api_client, LORA, 1000)

    assert body["status"] == "completed" and body["offset"] == len(LORA) and body["progress"] == 100.0
    assert body["path"] == "uploads/my-style.safetensors"
    assert body["sha256"] == hashlib.sha256(LORA).hexdigest()
    assert (models_dir / "uploads" / "my-style.safetensors").read_bytes() == LORA
    assert list((models_dir / ".modella-uploads").iterdir()) == []
    row = LocalFile.objects.get(path="uploads/my-style.safetensors")
    assert row.sha256 == body["sha256"] and row.size == len(LORA) and body["local_file"]["id"] == row.pk
    assert row.header["format"] == "safetensors" and row.model_type == "LORA"  # probed like a scanned file


def test_the_offset_can_come_from_a_content_range_header(api_client, models_dir):
    upload_id = create(api_client).json()["id"]
    half = len(LORA) // 2

    first = send(api_client, upload_id, None, LORA[:half], HTTP_CONTENT_RANGE=f"bytes 0-{half - 1}/{len(LORA)}")
    last = send(api_client, upload_id, None, LORA[half:],
                HTTP_CONTENT_RANGE=f"bytes {half}-{len(LORA) - 1}/{len(LORA)}")

    assert first.json()["offset"] == half
    assert last.json()["status"] == "completed"


def test_a_chunk_at_the_wrong_offset_is_refused_with_the_offset_to_continue_from(api_client):
    upload_id = create(api_client).json()["id"]
    send(api_client, upload_id, 0, LORA[:500])

    again = send(api_client, upload_id, 0, LORA[:500])  # e.g. the answer to the first was lost
    ahead = send(api_client, upload_id, 900, LORA[900:1000])

    for response in (again, ahead):
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "offset_mismatch"
        assert response.json()["error"]["details"]["offset"] == 500
        assert response["Upload-Offset"] == "500"
    assert Upload.objects.get().offset == 500


def test_head_and_get_tell_where_an_interrupted_upload_stands_and_the_rest_completes_it(api_client, models_dir):
    upload_id = create(api_client).json()["id"]
    # The connection dropped inside the second chunk: the server keeps the bytes that arrived.
    send(api_client, upload_id, 0, LORA[:1000])
    partial = models_dir / ".modella-uploads" / f"{upload_id}.part"
    stream = _CutStream(LORA[1000:2000], cut_after=321)
    uploads.receive(Upload.objects.get(pk=upload_id), 1000, stream, 1000)

    head = api_client.head(f"/api/v1/uploads/{upload_id}")
    get = api_client.get(f"/api/v1/uploads/{upload_id}")

    assert head.status_code == 200 and head["Upload-Offset"] == "1321" and head["Upload-Length"] == str(len(LORA))
    assert get.json()["offset"] == 1321 and get.json()["status"] == "uploading"
    assert partial.stat().st_size == 1321
    done = send(api_client, upload_id, 1321, LORA[1321:])
    assert done.json()["status"] == "completed"
    assert done.json()["sha256"] == hashlib.sha256(LORA).hexdigest()


def test_bytes_written_but_never_acknowledged_are_cut_off_before_the_next_chunk(api_client, models_dir):
    """A crash between writing a chunk and recording its offset leaves extra bytes in the partial."""
    upload_id = create(api_client).json()["id"]
    send(api_client, upload_id, 0, LORA[:1000])
    with open(models_dir / ".modella-uploads" / f"{upload_id}.part", "ab") as fh:
        fh.write(b"garbage that was never acknowledged")
    uploads._hashers.clear()  # as after a restart: the hash is rebuilt from the file

    done = send(api_client, upload_id, 1000, LORA[1000:])

    assert done.json()["sha256"] == hashlib.sha256(LORA).hexdigest()
    assert (models_dir / "uploads" / "my-style.safetensors").read_bytes() == LORA


def test_a_second_writer_of_the_same_upload_is_told_to_wait(api_client, models_dir):
    import fcntl

    upload_id = create(api_client).json()["id"]
    with open(models_dir / ".modella-uploads" / f"{upload_id}.part", "r+b") as busy:
        fcntl.flock(busy, fcntl.LOCK_EX)  # as a chunk being received by another request or process
        response = send(api_client, upload_id, 0, LORA[:1000])

    assert response.status_code == 409 and response.json()["error"]["code"] == "upload_busy"
    assert response.json()["error"]["details"]["offset"] == 0
    assert send(api_client, upload_id, 0, LORA[:1000]).json()["offset"] == 1000


def test_a_chunk_past_the_announced_size_is_refused(api_client):
    upload_id = create(api_client, size=100).json()["id"]

    response = send(api_client, upload_id, 0, b"x" * 101)

    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_input"


def test_a_chunk_without_an_offset_is_refused_with_an_explanation(api_client):
    upload_id = create(api_client).json()["id"]

    response = api_client.generic("PATCH", f"/api/v1/uploads/{upload_id}", data=b"abc",
                                  content_type="application/octet-stream")

    assert response.status_code == 400 and "Upload-Offset" in response.json()["error"]["message"]


@pytest.mark.parametrize("hostile, expected", [
    ("../../etc/evil.gguf", "evil.gguf"),
    ("/abs/path/model.safetensors", "model.safetensors"),
    ("..\\..\\windows\\x.gguf", "x.gguf"),
    ("nul.gguf", "_nul.gguf"),
    ("bidi\u202efdp.gguf", "bidifdp.gguf"),
    (".hidden.gguf", "hidden.gguf"),
])
def test_hostile_names_are_sanitised_and_stay_in_the_uploads_folder(api_client, models_dir, hostile, expected):
    body = upload_in_chunks(api_client, LORA, 4096, filename=hostile)

    assert body["path"] == f"uploads/{expected}"
    assert (models_dir / "uploads" / expected).read_bytes() == LORA


@pytest.mark.parametrize("name", ["notes.txt", "model.gguf.exe", "archive.zip", "", "...."])
def test_files_that_are_not_model_files_are_refused(api_client, name):
    response = create(api_client, filename=name)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    if name:
        assert ".gguf" in error["message"] and ".safetensors" in error["message"]
    assert Upload.objects.count() == 0


def test_an_upload_that_would_not_fit_is_refused_before_any_byte(api_client, settings):
    settings.STORAGE_RESERVE_BYTES = 10**18  # the disk is "full": nothing is left above the reserve

    response = create(api_client)

    assert response.status_code == 507
    assert response.json()["error"]["code"] == "insufficient_storage"
    assert response.json()["error"]["details"]["required_bytes"] == len(LORA)
    assert Upload.objects.count() == 0


def test_a_chunk_is_refused_when_the_disk_filled_up_meanwhile(api_client, settings):
    upload_id = create(api_client).json()["id"]
    settings.STORAGE_RESERVE_BYTES = 10**18

    response = send(api_client, upload_id, 0, LORA[:1000])

    assert response.status_code == 507
    assert Upload.objects.get().offset == 0


def test_unfinished_uploads_count_against_the_free_space(api_client, settings):
    from storage import disk

    free = disk.free_bytes()
    settings.STORAGE_RESERVE_BYTES = 0
    assert create(api_client, size=free // 2 + 1).status_code == 201

    assert create(api_client, size=free // 2 + 1).status_code == 507


def test_a_name_that_exists_gets_a_suffix_instead_of_replacing_the_file(api_client, models_dir):
    (models_dir / "uploads").mkdir()
    (models_dir / "uploads" / "my-style.safetensors").write_bytes(b"the user's own file")

    body = upload_in_chunks(api_client, LORA, 5000)

    assert body["path"] == "uploads/my-style-1.safetensors"
    assert (models_dir / "uploads" / "my-style.safetensors").read_bytes() == b"the user's own file"


def test_a_file_that_differs_from_the_announced_sha256_is_discarded(api_client, models_dir):
    upload_id = create(api_client, sha256="ab" * 32).json()["id"]

    response = send(api_client, upload_id, 0, LORA)

    assert response.status_code == 400 and response.json()["error"]["code"] == "checksum_mismatch"
    upload = Upload.objects.get()
    assert upload.status == "failed" and upload.error_code == "checksum_mismatch"
    assert not (models_dir / "uploads").exists() and LocalFile.objects.count() == 0


def test_a_file_already_in_the_library_is_not_uploaded_again(api_client):
    upload_in_chunks(api_client, LORA, 5000)

    again = create(api_client, sha256=hashlib.sha256(LORA).hexdigest())

    assert again.status_code == 409 and again.json()["error"]["code"] == "already_exists"
    assert again.json()["error"]["details"]["path"] == "uploads/my-style.safetensors"


def test_cancelling_removes_the_partial_file(api_client, models_dir):
    upload_id = create(api_client).json()["id"]
    send(api_client, upload_id, 0, LORA[:1000])

    response = api_client.delete(f"/api/v1/uploads/{upload_id}")

    assert response.status_code == 204
    assert not (models_dir / ".modella-uploads" / f"{upload_id}.part").exists()
    assert send(api_client, upload_id, 1000, LORA[1000:2000]).status_code == 404


def test_uploads_belong_to_the_user_who_started_them(api_client, other_user):
    from rest_framework.test import APIClient

    upload_id = create(api_client).json()["id"]
    stranger = APIClient()
    stranger.force_authenticate(other_user)

    assert stranger.get(f"/api/v1/uploads/{upload_id}").status_code == 404
    assert send(stranger, upload_id, 0, LORA[:10]).status_code == 404
    assert stranger.get("/api/v1/uploads").json()["count"] == 0
    assert api_client.get("/api/v1/uploads").json()["count"] == 1
    assert api_client.get("/api/v1/uploads/not-a-uuid").status_code == 404


def test_an_uploaded_file_is_identified_on_civitai_like_a_scanned_one(api_client, fakehub, settings):
    settings.CIVITAI_ENDPOINT = fakehub.civitai_url
    fakehub.add_civitai_model({
        "id": 4343, "name": "Uploaded Style", "type": "LORA", "nsfw": False,
        "modelVersions": [{
            "id": 5252, "name": "v1", "baseModel": "SDXL 1.0", "publishedAt": "2026-01-01T00:00:00.000Z",
            "files": [{"id": 6262, "name": "uploaded_style.safetensors", "sizeKB": len(LORA) / 1024,
                       "type": "Model", "primary": True, "metadata": {"format": "SafeTensor"}}],
        }],
    })
    fakehub.civitai_file_content(6262, LORA)

    body = upload_in_chunks(api_client, LORA, 5000)

    row = LocalFile.objects.get(pk=body["local_file"]["id"])
    assert row.source == "civitai" and row.base_model == "SDXL 1.0" and row.identified_at is not None
    assert row.variant.repository.repo == "civitai:4343"
    assert row.variant.local_path == "uploads/my-style.safetensors"


def test_a_later_scan_finds_the_uploaded_file_already_known(api_client, settings):
    from storage import scan

    settings.CIVITAI_ENDPOINT = "http://127.0.0.1:9"  # no hub: identification waits for the scan
    settings.HUB_TIMEOUT = 1
    upload_in_chunks(api_client, LORA, 5000)

    result = scan.scan(identify_files=False)

    assert result.found == 1 and result.cached == 1 and result.hashed == 0  # the partial folder is skipped
    assert LocalFile.objects.count() == 1


class _CutStream:
    """A request body whose connection drops after `cut_after` bytes."""

    def __init__(self, data: bytes, cut_after: int):
        self.data, self.cut_after, self.position = data, cut_after, 0

    def read(self, size: int) -> bytes:
        if self.position >= self.cut_after:
            raise ConnectionResetError("the client went away")
        block = self.data[self.position : min(self.position + size, self.cut_after)]
        self.position += len(block)
        return block


@pytest.mark.parametrize("offset", ["²", "-5", "1e3", " "])
def test_an_offset_that_is_not_a_plain_number_is_refused_not_a_server_error(api_client, offset):
    upload_id = create(api_client).json()["id"]

    response = send(api_client, upload_id, offset, LORA[:10])

    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_input"


def test_a_name_at_the_length_limit_that_exists_still_gets_a_suffix(api_client, models_dir):
    name = "a" * 243 + ".safetensors"  # 255 bytes: the longest a file name may be
    first = upload_in_chunks(api_client, LORA, len(LORA), filename=name)
    second = upload_in_chunks(api_client, LORA, len(LORA), filename=name)

    assert first["path"] == f"uploads/{name}"
    assert second["status"] == "completed" and second["path"] == f"uploads/{'a' * 241}-1.safetensors"
    assert (models_dir / second["path"]).read_bytes() == LORA


def test_an_upload_cannot_be_cancelled_while_a_chunk_is_being_received(api_client, models_dir):
    import fcntl

    upload_id = create(api_client).json()["id"]
    partial = models_dir / ".modella-uploads" / f"{upload_id}.part"
    with open(partial, "r+b") as busy:
        fcntl.flock(busy, fcntl.LOCK_EX)  # the last chunk being received and the file placed
        response = api_client.delete(f"/api/v1/uploads/{upload_id}")

    assert response.status_code == 409 and response.json()["error"]["code"] == "upload_busy"
    assert partial.exists() and Upload.objects.filter(pk=upload_id).exists()
    assert api_client.delete(f"/api/v1/uploads/{upload_id}").status_code == 204
    assert not partial.exists()
