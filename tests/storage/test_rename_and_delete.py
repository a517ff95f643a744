"""Renaming and deleting library files, from the page and the API; hostile names are refused."""

import json
import os

import pytest
from django.urls import reverse

from catalog.models import ModelRepository, ModelVariant
from modella.errors import InvalidFileName, InvalidInput
from storage import disk, library
from storage.models import LocalFile
from storage.usage import known_entries
from tests.factories import LocalFileFactory, ModelRepositoryFactory

pytestmark = pytest.mark.django_db

MB = 1024**2

HOSTILE = ["../escape.gguf", "/etc/passwd", "a/../../b.gguf", "..", "bad\x00name.gguf", "x" * 300 + ".gguf",
           "evil\u202egguf.exe", "C:\\win.gguf", "a\\b.gguf", ""]


@pytest.fixture
def local_file(make_file):
    make_file("mine/model.safetensors", 2 * MB)
    return LocalFileFactory(path="mine/model.safetensors", size=2 * MB)


def test_a_local_file_is_renamed_on_disk_and_in_the_database(local_file, models_dir):
    local_file.rename("better.safetensors")
    local_file.refresh_from_db()
    assert local_file.path == "mine/better.safetensors"
    assert (models_dir / "mine/better.safetensors").stat().st_size == 2 * MB
    assert not (models_dir / "mine/model.safetensors").exists()


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused_and_nothing_moves(local_file, models_dir, name):
    with pytest.raises((InvalidFileName, InvalidInput)):
        local_file.rename(name)
    assert (models_dir / "mine/model.safetensors").exists()
    assert sorted(p.name for p in models_dir.rglob("*")) == ["mine", "model.safetensors"]


def test_a_rename_never_replaces_another_file(local_file, make_file, models_dir):
    make_file("mine/taken.safetensors", content=b"keep me")
    with pytest.raises(InvalidInput):
        local_file.rename("taken.safetensors")
    assert (models_dir / "mine/taken.safetensors").read_bytes() == b"keep me"
    assert (models_dir / "mine/model.safetensors").exists()


def test_a_rename_through_a_symlink_pointing_outside_is_refused(local_file, models_dir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, models_dir / "mine" / "link")
    with pytest.raises(InvalidFileName):
        local_file.rename("mine/link/stolen.safetensors")
    assert list(outside.iterdir()) == []


def test_a_symlink_pointing_outside_is_never_deleted_through(models_dir, tmp_path):
    victim = tmp_path / "victim.gguf"
    victim.write_bytes(b"precious")
    os.symlink(victim, models_dir / "link.gguf")
    row = LocalFileFactory(path="link.gguf")
    with pytest.raises(InvalidFileName):
        row.remove()
    assert victim.read_bytes() == b"precious"
    with pytest.raises(InvalidFileName):
        disk.delete("link.gguf")
    with pytest.raises(InvalidFileName):
        disk.delete("../victim.gguf")
    assert victim.exists()


def test_deleting_the_last_file_keeps_the_repository_in_the_catalog_as_available(downloaded_variant, models_dir):
    repo = ModelRepositoryFactory(repo="acme/only-GGUF")
    variant = downloaded_variant("acme/only-GGUF/only.gguf", 4 * MB, repository=repo)

    freed = library.remove_entry(known_entries()[0])

    assert freed == 4 * MB
    assert not (models_dir / "acme/only-GGUF/only.gguf").exists()
    variant.refresh_from_db()
    assert variant.local_path == "" and not variant.is_downloaded
    assert ModelRepository.objects.filter(repo="acme/only-GGUF").exists()
    assert ModelVariant.objects.filter(pk=variant.pk).exists()


def test_deleting_a_split_set_removes_every_part(downloaded_variant, models_dir):
    downloaded_variant("acme/big/big.gguf", 9 * MB, parts=3)
    assert library.remove_entry(known_entries()[0]) == 9 * MB
    assert list(models_dir.rglob("*.gguf")) == []


def test_the_page_deletes_with_a_confirmation_page_without_javascript(logged_in_client, downloaded_variant, models_dir):
    variant = downloaded_variant("a/b/gone.gguf", MB)
    url = reverse("storage:delete", args=["variant", variant.pk])

    confirm = logged_in_client.get(url)
    assert confirm.status_code == 200 and b"Delete gone.gguf?" in confirm.content
    assert (models_dir / "a/b/gone.gguf").exists()  # a GET never deletes

    response = logged_in_client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("storage:index")
    assert not (models_dir / "a/b/gone.gguf").exists()


def test_htmx_delete_answers_with_the_library_and_a_storage_changed_event(logged_in_client, downloaded_variant):
    keep = downloaded_variant("a/b/keep.gguf", MB)
    gone = downloaded_variant("a/c/gone.gguf", MB)
    response = logged_in_client.post(reverse("storage:delete", args=["variant", gone.pk]),
                                     HTTP_HX_REQUEST="true", HTTP_HX_TARGET="storage-library")
    assert response.status_code == 200
    assert "storage-changed" in json.loads(response["HX-Trigger"])
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="storage-library"')
    assert f"entry-variant-{keep.pk}" in html and f"entry-variant-{gone.pk}" not in html
    assert "Deleted gone.gguf" in html


def test_htmx_rename_errors_come_back_into_the_dialog(logged_in_client, local_file):
    response = logged_in_client.post(reverse("storage:rename", args=["file", local_file.pk]), {"name": "../x.gguf"},
                                     HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#storage-dialog-body"
    assert b"not allowed" in response.content
    assert "HX-Trigger" not in response


def test_the_page_renames_a_file(logged_in_client, local_file, models_dir):
    response = logged_in_client.post(reverse("storage:rename", args=["file", local_file.pk]), {"name": "new.safetensors"})
    assert response.status_code == 302
    assert (models_dir / "mine/new.safetensors").exists()


def test_a_bad_rename_without_javascript_shows_the_form_again(logged_in_client, local_file):
    response = logged_in_client.post(reverse("storage:rename", args=["file", local_file.pk]), {"name": "/etc/x"})
    assert response.status_code == 400
    assert b'aria-invalid="true"' in response.content


def test_renaming_a_downloaded_variant_updates_its_local_path(downloaded_variant, models_dir):
    variant = downloaded_variant("acme/r/old.gguf", MB)
    library.rename_entry(known_entries()[0], "new.gguf")
    variant.refresh_from_db()
    assert variant.local_path == "acme/r/new.gguf" and (models_dir / "acme/r/new.gguf").exists()


def test_the_api_renames_a_local_file(api_client, local_file):
    response = api_client.patch(f"/api/v1/local-files/{local_file.pk}", {"name": "api.safetensors"}, format="json")
    assert response.status_code == 200
    assert response.json()["path"] == "mine/api.safetensors"


@pytest.mark.parametrize("name", ["../../out.gguf", "/abs.gguf"])
def test_the_api_refuses_names_that_leave_the_models_directory(api_client, local_file, name):
    response = api_client.patch(f"/api/v1/local-files/{local_file.pk}", {"name": name}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_file_name"


def test_the_api_refuses_a_clash(api_client, local_file, make_file):
    make_file("mine/other.safetensors", 1)
    response = api_client.patch(f"/api/v1/local-files/{local_file.pk}", {"name": "other.safetensors"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_the_api_deletes_a_local_file(api_client, local_file, models_dir):
    assert api_client.delete(f"/api/v1/local-files/{local_file.pk}").status_code == 204
    assert not LocalFile.objects.exists()
    assert not (models_dir / "mine/model.safetensors").exists()
