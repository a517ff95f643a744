"""Scanning the models folder: finds files Modella did not download, hashes them once, imports them."""

import hashlib
import os

import pytest
from django.core.management import call_command
from django.urls import reverse

from storage import scan
from storage.models import LocalFile
from storage.usage import usage
from tests.fakehub.hub import FakeHub

pytestmark = pytest.mark.django_db

MB = 1024**2


@pytest.fixture
def files_on_disk(make_file):
    make_file("comfy/checkpoints/dream.safetensors", content=b"x" * 3000)
    make_file("llm/tiny.gguf", content=FakeHub.gguf_bytes())
    make_file("old/thing.ckpt", 1 * MB)
    make_file("old/weights.pt", 10)
    make_file("old/pytorch_model.bin", 20)
    make_file("notes/readme.txt", 5)  # not a model file
    make_file(".cache/hub/blob.safetensors", 5)  # hidden folders are other tools' caches


def test_it_finds_hashes_and_imports_model_files(files_on_disk, models_dir):
    result = scan.scan(identify_files=False)

    assert result.found == 5 and result.hashed == 5
    assert set(LocalFile.objects.values_list("path", flat=True)) == {
        "comfy/checkpoints/dream.safetensors", "llm/tiny.gguf", "old/thing.ckpt", "old/weights.pt",
        "old/pytorch_model.bin",
    }
    row = LocalFile.objects.get(path="comfy/checkpoints/dream.safetensors")
    assert row.sha256 == hashlib.sha256(b"x" * 3000).hexdigest()
    assert row.size == 3000
    gguf = LocalFile.objects.get(path="llm/tiny.gguf")
    assert gguf.header.get("format") == "gguf" and gguf.model_type == "LLM"
    assert usage()["model_count"] == 5


def test_a_second_scan_reads_no_file_data(files_on_disk):
    first = scan.scan(identify_files=False)
    assert first.bytes_hashed > 0

    second = scan.scan(identify_files=False)

    assert second.bytes_hashed == 0 and second.bytes_read == 0
    assert second.found == 5 and second.cached == 5 and second.hashed == 0
    assert LocalFile.objects.count() == 5


def test_a_changed_file_is_hashed_again(make_file, models_dir):
    path = make_file("a/model.safetensors", content=b"one")
    scan.scan(identify_files=False)
    path.write_bytes(b"two!")
    os.utime(path, (1, 1))

    result = scan.scan(identify_files=False)

    assert result.hashed == 1 and result.bytes_hashed == 4
    assert LocalFile.objects.get().sha256 == hashlib.sha256(b"two!").hexdigest()


def test_files_modella_downloaded_are_not_scanned(downloaded_variant):
    downloaded_variant("acme/x/downloaded.gguf", 2 * MB)
    result = scan.scan(identify_files=False)
    assert result.found == 0 and result.bytes_read == 0
    assert not LocalFile.objects.exists()


def test_files_that_went_away_are_forgotten(make_file, models_dir):
    make_file("a/model.gguf", 10)
    scan.scan(identify_files=False)
    (models_dir / "a/model.gguf").unlink()
    assert scan.scan(identify_files=False).forgotten == 1
    assert not LocalFile.objects.exists()


def test_symlinks_are_not_followed(models_dir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.gguf").write_bytes(b"not yours")
    os.symlink(outside, models_dir / "linked")
    os.symlink(outside / "secret.gguf", models_dir / "link.gguf")
    assert scan.scan(identify_files=False).found == 0


def test_the_command_scans_synchronously(files_on_disk, capsys):
    call_command("scan_models", "--no-identify")
    assert "5 model files found: 5 hashed" in capsys.readouterr().out
    assert LocalFile.objects.count() == 5


def test_the_page_starts_a_scan_as_a_background_task(logged_in_client, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, **kw: queued.append(func))
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in_client.post(reverse("storage:scan"))
    assert response.status_code == 302
    assert queued == ["storage.tasks.scan_models_folder"]


def test_the_scan_task_returns_its_counts(files_on_disk):
    from storage import tasks

    assert tasks.scan_models_folder()["found"] == 5


def test_scan_needs_post(logged_in_client):
    assert logged_in_client.get(reverse("storage:scan")).status_code == 405
