"""Civitai files go through the download engine: SHA-256 from the file's hashes, non-primary files
by fileId, the place by type and model name, and a wrong hash is caught."""

import hashlib

import pytest

from catalog import civitai_store
from catalog.models import ModelVariant
from downloads import queue
from downloads.models import DownloadJob
from tests.fakehub import Fault

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def engine(civ, settings):
    settings.STALL_SECONDS = 1
    settings.DOWNLOAD_RETRY_BASE_SECONDS = 0.05
    settings.DOWNLOAD_CHECKPOINT_SECONDS = 0.2
    settings.DOWNLOAD_MAX_ATTEMPTS = 3
    settings.DOWNLOAD_CONNECTIONS = 1
    return civ


def run(job: DownloadJob) -> DownloadJob:
    queue.run(job.pk)  # in this process, as a worker's task would
    job.refresh_from_db()
    return job


def test_the_tiny_lora_downloads_and_is_verified_against_its_sha256(engine, user, models_dir):
    job = run(civitai_store.queue_file(4216, 700161, user=user))

    assert job.status == "completed", job.error
    content = engine.civitai.contents[700161]
    final = models_dir / "civitai/LORA/Tiny Test LoRA-4216/tiny_test_lora.safetensors"
    assert hashlib.sha256(final.read_bytes()).hexdigest() == content.sha256 == job.sha256
    variant = ModelVariant.objects.get(civitai_file_id=700161)
    assert variant.local_path == "civitai/LORA/Tiny Test LoRA-4216/tiny_test_lora.safetensors"
    assert variant.model_type == "LORA" and variant.base_model == "SD 1.5"
    from storage.usage import usage

    numbers = usage()  # Storage shows the file by its Civitai type and base model
    assert numbers["by_type"]["LORA"] == numbers["by_base_model"]["SD 1.5"] == content.size
    assert numbers["by_source"]["civitai"] == content.size
    downloads = engine.requests_for("/api/download/models/600161")
    assert downloads and all(r.has_auth is False for r in downloads)  # no key configured
    assert not any(r.has_auth for r in engine.requests if r.listener == "cdn")


def test_a_non_primary_file_is_asked_for_by_its_file_id(engine, user, models_dir):
    job = run(civitai_store.queue_file(4216, 700162, user=user))

    assert job.status == "completed", job.error
    assert (models_dir / "civitai/LORA/Tiny Test LoRA-4216/tiny_test_lora_fp32.safetensors").exists()
    asked = engine.requests_for("/api/download/models/600161")
    assert asked[-1].params.get("fileId") == ["700162"]


def test_a_corrupted_file_fails_the_hash_check(engine, user, models_dir):
    engine.set_fault("civitai:700161", Fault(corrupt_offset=100, times=None))
    job = run(civitai_store.queue_file(4216, 700161, user=user))

    assert job.status == "failed"
    assert job.error_code == "checksum_mismatch"
    assert not (models_dir / "civitai/LORA/Tiny Test LoRA-4216/tiny_test_lora.safetensors").exists()


def test_the_key_is_sent_to_civitai_as_a_bearer_header_only(engine, user, settings):
    settings.CIVITAI_TOKEN = "civ_good"
    job = run(civitai_store.queue_file(4211, 700214, user=user))

    assert job.status == "completed", job.error
    asked = engine.requests_for("/api/download/models/600214")
    assert asked and all(r.has_auth and "token" not in r.params for r in asked)
    assert not any(r.has_auth for r in engine.requests if r.listener == "cdn")


def test_queueing_an_early_access_file_later_queues_it_after_the_deadline(engine, user):
    from datetime import UTC, datetime, timedelta

    from catalog.tasks import queue_early_access_ended

    deadline = civitai_store.queue_when_early_access_ends(4212, 700215, user=user)
    assert deadline == datetime(2099, 1, 1, tzinfo=UTC)
    variant = ModelVariant.objects.get(civitai_file_id=700215)
    assert variant.update_details["early_access"]["deadline"].startswith("2099-01-01")
    assert queue_early_access_ended() == 0 and not DownloadJob.objects.exists()

    assert civitai_store.queue_early_access_ended(now=deadline + timedelta(minutes=1)) == 1
    job = DownloadJob.objects.get()
    assert job.variant == variant and job.user == user
    variant.refresh_from_db()
    assert "early_access" not in variant.update_details
    assert queue_early_access_ended.__module__ == "catalog.tasks"


def test_the_schedule_runs_the_early_access_check():
    from modella.schedules import SCHEDULES

    assert "catalog.tasks.queue_early_access_ended" in dict(SCHEDULES)
