"""Update checks: a downloaded file whose remote changed is marked, with what changed."""

import hashlib

import pytest

from catalog import updates
from catalog.models import ModelVariant
from catalog.sync import fetch_repository
from downloads import queue
from tests.catalog.helpers import QUANTS, add_quant_repo, gguf

FILE = "chat-7b.Q4_K_M.gguf"


@pytest.fixture
def downloaded(hub, models_dir):
    add_quant_repo(hub, quants=("Q4_K_M", "Q8_0"))
    repository = fetch_repository(QUANTS)
    variant = repository.variants.get(filename=FILE)
    path = models_dir / "huggingface" / QUANTS / FILE
    path.parent.mkdir(parents=True)
    path.write_bytes(gguf("Q4_K_M"))
    variant.mark_downloaded(f"huggingface/{QUANTS}/{FILE}", repository.remote_revision)
    return variant


def test_an_unchanged_remote_is_no_update(downloaded):
    assert updates.check_all() == 0
    downloaded.refresh_from_db()
    assert downloaded.update_available is False


def test_a_changed_remote_file_is_marked_with_what_changed(hub, downloaded):
    old_sha, old_commit = downloaded.sha256, downloaded.downloaded_revision
    commit = hub.replace_hf_file(QUANTS, FILE, gguf("Q4_K_M", params=8e9))
    assert updates.check_all() == 1
    downloaded.refresh_from_db()
    assert downloaded.update_available is True
    details = downloaded.update_details
    assert details["old"]["sha256"] == old_sha and details["old"]["revision"] == old_commit
    assert details["new"]["sha256"] == hub.hf_repo(QUANTS).head.files[FILE].sha256
    assert details["new"]["revision"] == commit.sha
    assert details["changed_files"] == [FILE]
    # The variant keeps describing the file on disk until the update is downloaded.
    assert downloaded.sha256 == old_sha


def test_a_change_to_another_file_is_no_update_for_this_one(hub, downloaded):
    hub.replace_hf_file(QUANTS, "chat-7b.Q8_0.gguf", gguf("Q8_0", params=8e9))
    assert updates.check_all() == 0


def test_the_api_check_shows_update_available(api_client, hub, downloaded):
    hub.replace_hf_file(QUANTS, FILE, gguf("Q4_K_M", params=9e9))
    data = api_client.post(f"/api/v1/modelfiles/{QUANTS}/check-updates").json()
    variant = next(v for v in data["variants"] if v["filename"] == FILE)
    assert variant["update_available"] is True
    assert variant["status"] == "downloaded"
    assert variant["update_details"]["changed_files"] == [FILE]


def test_an_unreachable_hub_does_not_stop_the_check(settings, downloaded):
    settings.HF_ENDPOINT = "http://127.0.0.1:9"
    assert updates.check_all() == 0


def test_the_check_is_scheduled():
    from modella.schedules import SCHEDULES

    assert "catalog.tasks.check_updates" in dict(SCHEDULES)


@pytest.mark.django_db(transaction=True)  # the engine's monitor thread reads the job on its own connection
def test_updating_keeps_the_old_file_until_the_new_one_is_verified(api_client, hub, downloaded, models_dir):
    old_bytes = (models_dir / downloaded.local_path).read_bytes()
    new_bytes = gguf("Q4_K_M", params=9e9)
    hub.replace_hf_file(QUANTS, FILE, new_bytes)
    updates.check_all()
    response = api_client.post(f"/api/v1/modelfiles/{QUANTS}/files/{FILE}/update")
    assert response.status_code == 202
    variant = ModelVariant.objects.get(pk=downloaded.pk)
    # Until the new file is verified the variant still describes the file on disk.
    assert variant.sha256 == hashlib.sha256(old_bytes).hexdigest()
    assert (models_dir / variant.local_path).read_bytes() == old_bytes  # queued, not yet run

    queue.run(response.json()["id"])
    variant.refresh_from_db()
    assert (models_dir / variant.local_path).read_bytes() == new_bytes
    assert variant.sha256 == hashlib.sha256(new_bytes).hexdigest()
    assert variant.update_available is False


def test_updating_without_an_update_is_invalid_input(api_client, downloaded):
    response = api_client.post(f"/api/v1/modelfiles/{QUANTS}/files/{FILE}/update")
    assert response.status_code == 400
