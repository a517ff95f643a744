"""Faults during a download: the hub's server restarting mid-transfer (the download resumes at its
offset), and SQLite "database is locked" while progress is written (the transfer carries on).

A worker killed mid-download (SIGKILL) and recovered is covered by
tests/downloads/test_a_crash_is_recovered.py and test_the_queue_with_a_real_cluster.py; a Redis
restart is not tested here: the Redis on this machine is shared and may not be stopped."""

import hashlib
import socket
import sqlite3
import threading
import time

import pytest
from django.db import connection

from downloads import engine, queue
from tests.downloads.conftest import hf_variant, run_job
from tests.fakehub import Fault
from tests.fakehub.fixtures import running_fakehub

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port_triple() -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base > 65000:
            continue
        try:
            sockets = []
            for offset in range(3):
                s = socket.socket()
                s.bind(("127.0.0.1", base + offset))
                sockets.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    pytest.skip("no three free consecutive ports")


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def own_hub(settings, db):
    """A hub emulator of this test's own, on fixed ports, so that it can be restarted."""
    with running_fakehub(port=_free_port_triple(), seed=False) as hub:
        settings.HF_ENDPOINT = hub.hf_url
        settings.CIVITAI_ENDPOINT = hub.civitai_url
        settings.DOWNLOAD_HOSTS = ["127.0.0.1"]
        settings.HF_TOKEN = settings.CIVITAI_TOKEN = ""
        settings.HUB_TIMEOUT = 2
        settings.STALL_SECONDS = 1
        settings.DOWNLOAD_CHECKPOINT_SECONDS = 0.1
        settings.DOWNLOAD_CONNECTIONS = 1
        settings.STORAGE_RESERVE_BYTES = 0
        yield hub


def test_the_hub_restarting_mid_download_resumes_at_the_offset(own_hub, settings, user, models_dir):
    settings.DOWNLOAD_RETRY_BASE_SECONDS = 0.25
    settings.DOWNLOAD_MAX_ATTEMPTS = 8
    settings.HUB_FAILURE_THRESHOLD = 20  # this test is about resuming, not about the circuit breaker
    size = 1_500_000
    content = own_hub.generated(size, seed=51)
    job = queue.enqueue(hf_variant(own_hub, "acme/restart-GGUF", {"r.gguf": content}), user=user)
    own_hub.set_fault("acme/restart-GGUF/r.gguf", Fault(rate_bps=1_000_000))
    part = models_dir / "huggingface/acme/restart-GGUF/r.gguf.part"
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("job", run_job(job)))
    worker.start()
    assert _wait_for(lambda: part.exists() and part.stat().st_size > size // 3)
    own_hub.stop()  # the server side goes away mid-body
    time.sleep(0.8)
    own_hub.reset = lambda: None  # come back with the same repositories (same commit) and ports
    own_hub.start()
    worker.join(timeout=60)
    done = result["job"]

    assert done.status == "completed", done.error
    final = models_dir / "huggingface/acme/restart-GGUF/r.gguf"
    assert hashlib.sha256(final.read_bytes()).hexdigest() == content.sha256
    resumed = [r for r in own_hub.requests if r.listener == "cdn" and r.range]
    assert resumed and all(not r.range.startswith("bytes=0-") for r in resumed), "it continued at the offset"


def test_sqlite_locked_during_progress_writes_does_not_crash_the_transfer(own_hub, settings, user, models_dir,
                                                                          monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("the lock is SQLite's")
    settings.DOWNLOAD_RETRY_BASE_SECONDS = 0.05
    settings.DOWNLOAD_MAX_ATTEMPTS = 4
    # A short busy timeout for the connections opened from now on (the monitor thread's): the lock
    # below then surfaces as "database is locked" instead of a quiet wait.
    options = dict(connection.settings_dict["OPTIONS"])
    options.update(timeout=0.1, init_command="PRAGMA journal_mode=WAL; PRAGMA busy_timeout=100;")
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    monitors = []
    real_init = engine.Monitor.__init__

    def keep(self, download):
        real_init(self, download)
        monitors.append(self)

    monkeypatch.setattr(engine.Monitor, "__init__", keep)
    size = 2_000_000
    content = own_hub.generated(size, seed=52)
    job = queue.enqueue(hf_variant(own_hub, "acme/locked-GGUF", {"l.gguf": content}), user=user)
    own_hub.set_fault("acme/locked-GGUF/l.gguf", Fault(rate_bps=700_000))
    part = models_dir / "huggingface/acme/locked-GGUF/l.gguf.part"
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("job", run_job(job)))
    worker.start()
    assert _wait_for(lambda: part.exists() and part.stat().st_size > 200_000)
    blocker = sqlite3.connect(connection.settings_dict["NAME"], timeout=5)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock for a moment
    blocker.execute("UPDATE downloads_downloadjob SET priority = priority WHERE id = ?", (job.pk,))
    time.sleep(1.5)
    blocker.rollback()
    blocker.close()
    worker.join(timeout=60)
    done = result["job"]

    assert done.status == "completed", done.error
    assert monitors and monitors[0].lock_errors >= 1, "the lock was hit"
    final = models_dir / "huggingface/acme/locked-GGUF/l.gguf"
    assert hashlib.sha256(final.read_bytes()).hexdigest() == content.sha256
