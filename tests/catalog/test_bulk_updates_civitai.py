"""Civitai updates: a newer version of the same model on the same base model (never another base),
Early Access versions marked and skipped, and each policy applied to the old version's file."""

import pytest

from catalog import civitai_store
from catalog import updates as catalog_updates
from catalog.models import ModelVariant
from downloads import queue, updates
from downloads.models import DownloadJob
from storage.models import LocalFile
from tests.fakehub.catalog_seed import _file, _model, _version

# The engine's monitor thread reads the job on its own connection: it must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

MODEL_ID = 4290
FOLDER = "civitai/LORA/Update Test LoRA-4290"
OLD_FILE = f"{FOLDER}/update_lora_v1.safetensors"
NEW_FILE = f"{FOLDER}/update_lora_v2.safetensors"
FUTURE = "2099-01-01T00:00:00.000Z"

V1 = _version(690001, "v1.0", "SDXL 1.0", "2025-01-01T10:00:00.000Z",
              [_file(790001, "update_lora_v1.safetensors", 3.0)], [])
V2 = _version(690002, "v2.0", "SDXL 1.0", "2025-03-01T10:00:00.000Z",
              [_file(790002, "update_lora_v2.safetensors", 4.0)], [])
V2_FLUX = _version(690003, "v2.0 Flux", "Flux.1 D", "2025-04-01T10:00:00.000Z",
                   [_file(790003, "update_lora_flux.safetensors", 5.0)], [])
V3_EARLY = {**_version(690004, "v3.0", "SDXL 1.0", "2025-05-01T10:00:00.000Z",
                       [_file(790004, "update_lora_v3.safetensors", 6.0)], []), "earlyAccessEndsAt": FUTURE}


def publish(hub, *versions):
    hub.add_civitai_model(_model(MODEL_ID, "Update Test LoRA", "LORA", "modella-tests", ["test"], list(versions),
                                 (1, 1, 0, 0)))


def run(job_id: int) -> DownloadJob:
    queue.run(job_id)
    return DownloadJob.objects.get(pk=job_id)


@pytest.fixture
def old_version(hub, models_dir):
    """v1.0 (SDXL) downloaded for real."""
    publish(hub, V1)
    job = run(civitai_store.queue_file(MODEL_ID, 790001).pk)
    assert job.status == "completed", job.error
    return ModelVariant.objects.get(civitai_file_id=790001)


def found(variant: ModelVariant):
    variant.refresh_from_db()
    return catalog_updates.describe(variant)


def test_a_new_version_on_the_same_base_model_is_an_update(hub, old_version):
    publish(hub, V2_FLUX, V2, V1)
    assert catalog_updates.check_all() == 1

    update = found(old_version)
    assert update.kind == "version" and not update.early_access
    assert update.target.civitai_file_id == 790002
    assert update.old["version_name"] == "v1.0" and update.new["version_name"] == "v2.0"
    assert update.new["base_model"] == "SDXL 1.0"
    assert update.size_change == 1024


def test_a_new_version_on_another_base_model_is_no_update(hub, old_version):
    publish(hub, V2_FLUX, V1)
    assert catalog_updates.check_all() == 0
    assert found(old_version) is None


def test_an_early_access_only_update_is_marked_and_skipped(hub, old_version, models_dir):
    publish(hub, V3_EARLY, V1)
    catalog_updates.check_all()

    update = found(old_version)
    assert update.early_access and update.early_access_until.startswith("2099-01-01")
    item = updates.apply([old_version.pk], "replace").items.get()
    assert (item.outcome, item.reason) == ("skipped", "early_access")
    assert "2099-01-01" in item.message
    assert not DownloadJob.objects.filter(civitai_version_id=690004).exists()
    assert (models_dir / OLD_FILE).exists()


def test_the_public_version_is_offered_when_a_newer_one_is_in_early_access(hub, old_version):
    publish(hub, V3_EARLY, V2, V1)
    catalog_updates.check_all()
    update = found(old_version)
    assert update.target.civitai_version_id == 690002 and not update.early_access


@pytest.fixture
def new_version(hub, old_version):
    publish(hub, V2, V1)
    catalog_updates.check_all()
    return old_version


def apply_and_run(variant, policy):
    item = updates.apply([variant.pk], policy).items.get()
    assert item.outcome == "queued", item.message
    job = run(item.job_id)
    assert job.status == "completed", job.error
    item.refresh_from_db()
    variant.refresh_from_db()
    return item


def test_replace_deletes_the_old_version_once_the_new_one_is_verified(new_version, models_dir):
    item = apply_and_run(new_version, "replace")

    assert (models_dir / NEW_FILE).exists() and not (models_dir / OLD_FILE).exists()
    assert new_version.local_path == "" and new_version.update_available is False
    assert ModelVariant.objects.get(civitai_file_id=790002).local_path == NEW_FILE
    assert not LocalFile.objects.filter(path=OLD_FILE).exists()
    assert item.result["files"] == [{"path": OLD_FILE, "action": "deleted", "to": ""}]


def test_keep_leaves_the_old_version_downloaded_without_an_update(new_version, models_dir):
    item = apply_and_run(new_version, "keep")

    assert (models_dir / NEW_FILE).exists() and (models_dir / OLD_FILE).exists()
    assert new_version.local_path == OLD_FILE and new_version.update_available is False
    assert item.result["files"] == [{"path": OLD_FILE, "action": "kept", "to": OLD_FILE}]
    catalog_updates.check_all()
    assert found(new_version) is None  # the newer version is on disk now


def test_archive_moves_the_old_version_into_the_archive_folder(new_version, models_dir):
    item = apply_and_run(new_version, "archive")

    archived = f"archive/{FOLDER}/update_lora_v1.v690001.safetensors"
    assert (models_dir / NEW_FILE).exists() and not (models_dir / OLD_FILE).exists()
    assert (models_dir / archived).stat().st_size == 3 * 1024
    assert new_version.local_path == ""
    assert LocalFile.objects.get(path=archived).variant_id == new_version.pk
    assert item.result["files"] == [{"path": OLD_FILE, "action": "moved", "to": archived}]
