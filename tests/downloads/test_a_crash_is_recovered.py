"""§5 #22 and the recovery pass: a full partial is promoted; an expired lease is taken over."""

from datetime import timedelta

import pytest
from django.utils import timezone

from downloads import queue
from downloads.models import DownloadJob
from tests.downloads.conftest import hf_variant, run_job

pytestmark = pytest.mark.django_db(transaction=True)


def _orphan(job, **fields):
    DownloadJob.objects.filter(pk=job.pk).update(
        status="downloading", lease_owner="dead-worker", lease_expires_at=timezone.now() - timedelta(seconds=5),
        **fields)


def test_a_full_partial_left_before_the_rename_is_hashed_and_promoted_without_network(hub, models_dir):
    content = hub.generated(700_000, seed=81)
    variant = hf_variant(hub, "acme/crash-GGUF", {"c.gguf": content})
    job = queue.enqueue(variant)
    folder = models_dir / "huggingface/acme/crash-GGUF"
    folder.mkdir(parents=True)
    (folder / "c.gguf.part").write_bytes(content.read())
    _orphan(job, offset=500_000)
    hub.clear_requests()

    assert queue.recover() == [job.pk]
    job = run_job(job)

    assert job.status == "completed", job.error
    assert (folder / "c.gguf").exists() and not (folder / "c.gguf.part").exists()
    assert not [r for r in hub.requests if r.method == "GET" and r.listener == "cdn"]


def test_a_job_whose_worker_died_resumes_from_its_durable_offset(hub, models_dir):
    content = hub.generated(1_000_000, seed=82)
    variant = hf_variant(hub, "acme/orphan-GGUF", {"o.gguf": content})
    job = queue.enqueue(variant)
    folder = models_dir / "huggingface/acme/orphan-GGUF"
    folder.mkdir(parents=True)
    # The dead worker wrote 600 kB but had only checkpointed 400 kB: trust min(offset, length).
    (folder / "o.gguf.part").write_bytes(content.read(0, 600_000))
    _orphan(job, offset=400_000, current_file="o.gguf")
    queue.recover()
    job = run_job(job)

    assert job.status == "completed", job.error
    gets = [r for r in hub.requests_for(content.sha256) if r.method == "GET"]
    assert [r.range for r in gets] == ["bytes=400000-"]


def test_a_live_lease_makes_a_second_delivery_exit(hub):
    variant = hf_variant(hub, "acme/live-GGUF", {"l.gguf": hub.generated(1000, seed=83)})
    job = queue.enqueue(variant)
    DownloadJob.objects.filter(pk=job.pk).update(
        status="downloading", lease_owner="someone", lease_expires_at=timezone.now() + timedelta(seconds=30))
    assert queue.run(job.pk) == "skipped"
    assert queue.recover() == []
