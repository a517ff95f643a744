"""Will it fit, before any download: after a fetch, a worker reads the GGUF header of one file of the
repository from the hub (a Range request on its first bytes) and every GGUF variant gets a verdict."""

import logging
import pydoc
import struct

import gguf
import numpy as np
import pytest

from catalog import probe, sync, tasks
from catalog.models import ModelRepository
from tests.fakehub import FakeHub, Fault
from tests.fakehub.catalog_seed import GATED_MANUAL, GGUF_REPO, TINY_REPO

pytestmark = pytest.mark.django_db

GiB = 1024**3
MiB = 1024**2
# The seeded tiny repository's header: 22 layers, 32 heads of 2048 / 32 = 64, 4 KV heads. At 4096
# tokens: 4096 x 22 x 4 x (64 + 64) x 2 bytes of f16 = 88 MiB.
TINY_KV = 4096 * 22 * 4 * (64 + 64) * 2


@pytest.fixture
def queued(monkeypatch):
    """The tasks handed to Django-Q (recorded here; a worker would run them)."""
    calls = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, *args, **kwargs: calls.append((func, args)))
    return calls


@pytest.fixture
def fetch(hub, queued, django_capture_on_commit_callbacks):
    """Fetch a repository as a page does; once committed, run what the fetch queued, as a worker would."""

    def run(repo):
        with django_capture_on_commit_callbacks(execute=True):
            repository = sync.fetch_repository(repo)
        while queued:
            func, args = queued.pop(0)
            pydoc.locate(func)(*args)
        repository.refresh_from_db()
        return repository

    return run


def header_reads(hub) -> list:
    """The Range requests that reached the Hub's resolve endpoint (the CDN redirect aside)."""
    return [r for r in hub.requests if r.listener == "hub" and "/resolve/" in r.path and r.range]


def gguf_file(tmp_path, *, tokens_first: int = 0, arch="llama", layers=32, embedding=4096, heads=32, kv_heads=8):
    """A real GGUF (gguf.GGUFWriter) whose architecture keys come after `tokens_first` tokenizer tokens."""
    logging.getLogger("gguf.gguf_writer").setLevel(logging.WARNING)
    path = tmp_path / "model.gguf"
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name("Late keys")
    if tokens_first:
        writer.add_tokenizer_model("llama")
        writer.add_token_list([f"\u2581token{i:06d}" for i in range(tokens_first)])
    writer.add_context_length(8192)
    writer.add_block_count(layers)
    writer.add_embedding_length(embedding)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_file_type(int(gguf.LlamaFileType.MOSTLY_Q4_K_M))
    writer.add_tensor("token_embd.weight", np.ones(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


def test_a_fetch_queues_one_background_read_and_does_not_wait_for_it(hub, queued, django_capture_on_commit_callbacks):
    hub.clear_requests()
    with django_capture_on_commit_callbacks(execute=True):
        repository = sync.fetch_repository(TINY_REPO)
    assert queued == [("catalog.tasks.read_gguf_shape", (TINY_REPO,))]
    assert header_reads(hub) == []  # the page's fetch returned before any header was read
    assert {v.fit.verdict for v in repository.variants.all()} == {"unknown"}
    with django_capture_on_commit_callbacks(execute=True):
        sync.fetch_repository(TINY_REPO)
    assert len(queued) == 1  # fetched again before the worker ran: not queued twice


def test_a_fetched_gguf_repository_gets_its_header_read_once_with_a_range_request(hub, fetch):
    hub.clear_requests()
    repository = fetch(TINY_REPO)
    reads = header_reads(hub)
    assert len(reads) == 1
    assert reads[0].path.endswith("/tiny-q4_k_m.gguf")  # the smallest file: every quantization shares the header
    assert reads[0].range.startswith("bytes=0-")
    shape = repository.extra["gguf_shape"]
    assert shape["block_count"] == 22 and shape["head_count"] == 32 and shape["head_count_kv"] == 4
    assert shape["embedding_length"] == 2048 and shape["context_length"] == 4096
    assert shape["from"] == "tiny-q4_k_m.gguf" and shape["revision"] == repository.remote_revision

    # Fetched again at the same revision: nothing more is read.
    fetch(TINY_REPO)
    assert len(header_reads(hub)) == 1


def test_every_gguf_variant_gets_a_verdict_with_the_kv_cache_of_the_header(hub, fetch, settings):
    settings.RAM_BYTES, settings.GPU_BYTES = 16 * GiB, 0
    repository = fetch(TINY_REPO)
    fits = {v.filename: v.fit for v in repository.variants.all()}
    assert {f.verdict for f in fits.values()} == {"ram"}
    for filename, fit in fits.items():
        assert fit.kv_cache_bytes == TINY_KV and fit.context == 4096
        assert fit.needed_bytes == repository.variants.get(filename=filename).size + TINY_KV + 512 * MiB

    settings.GPU_BYTES = 8 * GiB
    assert {v.fit.verdict for v in repository.variants.all()} == {"gpu"}


def test_the_header_turns_an_unknown_into_too_large(hub, fetch, settings):
    # Llama 2 7B: 32 layers, 32 KV heads (multi-head attention), a 2 GiB KV cache at 4096 tokens.
    # Q5_K_M's 4.45 GiB of weights alone would fit 6 GiB of usable RAM; with the cache they do not.
    settings.RAM_BYTES, settings.GPU_BYTES = 8 * GiB, 0
    repository = fetch(GGUF_REPO)
    assert len(header_reads(hub)) == 1
    q5 = repository.variants.get(filename="llama-2-7b-chat.Q5_K_M.gguf").fit
    assert q5.verdict == "too_large" and q5.kv_cache_bytes == 2 * GiB
    q2 = repository.variants.get(filename="llama-2-7b-chat.Q2_K.gguf").fit
    assert q2.verdict == "ram"
    assert repository.variants.get(is_recommended=True).fit.verdict == "ram"


def test_the_variants_table_and_the_api_show_the_verdict(hub, fetch, logged_in_client, api_client):
    fetch(TINY_REPO)
    body = logged_in_client.get(f"/models/info/{TINY_REPO}").content.decode()
    row = body.split('class="filename" title="tiny-q8_0.gguf"')[1].split("</tr>")[0]
    assert "Fits in RAM" in row and "88" in row  # the KV cache's 88 MiB in the tooltip
    assert "Unknown" not in row

    data = api_client.post("/api/v1/modelfiles/resolve", {"input": TINY_REPO}, format="json").json()
    fits = {v["filename"]: v["fit"] for v in data["variants"]}
    assert fits["tiny-f16.gguf"]["verdict"] == "ram"
    assert fits["tiny-f16.gguf"]["kv_cache_bytes"] == TINY_KV


def test_keys_beyond_the_first_chunk_are_fetched_with_a_second_bounded_read(hub, fetch, tmp_path):
    # 4,500 tokens (~97 KiB) before the architecture keys: past the first 64 KiB, within 128 KiB.
    data = gguf_file(tmp_path, tokens_first=4_500)
    assert 64 * 1024 < data.index(b"llama.block_count") < 128 * 1024
    hub.add_hf_repo("late/keys-GGUF", {"late-keys.Q4_K_M.gguf": data}, library_name="gguf")
    hub.clear_requests()
    repository = fetch("late/keys-GGUF")
    # The second read doubles the window, bounded by the file's size.
    assert [r.range for r in header_reads(hub)] == ["bytes=0-65535", f"bytes=65536-{min(len(data), 128 * 1024) - 1}"]
    assert repository.extra["gguf_shape"]["block_count"] == 32
    assert repository.variants.get().fit.kv_cache_bytes == 4096 * 32 * 8 * 256 * 2


def test_a_header_longer_than_the_cap_is_given_up_after_16_mib(hub, fetch, caplog):
    # Declares a 20 MiB byte array before any architecture key.
    head = b"GGUF" + struct.pack("<IQQ", 3, 0, 2)
    head += struct.pack("<Q", 20) + b"general.architecture" + struct.pack("<IQ", 8, 5) + b"llama"
    head += struct.pack("<Q", 12) + b"general.blob" + struct.pack("<IIQ", 9, 0, 20 * MiB)
    hub.add_hf_repo("huge/header-GGUF", {"huge.Q4_K_M.gguf": FakeHub.generated(24 * MiB, 7, head)})
    hub.clear_requests()
    with caplog.at_level(logging.INFO, logger="catalog.probe"):
        repository = fetch("huge/header-GGUF")
    assert [r.range for r in header_reads(hub)] == ["bytes=0-65535", f"bytes=65536-{16 * MiB - 1}"]
    assert "gguf_shape" not in repository.extra
    assert repository.variants.get().fit.verdict == "unknown"
    assert "Could not read the GGUF header" in caplog.text


@pytest.mark.parametrize("content", [
    b"GGUF" + struct.pack("<IQQ", 3, 0, 3) + b"\x05\x00",  # cut inside the first key
    b"GGUF" + struct.pack("<IQQ", 3, 0, 10**12),  # an absurd key count
    b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 2**40),  # an absurd key length
    b"PK\x03\x04 not a gguf file at all" * 40,
])
def test_a_truncated_or_garbage_header_leaves_the_verdict_unknown(hub, fetch, content):
    hub.add_hf_repo("broken/header-GGUF", {"broken.Q4_K_M.gguf": content})
    repository = fetch("broken/header-GGUF")
    assert len(header_reads(hub)) == 1
    assert "gguf_shape" not in repository.extra
    fit = repository.variants.get().fit
    assert fit.verdict == "unknown" and fit.reason == "no_header"


def test_a_gated_repository_without_a_token_stays_unknown(hub, fetch, caplog):
    repository = fetch(GATED_MANUAL)
    assert repository.access == "token_required"
    assert header_reads(hub) == []  # nothing is asked that the Hub would refuse
    assert {v.fit.verdict for v in repository.variants.filter(role="model")} == {"unknown"}

    # Asked anyway (a token removed between the queueing and the run): refused, logged, no error.
    with caplog.at_level(logging.INFO, logger="catalog.probe"):
        assert probe.read_remote_shape(repository) == {}
    assert [r.status for r in header_reads(hub)] == [401]
    assert "Could not read the GGUF header" in caplog.text
    assert tasks.read_gguf_shape(GATED_MANUAL) is False


def test_a_hub_that_is_down_leaves_the_verdict_unknown(hub, fetch, settings):
    repository = fetch(TINY_REPO)
    repository.extra = {k: v for k, v in repository.extra.items() if k != "gguf_shape"}
    repository.save()
    settings.HF_ENDPOINT = "http://127.0.0.1:9"  # nothing listens there
    assert tasks.read_gguf_shape(TINY_REPO) is False
    assert ModelRepository.objects.get(repo=TINY_REPO).variants.first().fit.verdict == "unknown"


def test_a_new_revision_is_read_again_and_a_shape_from_a_file_on_disk_is_kept(hub, fetch, tmp_path):
    fetch(TINY_REPO)
    hub.commit_hf_files(TINY_REPO, {"tiny-q4_k_m.gguf": FakeHub.gguf_file(quant="Q4_K_M", n_params_hint=7e9,
                                                                          name="Tiny Llama", vocab_size=512)})
    repository = fetch(TINY_REPO)
    assert len(header_reads(hub)) == 2
    assert repository.extra["gguf_shape"]["block_count"] == 32  # the new file's 7B shape

    # A downloaded file's header is authoritative: the next revision does not replace it.
    variant = repository.variants.get(filename="tiny-q8_0.gguf")
    path = tmp_path / "tiny-q8_0.gguf"
    path.write_bytes(FakeHub.gguf_bytes(quant="Q8_0", n_params_hint=0.5e9))
    probe.update_variant_from_file(variant, path)
    hub.commit_hf_files(TINY_REPO, {"notes.txt": "a new revision"})
    repository = fetch(TINY_REPO)
    assert len(header_reads(hub)) == 2
    assert repository.extra["gguf_shape"]["block_count"] == 24


def test_the_setting_turns_the_remote_read_off(hub, fetch, settings):
    settings.FIT_REMOTE_HEADERS = False
    repository = fetch(TINY_REPO)
    assert header_reads(hub) == []
    assert {v.fit.verdict for v in repository.variants.all()} == {"unknown"}


def test_a_server_ignoring_the_range_is_read_only_as_far_as_needed(hub, fetch):
    # A 200 with the whole 7B file (GiBs): the header's first bytes are taken, the rest never read.
    hub.set_fault(f"{GGUF_REPO}/llama-2-7b-chat.Q2_K.gguf", Fault(ignore_range=True))
    repository = fetch(GGUF_REPO)
    assert repository.extra["gguf_shape"]["block_count"] == 32
    assert hub.bytes_sent_for("/") < 256 * MiB


def test_a_wrong_content_range_is_not_taken_for_the_header(hub, fetch):
    hub.set_fault(f"{TINY_REPO}/tiny-q4_k_m.gguf", Fault(wrong_content_range_start=100))
    repository = fetch(TINY_REPO)
    assert "gguf_shape" not in repository.extra
    assert {v.fit.verdict for v in repository.variants.all()} == {"unknown"}
