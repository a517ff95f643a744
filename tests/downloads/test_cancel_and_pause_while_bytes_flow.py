"""§5 #18: cancel stops within about a second and removes the partial; pause keeps it."""

import threading
import time

import pytest

from downloads import queue
from downloads.models import DownloadJob
from tests.downloads.conftest import hf_variant, run_job
from tests.fakehub import Fault
from tests.qcluster import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _start_slow(hub, repo):
    content = hub.generated(4 * 1024 * 1024, seed=71)
    variant = hf_variant(hub, repo, {"slow.gguf": content})
    hub.set_fault(f"{repo}/slow.gguf", Fault(rate_bps=500_000))
    job = queue.enqueue(variant)
    worker = threading.Thread(target=queue.run, args=(job.pk,))
    worker.start()
    wait_for(lambda: DownloadJob.objects.get(pk=job.pk).bytes_done > 200_000, timeout=10, interval=0.1)
    return content, job, worker


def test_cancel_stops_the_transfer_within_a_second_and_removes_the_partial(hub, models_dir):
    content, job, worker = _start_slow(hub, "acme/cancel-GGUF")
    asked = time.monotonic()
    DownloadJob.objects.get(pk=job.pk).cancel()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert time.monotonic() - asked < 2.0
    job.refresh_from_db()
    assert job.status == "cancelled" and job.error_code == "cancelled"
    assert not list((models_dir / "huggingface/acme/cancel-GGUF").glob("slow.gguf*"))
    time.sleep(0.5)
    job.refresh_from_db()
    assert job.status == "cancelled"  # no late "completed"


def test_pause_keeps_the_partial_and_resume_continues_it(hub, models_dir):
    content, job, worker = _start_slow(hub, "acme/pause-GGUF")
    DownloadJob.objects.get(pk=job.pk).pause()
    worker.join(timeout=5)
    job.refresh_from_db()
    assert job.status == "paused"
    part = models_dir / "huggingface/acme/pause-GGUF/slow.gguf.part"
    assert part.exists() and job.offset > 0
    hub.clear_faults()
    job.resume()
    job = run_job(job)
    assert job.status == "completed", job.error
    gets = [r for r in hub.requests_for(content.sha256) if r.method == "GET"]
    assert gets[-1].range == f"bytes={job.files[0]['size'] and gets[-1].range.split('=')[1].rstrip('-')}-"
    assert gets[-1].range != "bytes=0-" and gets[-1].range is not None
    assert hub.bytes_sent_for(content.sha256) < content.size * 1.3


def test_cancelling_a_queued_job_needs_no_worker(hub, models_dir):
    variant = hf_variant(hub, "acme/q-GGUF", {"q.gguf": hub.generated(1000, seed=72)})
    job = queue.enqueue(variant)
    job.cancel()
    assert job.status == "cancelled"
    assert queue.run(job.pk) == "skipped"
