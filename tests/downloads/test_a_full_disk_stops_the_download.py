"""§5 #16 on a real small filesystem: a 4 MB tmpfs mounted as the models directory (the test
needs root to mount; without it, it falls back to ENOSPC raised at the write call)."""

import errno
import os
import subprocess

import pytest

from downloads import engine, queue
from modella.errors import InsufficientStorage
from tests.downloads.conftest import hf_variant, run_job

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def small_disk(tmp_path, settings, monkeypatch):
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                             capture_output=True).returncode == 0
    settings.MODELS_DIR = mount
    yield mount, mounted
    if mounted:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_enospc_stops_at_once_keeps_the_partial_and_resumes_after_space_is_freed(hub, small_disk, monkeypatch):
    mount, mounted = small_disk
    content = hub.generated(3 * 1024 * 1024, seed=101)
    variant = hf_variant(hub, "acme/full-GGUF", {"f.gguf": content})
    job = queue.enqueue(variant)  # 4 MB free: it fits now
    filler = mount / "filler.bin"
    if mounted:
        filler.write_bytes(b"\0" * (2 * 1024 * 1024))
    else:  # simulate: the write call fails once 1 MB is on disk
        real = os.pwrite

        def pwrite(fd, data, pos):
            if pos + len(data) > 1024 * 1024 and filler.exists():
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(fd, data, pos)

        filler.write_bytes(b"x")
        monkeypatch.setattr(engine.os, "pwrite", pwrite)

    job = run_job(job)
    assert job.status == "failed"
    assert job.error_code == "insufficient_storage"
    assert "disk is full" in job.error_message
    part = mount / "huggingface/acme/full-GGUF/f.gguf.part"
    assert part.exists() and part.stat().st_size > 0
    gets = [r for r in hub.requests_for(content.sha256) if r.method == "GET"]
    assert len(gets) == 1  # no retry loop against a full disk

    with pytest.raises(InsufficientStorage):  # pre-flight: another 3 MB would not fit now
        queue.enqueue(hf_variant(hub, "acme/other-GGUF", {"o.gguf": hub.generated(3 * 1024 * 1024, seed=102)}))

    filler.unlink()
    job.retry()
    job = run_job(job)
    assert job.status == "completed", job.error
    gets = [r for r in hub.requests_for(content.sha256) if r.method == "GET"]
    assert gets[-1].range not in (None, "bytes=0-")
