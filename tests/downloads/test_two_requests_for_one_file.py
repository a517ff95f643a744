"""§5 #17: two requests for the same file make one job and one transfer."""

import threading

import pytest
from django.db import connection

from downloads import queue
from downloads.models import DownloadJob
from modella.errors import AlreadyExists
from tests.downloads.conftest import hf_variant, run_job

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_requests_make_one_job_and_the_other_gets_409(hub):
    content = hub.generated(300_000, seed=91)
    variant = hf_variant(hub, "acme/twice-GGUF", {"t.gguf": content})
    results, barrier = [], threading.Barrier(4)

    def request():
        barrier.wait()
        try:
            results.append(queue.enqueue(variant).pk)
        except AlreadyExists as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    jobs = [r for r in results if isinstance(r, int)]
    assert len(jobs) == 1 and len(results) == 4
    assert DownloadJob.objects.count() == 1
    job = run_job(DownloadJob.objects.get())
    assert job.status == "completed"
    assert len([r for r in hub.requests_for(content.sha256) if r.method == "GET"]) == 1
    with pytest.raises(AlreadyExists):
        queue.enqueue(variant)  # downloaded now
