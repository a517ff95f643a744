"""Priorities, the concurrency limit, a killed worker and a download that outlives the broker's
`retry`, with a real Django-Q2 cluster (forked workers) on the ORM broker and on Redis."""

import os
import signal
import time

import pytest
from django.db import transaction
from django_q.conf import Conf
from django_q.models import Task

from downloads import queue
from downloads.models import DownloadJob
from tests.conftest import require_service
from tests.downloads.conftest import hf_variant
from tests.fakehub import Fault
from tests.qcluster import running_cluster, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(params=["orm", "redis"])
def broker(request, monkeypatch):
    if request.param == "redis":
        require_service("Redis", "127.0.0.1", 6379)
        import redis

        url = "redis://127.0.0.1:6379/15"
        connection = redis.from_url(url)
        connection.flushdb()
        monkeypatch.setattr(Conf, "ORM", None)
        monkeypatch.setattr(Conf, "REDIS", url)
        yield "redis"
        connection.flushdb()
    else:
        yield "orm"


def _slow_variant(hub, name, size=600_000, rate=400_000):
    content = hub.generated(size, seed=hash(name) % 10_000)
    variant = hf_variant(hub, f"acme/{name}", {f"{name}.gguf": content})
    hub.set_fault(f"acme/{name}/{name}.gguf", Fault(rate_bps=rate))
    return variant, content


def test_jobs_run_in_priority_order_never_more_than_the_limit_at_once(hub, settings, broker):
    settings.MAX_CONCURRENT_DOWNLOADS = 2
    plan = [("low-a", "low"), ("normal-b", "normal"), ("high-c", "high"), ("urgent-d", "urgent"), ("low-e", "low")]
    # Sizes make the finishing times distinct (400 kB/s each): urgent 1 s, high 3.5 s, others 1.5 s.
    sizes = {"urgent-d": 400_000, "high-c": 1_400_000}
    variants = {name: _slow_variant(hub, name, size=sizes.get(name, 600_000))[0] for name, _p in plan}
    with transaction.atomic():  # all queued before the first slot is handed out
        jobs = {name: queue.enqueue(variants[name], priority=priority) for name, priority in plan}

    most_at_once = 0
    with running_cluster():
        def all_done():
            nonlocal most_at_once
            running = DownloadJob.objects.filter(status__in=["downloading", "verifying"]).count()
            most_at_once = max(most_at_once, running)
            return DownloadJob.objects.filter(status="completed").count() == len(plan)
        wait_for(all_done, timeout=60, interval=0.1)

    started = {name: DownloadJob.objects.get(pk=job.pk).started_at for name, job in jobs.items()}
    order = sorted(started, key=started.get)
    assert set(order[:2]) == {"urgent-d", "high-c"}
    assert order[2:] == ["normal-b", "low-a", "low-e"]
    assert most_at_once <= 2
    # The emulator agrees: never more than two bodies in flight at once.
    bodies = [r for r in hub.requests if r.listener == "cdn" and r.method == "GET"]
    # (0.2 s of slack: the server logs a request as over a moment after the client has read it all)
    for r in bodies:
        active = [o for o in bodies if o.time <= r.time < o.time + (o.duration or 0) - 0.2]
        assert len(active) <= 2


def test_a_worker_killed_mid_file_is_taken_over_and_resumed_from_its_offset(hub, settings):
    settings.DOWNLOAD_LEASE_SECONDS = 2
    settings.DOWNLOAD_CHECKPOINT_SECONDS = 0.2
    variant, content = _slow_variant(hub, "killed", size=2_000_000, rate=500_000)
    job = queue.enqueue(variant)
    with running_cluster():
        wait_for(lambda: DownloadJob.objects.get(pk=job.pk).offset > 800_000, timeout=30, interval=0.1)
        owner = DownloadJob.objects.get(pk=job.pk).lease_owner
        pid = int(owner.split(":")[1])
        assert pid != os.getpid()
        os.kill(pid, signal.SIGKILL)
        killed_at = DownloadJob.objects.get(pk=job.pk).offset
        time.sleep(settings.DOWNLOAD_LEASE_SECONDS + 0.5)
        assert queue.recover() == [job.pk]  # what the every-minute schedule does
        wait_for(lambda: DownloadJob.objects.get(pk=job.pk).status == "completed", timeout=30, interval=0.2)

    job.refresh_from_db()
    assert job.lease_owner == "" and job.status == "completed"
    gets = [r for r in hub.requests_for(content.sha256) if r.method == "GET"]
    resumed_at = int(gets[-1].range.split("=")[1].rstrip("-"))
    assert resumed_at >= killed_at > 0
    assert hub.bytes_sent_for(content.sha256) < content.size * 1.5


def test_a_download_longer_than_the_broker_retry_runs_once(hub, settings, monkeypatch):
    # Deliberately misconfigured (retry < run time) so the broker re-delivers the running task.
    monkeypatch.setattr(Conf, "RETRY", 2)
    monkeypatch.setattr(Conf, "TIMEOUT", 60)
    variant, content = _slow_variant(hub, "longer", size=2_000_000, rate=400_000)
    job = queue.enqueue(variant)
    with running_cluster():
        wait_for(lambda: DownloadJob.objects.get(pk=job.pk).status == "completed", timeout=40, interval=0.2)
        time.sleep(1.5)

    gets = [r for r in hub.requests_for(content.sha256) if r.method == "GET"]
    assert len(gets) == 1  # one transfer, although the task was delivered again meanwhile
    task = Task.objects.filter(name__startswith=f"download-{job.pk}-").first()
    if task is not None:
        assert task.attempt_count >= 2 or task.result in ("completed", "skipped")
