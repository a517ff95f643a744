import ctypes
import hashlib
import mmap
import threading

import pytest

from downloads import engine
from storage.models import LocalFile
from tests.downloads.conftest import download
from tests.fakehub import Fault

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_downloads_a_file_to_its_place_and_verifies_it(hub, models_dir):
    content = hub.generated(3 * 1024 * 1024 + 17, seed=1)
    job = download(hub, "acme/plain-GGUF", {"plain.Q4_K_M.gguf": content})

    assert job.status == "completed", job.error
    final = models_dir / "huggingface/acme/plain-GGUF/plain.Q4_K_M.gguf"
    assert hashlib.sha256(final.read_bytes()).hexdigest() == content.sha256
    assert not final.with_name(final.name + ".part").exists()
    assert job.bytes_done == job.size == content.size
    assert job.progress == 100.0
    assert len(job.revision) == 40
    job.variant.refresh_from_db()
    assert job.variant.local_path == "huggingface/acme/plain-GGUF/plain.Q4_K_M.gguf"
    assert LocalFile.objects.get(path=job.variant.local_path).sha256 == content.sha256


def test_it_asks_for_identity_encoding_and_keeps_the_token_off_the_cdn(hub, settings):
    settings.HF_TOKEN = next(iter(hub.hf_tokens))
    content = hub.generated(100_000, seed=2)
    job = download(hub, "acme/token-GGUF", {"t.gguf": content})

    assert job.status == "completed", job.error
    cdn = [r for r in hub.requests if r.listener == "cdn"]
    assert cdn and not any(r.has_auth for r in cdn)
    hub_side = hub.requests_for("/acme/token-GGUF/resolve/")
    assert hub_side and all(r.has_auth for r in hub_side)
    assert all(r.headers.get("accept-encoding") == "identity" for r in hub.requests if r.method == "GET")


def _resident_fraction(path) -> float:
    """The share of the file's pages held in the page cache (mincore(2) on a mapping of it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    size = path.stat().st_size
    page = mmap.PAGESIZE
    pages = (size + page - 1) // page
    vector = (ctypes.c_ubyte * pages)()
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_COPY) as mapping:
        anchor = ctypes.c_char.from_buffer(mapping)
        try:
            assert libc.mincore(ctypes.c_void_p(ctypes.addressof(anchor)), ctypes.c_size_t(size), vector) == 0
        finally:
            del anchor
    return sum(v & 1 for v in vector) / pages


def _on_tmpfs(path) -> bool:
    mounts = [line.split() for line in open("/proc/mounts")]
    best = max((m for m in mounts if str(path).startswith(m[1].rstrip("/") + "/")), key=lambda m: len(m[1]))
    return best[2] in ("tmpfs", "ramfs")


def test_checkpointed_ranges_leave_the_page_cache(hub, models_dir, settings, monkeypatch):
    # A 20 GB model must not push the user's working set out of memory: each fsynced range is
    # dropped from the page cache as the download goes on, not only at the end.
    if _on_tmpfs(models_dir):
        pytest.skip("on tmpfs the page cache is the only copy of a file and cannot be dropped")
    settings.DOWNLOAD_CHECKPOINT_BYTES = 1 << 20
    during = []
    real = engine.Download.write_progress

    def sampling(self, speed):  # the monitor thread, about once a second, while bytes flow
        part = self.state.part if self.state else None
        if part is not None and part.exists() and part.stat().st_size >= 4 << 20:
            during.append(_resident_fraction(part))
        real(self, speed)

    monkeypatch.setattr(engine.Download, "write_progress", sampling)
    content = hub.generated(16 << 20, seed=3)
    hub.add_hf_repo("acme/cache-GGUF", files={"cache.gguf": content})
    hub.set_fault("acme/cache-GGUF/cache.gguf", Fault(rate_bps=5_000_000))
    job = download(hub, "acme/cache-GGUF", {"cache.gguf": content})

    assert job.status == "completed", job.error
    assert during and min(during) < 0.5, during
    final = models_dir / "huggingface/acme/cache-GGUF/cache.gguf"
    assert _resident_fraction(final) < 0.25  # at most the header pages the probe read back
    assert hashlib.sha256(final.read_bytes()).hexdigest() == content.sha256


def _rss_bytes() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def test_memory_stays_flat_however_big_the_file(hub, models_dir):
    # The receive buffers are reused (16 x 1 MiB): a 512 MB file must not grow the worker by more
    # than a few tens of MB (bench/transfer.py measures 4 GB: about 16 MB).
    content = hub.generated(512 << 20, seed=4)
    hub.add_hf_repo("acme/big-GGUF", files={"big.gguf": content})
    peak, baseline, done = [0], _rss_bytes(), threading.Event()

    def sample():
        while not done.wait(0.02):
            peak[0] = max(peak[0], _rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        job = download(hub, "acme/big-GGUF", {"big.gguf": content})
    finally:
        done.set()
        sampler.join()

    assert job.status == "completed", job.error
    assert peak[0] - baseline < 50 << 20, f"RSS grew by {(peak[0] - baseline) >> 20} MB"
