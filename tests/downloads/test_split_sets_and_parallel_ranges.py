"""Split GGUF sets part by part; big files over several Range connections."""

import errno
import hashlib
import threading

import pytest
from django.db import connection

from downloads import engine
from tests.downloads.conftest import download
from tests.fakehub import Fault

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_split_gguf_set_is_downloaded_part_by_part(hub, models_dir):
    parts = {f"big-Q4_K_M-0000{i}-of-00003.gguf": hub.generated(400_000 + i, seed=110 + i) for i in (1, 2, 3)}
    job = download(hub, "acme/split-GGUF", parts)

    assert job.status == "completed", job.error
    assert job.size == sum(c.size for c in parts.values())
    for name, content in parts.items():
        data = (models_dir / "huggingface/acme/split-GGUF" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == content.sha256
    assert job.current_file == "big-Q4_K_M-00003-of-00003.gguf"
    assert all(f["done"] for f in job.files)


def test_a_big_file_comes_over_parallel_ranges_with_a_correct_hash(hub, settings, models_dir):
    settings.DOWNLOAD_CONNECTIONS = 4
    settings.PARALLEL_THRESHOLD_BYTES = 1024 * 1024
    content = hub.generated(4 * 1024 * 1024 + 3, seed=120)
    job = download(hub, "acme/par-GGUF", {"p.gguf": content})

    assert job.status == "completed", job.error
    gets = [r for r in hub.requests_for(content.sha256) if r.method == "GET"]
    assert len(gets) == 4 and all(r.status == 206 for r in gets)
    data = (models_dir / "huggingface/acme/par-GGUF/p.gguf").read_bytes()
    assert hashlib.sha256(data).hexdigest() == content.sha256


def test_a_dropped_segment_resumes_its_own_range(hub, settings, models_dir):
    settings.DOWNLOAD_CONNECTIONS = 2
    settings.PARALLEL_THRESHOLD_BYTES = 1024 * 1024
    content = hub.generated(2 * 1024 * 1024, seed=121)
    hub.add_hf_repo("acme/pardrop-GGUF", files={"p.gguf": content})
    hub.set_fault("acme/pardrop-GGUF/p.gguf", Fault(drop_after_bytes=100_000, times=1))
    job = download(hub, "acme/pardrop-GGUF", {"p.gguf": content})

    assert job.status == "completed", job.error
    gets = [(r.range, r.status, r.bytes_sent) for r in hub.requests_for(content.sha256) if r.method == "GET"]
    assert hub.bytes_sent_for(content.sha256) < content.size * 1.1, gets
    data = (models_dir / "huggingface/acme/pardrop-GGUF/p.gguf").read_bytes()
    assert hashlib.sha256(data).hexdigest() == content.sha256


def test_parallel_mode_falls_back_to_one_stream_when_range_is_ignored(hub, settings, models_dir):
    settings.DOWNLOAD_CONNECTIONS = 4
    settings.PARALLEL_THRESHOLD_BYTES = 1024 * 1024
    content = hub.generated(2 * 1024 * 1024, seed=122)
    hub.add_hf_repo("acme/parnr-GGUF", files={"p.gguf": content})
    hub.set_fault("acme/parnr-GGUF/p.gguf", Fault(ignore_range=True))
    job = download(hub, "acme/parnr-GGUF", {"p.gguf": content})

    assert job.status == "completed", job.error
    data = (models_dir / "huggingface/acme/parnr-GGUF/p.gguf").read_bytes()
    assert hashlib.sha256(data).hexdigest() == content.sha256


def test_parallel_ranges_become_durable_as_bytes_arrive_not_only_every_few_seconds(hub, settings, models_dir,
                                                                                   monkeypatch):
    # Checkpoints by bytes as well as by time: the resume point moves on during a fast download
    # (and the kernel's writeback overlaps it instead of piling up for the final fsync).
    settings.DOWNLOAD_CONNECTIONS = 4
    settings.PARALLEL_THRESHOLD_BYTES = 1024 * 1024
    settings.DOWNLOAD_CHECKPOINT_SECONDS = 3600
    settings.DOWNLOAD_CHECKPOINT_BYTES = 1024 * 1024
    durable = []
    real = engine.Download.write_progress

    def recording(self, speed):
        if self.state is not None and self.state.durable_segments is not None:
            durable.append(sum(s["pos"] - s["start"] for s in self.state.durable_segments))
        real(self, speed)

    monkeypatch.setattr(engine.Download, "write_progress", recording)
    content = hub.generated(12 * 1024 * 1024, seed=121)
    hub.add_hf_repo("acme/pardurable-GGUF", files={"p.gguf": content})
    hub.set_fault("acme/pardurable-GGUF/p.gguf", Fault(rate_bps=1_500_000))
    job = download(hub, "acme/pardurable-GGUF", {"p.gguf": content})

    assert job.status == "completed", job.error
    assert any(0 < value < content.size for value in durable), durable


def _sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_parallel_ranges_leave_no_database_connection_behind(hub, settings, models_dir):
    # Each range runs in its own thread, and the hub-health checks there open that thread's own
    # connection: a worker that downloads all day must not keep one per range it ever fetched.
    if connection.vendor != "postgresql":
        pytest.skip("counts PostgreSQL sessions")
    settings.DOWNLOAD_CONNECTIONS = 4
    settings.PARALLEL_THRESHOLD_BYTES = 1024 * 1024
    before = _sessions()
    content = hub.generated(4 * 1024 * 1024, seed=122)
    job = download(hub, "acme/parconn-GGUF", {"p.gguf": content})

    assert job.status == "completed", job.error
    assert _sessions() == before


def test_an_fsync_error_mid_download_stops_every_range_before_the_file_is_closed(hub, settings, models_dir,
                                                                                 monkeypatch):
    # EIO (or a full disk that NFS reports only at fsync) at a checkpoint: the ranges are stopped
    # and joined before the descriptor is closed (a write to a closed, reused number could land in
    # another file), and the job retries instead of crashing its worker.
    settings.DOWNLOAD_CONNECTIONS = 4
    settings.PARALLEL_THRESHOLD_BYTES = 1024 * 1024
    settings.DOWNLOAD_CHECKPOINT_BYTES = 1024 * 1024
    real, calls = engine.Download._checkpoint_segments, []

    def failing_once(fd, st):
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(errno.EIO, "Input/output error")
        real(fd, st)

    monkeypatch.setattr(engine.Download, "_checkpoint_segments", staticmethod(failing_once))
    monkeypatch.setattr(engine.Download, "_backoff", lambda self, error, attempt: None)
    content = hub.generated(8 * 1024 * 1024, seed=123)
    hub.add_hf_repo("acme/pareio-GGUF", files={"p.gguf": content})
    hub.set_fault("acme/pareio-GGUF/p.gguf", Fault(rate_bps=1_000_000))
    job = download(hub, "acme/pareio-GGUF", {"p.gguf": content})

    assert job.status == "completed", job.error
    assert calls  # the failing checkpoint did happen
    assert not [t for t in threading.enumerate() if "segment_worker" in t.name]
    data = (models_dir / "huggingface/acme/pareio-GGUF/p.gguf").read_bytes()
    assert hashlib.sha256(data).hexdigest() == content.sha256
