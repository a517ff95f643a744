"""The Upload page without JavaScript: a multipart form that streams files into the library, refuses
what is not a model file, and lists unfinished uploads to cancel."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from storage import uploads
from storage.models import LocalFile, Upload
from tests.fakehub.hub import FakeHub

pytestmark = pytest.mark.django_db

CONTENT = FakeHub.safetensors_bytes({"model.weight": ("F16", [32, 32])}, seed=11)


@pytest.fixture(autouse=True)
def no_hub(settings):
    settings.CIVITAI_ENDPOINT = "http://127.0.0.1:9"
    settings.HUB_TIMEOUT = 1


def test_the_storage_page_links_to_the_upload_page(logged_in_client):
    page = logged_in_client.get("/storage/").content.decode()
    assert 'href="/storage/upload/"' in page


def test_the_page_shows_a_multipart_form_for_model_files(logged_in_client):
    response = logged_in_client.get("/storage/upload/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and 'name="files"' in page
    assert 'accept=".gguf,.safetensors,.ckpt,.pt,.bin"' in page


def test_posting_files_puts_them_in_the_library(logged_in_client, models_dir):
    response = logged_in_client.post("/storage/upload/", {"files": [
        SimpleUploadedFile("one.safetensors", CONTENT), SimpleUploadedFile("../two.safetensors", CONTENT[::-1])]},
        follow=True)

    assert response.status_code == 200
    assert "Uploaded one.safetensors to uploads/one.safetensors." in response.content.decode()
    assert (models_dir / "uploads" / "one.safetensors").read_bytes() == CONTENT
    assert (models_dir / "uploads" / "two.safetensors").read_bytes() == CONTENT[::-1]
    row = LocalFile.objects.get(path="uploads/one.safetensors")
    assert row.sha256 == hashlib.sha256(CONTENT).hexdigest() and row.header["format"] == "safetensors"
    assert list((models_dir / ".modella-uploads").iterdir()) == []


def test_a_file_that_is_not_a_model_is_refused_unread(logged_in_client, models_dir):
    response = logged_in_client.post("/storage/upload/", {"files": [SimpleUploadedFile("notes.txt", b"hello")]})

    assert response.status_code == 400
    page = response.content.decode()
    assert "“notes.txt” is not a model file" in page and 'aria-invalid="true"' in page
    assert LocalFile.objects.count() == 0
    assert not list(models_dir.rglob("*.part"))  # skipped: not a byte of it was written


def test_posting_nothing_asks_for_a_file(logged_in_client):
    response = logged_in_client.post("/storage/upload/", {})

    assert response.status_code == 400
    assert "Choose one or more model files" in response.content.decode()


def test_a_form_that_would_not_fit_is_refused_before_reading_it(logged_in_client, settings):
    settings.STORAGE_RESERVE_BYTES = 10**18

    response = logged_in_client.post("/storage/upload/", {"files": [SimpleUploadedFile("a.gguf", b"GGUF....")]})

    assert response.status_code == 507
    assert "needs" in response.content.decode()
    assert LocalFile.objects.count() == 0


def test_a_form_without_a_csrf_token_is_refused_and_leaves_no_file(user, models_dir):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/storage/upload/", {"files": [SimpleUploadedFile("a.gguf", b"GGUF....")]})

    assert response.status_code == 403
    assert LocalFile.objects.count() == 0
    assert not list(models_dir.rglob("*.part"))


def test_unfinished_uploads_are_listed_and_can_be_cancelled(logged_in_client, user, models_dir):
    upload = uploads.start(user, "half-done.gguf", 1000)

    page = logged_in_client.get("/storage/upload/").content.decode()
    assert "half-done.gguf" in page

    response = logged_in_client.post(f"/storage/upload/{upload.pk}/cancel/", follow=True)

    assert "Cancelled the upload of half-done.gguf." in response.content.decode()
    assert Upload.objects.count() == 0
    assert not (models_dir / ".modella-uploads" / f"{upload.pk}.part").exists()


def test_another_users_upload_cannot_be_cancelled(logged_in_client, other_user):
    upload = uploads.start(other_user, "theirs.gguf", 1000)

    assert logged_in_client.post(f"/storage/upload/{upload.pk}/cancel/").status_code == 404
    assert Upload.objects.count() == 1


def test_the_panel_and_its_script_are_on_every_page_for_signed_in_users(logged_in_client, client):
    page = logged_in_client.get("/storage/").content.decode()
    assert 'id="upload-panel"' in page and "js/upload.js" in page and 'data-api="/api/v1/uploads"' in page


def test_a_form_with_its_csrf_token_is_received_by_the_streaming_handler(user, models_dir):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/storage/upload/")
    token = client.cookies["csrftoken"].value

    response = client.post("/storage/upload/", {"csrfmiddlewaretoken": token,
                                                "files": [SimpleUploadedFile("a.safetensors", CONTENT)]})

    assert response.status_code == 302
    assert (models_dir / "uploads" / "a.safetensors").read_bytes() == CONTENT


def test_a_garbled_content_length_is_a_form_error_not_a_server_error(logged_in_client, models_dir):
    response = logged_in_client.post("/storage/upload/", {"files": [SimpleUploadedFile("a.gguf", b"GGUF....")]},
                                     CONTENT_LENGTH="lots")

    assert response.status_code == 400
    assert LocalFile.objects.count() == 0 and not list(models_dir.rglob("*.part"))


def test_cancelling_while_a_chunk_is_received_says_to_try_again(logged_in_client, user, models_dir):
    import fcntl

    upload = uploads.start(user, "busy.gguf", 1000)
    with open(models_dir / ".modella-uploads" / f"{upload.pk}.part", "r+b") as busy:
        fcntl.flock(busy, fcntl.LOCK_EX)  # a chunk of it is being written right now
        response = logged_in_client.post(f"/storage/upload/{upload.pk}/cancel/", follow=True)

    assert response.status_code == 200 and "try again in a moment" in response.content.decode()
    assert Upload.objects.filter(pk=upload.pk).exists()
