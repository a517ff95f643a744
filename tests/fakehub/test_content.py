"""Served content: generated files, real GGUF/safetensors/PNG bytes, digests and throughput."""

import hashlib
import json
import struct
import zlib

import gguf
import pytest
import requests

from tests.fakehub import FakeHub
from tests.fakehub.bench import measure
from tests.fakehub.catalog_seed import GGUF_REPO, MEDIUM_REPO, SDXL_REPO, TINY_REPO, hf_specs
from tests.fakehub.content import BLOCK, Content, GeneratedContent
from tests.fakehub.known_hashes import KNOWN_DIGESTS
from tests.fakehub.regen_hashes import seeded_generated


def test_generated_content_is_deterministic_and_blocks_differ():
    a, b = GeneratedContent(3 * BLOCK + 17, seed=5), GeneratedContent(3 * BLOCK + 17, seed=5)
    data = a.read()
    assert data == b.read() and len(data) == a.size
    assert data[:BLOCK] != data[BLOCK : 2 * BLOCK]
    assert a.read(BLOCK - 3, BLOCK + 5) == data[BLOCK - 3 : BLOCK + 5]
    assert a.sha256 == hashlib.sha256(data).hexdigest()
    assert a.crc32 == f"{zlib.crc32(data):08x}"
    assert GeneratedContent(100, seed=6).read() != GeneratedContent(100, seed=5).read()


def test_generated_content_with_prefix_starts_with_it():
    content = GeneratedContent(BLOCK + 10, seed=1, prefix=b"HEADER")
    assert content.read(0, 6) == b"HEADER" and content.read(6, 10) == GeneratedContent(BLOCK + 10, 1).read(6, 10)


def test_known_digests_are_current_for_the_seeded_catalog():
    keys = {c.cache_key for c in seeded_generated()}
    assert keys <= set(KNOWN_DIGESTS), "run: python -m tests.fakehub.regen_hashes"
    medium = next(s for s in hf_specs() if s["repo_id"] == MEDIUM_REPO)["files"]["medium-q4_k_m.gguf"]
    assert KNOWN_DIGESTS[medium.cache_key] == tuple(Content._compute_digests(medium).values())


def test_gguf_bytes_is_a_real_gguf(tmp_path):
    data = FakeHub.gguf_bytes(arch="llama", n_params_hint=7e9, quant="Q5_K_M", context_length=8192)
    path = tmp_path / "m.gguf"
    path.write_bytes(data)
    reader = gguf.GGUFReader(path)
    fields = {name: field.contents() for name, field in reader.fields.items()}
    assert fields["general.architecture"] == "llama"
    assert fields["llama.context_length"] == 8192 and fields["llama.block_count"] == 32
    assert fields["llama.attention.head_count"] == 32 and fields["llama.attention.head_count_kv"] == 32
    assert fields["llama.embedding_length"] == 4096
    assert fields["general.file_type"] == gguf.LlamaFileType.MOSTLY_Q5_K_M
    assert reader.tensors


def test_seeded_large_gguf_has_a_parsable_header(fakehub, tmp_path):
    location = requests.head(fakehub.hf_file_url(GGUF_REPO, "llama-2-7b-chat.Q4_K_M.gguf")).headers["Location"]
    head = requests.get(location, headers={"Range": "bytes=0-65535"}).content
    assert head[:4] == b"GGUF" and struct.unpack_from("<I", head, 4)[0] == 3
    medium = fakehub.hf_repo(MEDIUM_REPO).head.files["medium-q4_k_m.gguf"].content
    path = tmp_path / "medium.gguf"
    with open(path, "wb") as fh:
        for chunk in medium.iter_range(0, medium.size):
            fh.write(chunk)
    reader = gguf.GGUFReader(path)
    assert reader.fields["general.file_type"].contents() == gguf.LlamaFileType.MOSTLY_Q4_K_M
    assert reader.tensors[-1].data_offset + reader.tensors[-1].n_bytes == medium.size


def test_safetensors_bytes_has_a_real_header():
    data = FakeHub.safetensors_bytes({"w": ("F16", [4, 4]), "b": ("F32", [4])}, {"format": "pt"})
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + length])
    assert header["__metadata__"] == {"format": "pt"}
    assert header["w"] == {"dtype": "F16", "shape": [4, 4], "data_offsets": [0, 32]}
    assert len(data) == 8 + length + 32 + 16


def test_seeded_sdxl_checkpoint_header_covers_the_whole_file(fakehub):
    file = fakehub.hf_repo(SDXL_REPO).head.files["sd_xl_base_1.0.safetensors"]
    head = file.content.read(0, 4096)
    length = struct.unpack("<Q", head[:8])[0]
    header = json.loads(file.content.read(8, 8 + length))
    assert "model.diffusion_model.input_blocks.0.0.weight" in header
    end = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
    assert 8 + length + end == file.size


def test_tiny_repo_files_are_small_real_ggufs(fakehub):
    for entry in fakehub.hf_repo(TINY_REPO).head.files.values():
        if entry.path.endswith(".gguf"):
            assert entry.content.read(0, 4) == b"GGUF" and entry.size < 4 * 1024 * 1024


@pytest.mark.slow
def test_generated_file_streams_faster_than_a_gigabyte_per_second():
    with FakeHub(seed=False) as hub:
        rate = max(measure(hub, 1_000_000_000) for _ in range(2))
    assert rate > 1e9, f"{rate / 1e9:.2f} GB/s"
