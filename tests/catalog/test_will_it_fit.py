"""Will it fit: memory estimates from real GGUF headers against a stated machine (RAM, GPU)."""

import logging
import struct

import gguf
import numpy as np
import pytest
from django.urls import reverse

from catalog import fit, probe
from tests.factories import ModelRepositoryFactory, ModelVariantFactory

pytestmark = pytest.mark.django_db

GiB = 1024**3
MiB = 1024**2


def write_gguf(path, arch, *, layers, embedding, heads, kv_heads=None, context=8192, key_length=None,
               value_length=None, quant="Q4_K_M"):
    """A real GGUF file written by the gguf package: the header llama.cpp reads, two tiny tensors."""
    logging.getLogger("gguf.gguf_writer").setLevel(logging.WARNING)
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name(f"Test {arch}")
    writer.add_context_length(context)
    writer.add_block_count(layers)
    writer.add_embedding_length(embedding)
    writer.add_head_count(heads)
    if kv_heads is not None:
        writer.add_head_count_kv(kv_heads)
    if key_length:
        writer.add_key_length(key_length)
    if value_length:
        writer.add_value_length(value_length)
    writer.add_file_type(int(gguf.LlamaFileType[f"MOSTLY_{quant}"]))
    writer.add_tensor("token_embd.weight", np.ones(64, dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones(16, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


# Real models' shapes, and the KV cache llama.cpp reports for them at 4096 tokens (f16).
SHAPES = {
    # Llama 3 8B: grouped-query attention, 8 KV heads for 32 query heads.
    "llama-gqa": ({"arch": "llama", "layers": 32, "embedding": 4096, "heads": 32, "kv_heads": 8}, 512 * MiB),
    # Llama 2 7B: multi-head attention, every head has its own K and V.
    "llama-mha": ({"arch": "llama", "layers": 32, "embedding": 4096, "heads": 32, "kv_heads": 32}, 2048 * MiB),
    # An older file without head_count_kv: MHA is assumed.
    "llama-no-kv-key": ({"arch": "llama", "layers": 32, "embedding": 4096, "heads": 32}, 2048 * MiB),
    # Qwen2 0.5B: head size 896 / 14 = 64, 2 KV heads.
    "qwen2": ({"arch": "qwen2", "layers": 24, "embedding": 896, "heads": 14, "kv_heads": 2}, 48 * MiB),
    # Gemma 2 9B: the head size (256) is stated, not embedding / heads (224).
    "gemma2": ({"arch": "gemma2", "layers": 42, "embedding": 3584, "heads": 16, "kv_heads": 8,
                "key_length": 256, "value_length": 256}, 1344 * MiB),
    # Only the key size stated: llama.cpp takes the value size as embedding / heads (128), not the key's.
    "key-length-only": ({"arch": "llama", "layers": 32, "embedding": 4096, "heads": 32, "kv_heads": 8,
                         "key_length": 256}, 768 * MiB),
    # Per-layer KV head counts (OpenELM style): the layers' counts are summed.
    "per-layer": ({"arch": "openelm", "layers": 4, "embedding": 1024, "heads": [16, 16, 16, 16],
                   "kv_heads": [2, 2, 4, 4]}, 4096 * 12 * (64 + 64) * 2),
}


def variant_from_file(path, size, **kwargs):
    """A catalog variant whose header was read from `path` (as after a download), of `size` bytes."""
    repository = ModelRepositoryFactory()
    variant = ModelVariantFactory(repository=repository, filename=path.name, size=size, **kwargs)
    probe.update_variant_from_file(variant, path)
    variant.refresh_from_db()
    return variant


@pytest.mark.parametrize("name", list(SHAPES))
def test_the_kv_cache_follows_the_header(tmp_path, settings, name):
    shape, expected = SHAPES[name]
    path = write_gguf(tmp_path / f"{name}.gguf", **{k: v for k, v in shape.items()})
    found = probe.probe(path)
    assert found["block_count"] == shape["layers"]
    assert found["head_count"] == shape["heads"]
    settings.FIT_CONTEXT = 4096
    assert fit.kv_cache_bytes(found, fit.context_for(found)) == expected


def test_the_probe_keeps_the_shape_for_any_architecture_prefix(tmp_path):
    path = write_gguf(tmp_path / "g.gguf", "gemma2", layers=42, embedding=3584, heads=16, kv_heads=8,
                      key_length=256, value_length=256, context=8192)
    found = probe.probe(path)
    assert {k: found[k] for k in ("block_count", "embedding_length", "head_count", "head_count_kv", "key_length",
                                  "value_length", "context_length")} == {
        "block_count": 42, "embedding_length": 3584, "head_count": 16, "head_count_kv": 8, "key_length": 256,
        "value_length": 256, "context_length": 8192}


def test_a_shorter_model_context_caps_the_estimate(tmp_path, settings):
    settings.FIT_CONTEXT = 8192
    path = write_gguf(tmp_path / "short.gguf", "llama", layers=32, embedding=4096, heads=32, kv_heads=8, context=2048)
    variant = variant_from_file(path, 4 * GiB)
    assert variant.fit.context == 2048
    assert variant.fit.kv_cache_bytes == 256 * MiB


def test_the_context_setting_scales_the_kv_cache(tmp_path, settings):
    path = write_gguf(tmp_path / "long.gguf", "llama", layers=32, embedding=4096, heads=32, kv_heads=8, context=131072)
    variant = variant_from_file(path, 4 * GiB)
    settings.FIT_CONTEXT = 32768
    estimate = fit.estimate(variant)
    assert (estimate.context, estimate.kv_cache_bytes) == (32768, 4 * GiB)


@pytest.mark.parametrize(
    ("gpu", "ram", "verdict"),
    [
        (8 * GiB, 16 * GiB, "gpu"),  # 5.5 GiB needed <= 8 GiB - 0.5 GiB reserve
        (6 * GiB, 16 * GiB, "gpu"),  # 5.5 GiB <= 5.5 GiB: exactly at the budget still fits
        (4 * GiB, 16 * GiB, "ram"),
        (0, 8 * GiB, "ram"),  # no GPU: 5.5 GiB <= 8 GiB - 2 GiB reserve
        (0, 7 * GiB, "too_large"),
        (4 * GiB, 6 * GiB, "too_large"),  # RAM and GPU are not added up
    ],
)
def test_the_verdict_compares_the_need_with_the_stated_machine(tmp_path, settings, gpu, ram, verdict):
    settings.GPU_BYTES, settings.RAM_BYTES, settings.FIT_CONTEXT = gpu, ram, 4096
    path = write_gguf(tmp_path / "llama3-8b.Q4_K_M.gguf", "llama", layers=32, embedding=4096, heads=32, kv_heads=8)
    # 4.5 GiB of weights + 512 MiB KV cache + 512 MiB runtime = 5.5 GiB.
    variant = variant_from_file(path, 4 * GiB + 512 * MiB)
    estimate = variant.fit
    assert estimate.needed_bytes == 5 * GiB + 512 * MiB
    assert (estimate.weights_bytes, estimate.kv_cache_bytes, estimate.overhead_bytes) == (
        4 * GiB + 512 * MiB, 512 * MiB, fit.RUNTIME_OVERHEAD_BYTES)
    assert estimate.verdict == verdict
    assert estimate.gpu_bytes == (gpu or None) and estimate.ram_bytes == ram


def test_gqa_fits_where_the_same_size_with_mha_does_not(tmp_path, settings):
    settings.GPU_BYTES, settings.RAM_BYTES, settings.FIT_CONTEXT = 6 * GiB, 32 * GiB, 4096
    gqa = variant_from_file(write_gguf(tmp_path / "gqa.gguf", "llama", layers=32, embedding=4096, heads=32,
                                       kv_heads=8), 4 * GiB)
    mha = variant_from_file(write_gguf(tmp_path / "mha.gguf", "llama", layers=32, embedding=4096, heads=32,
                                       kv_heads=32), 4 * GiB)
    assert (gqa.fit.verdict, gqa.fit.needed_bytes) == ("gpu", 5 * GiB)
    assert (mha.fit.verdict, mha.fit.needed_bytes) == ("ram", 6 * GiB + 512 * MiB)


def test_other_quantizations_of_the_repository_use_the_header_read_from_one(tmp_path, settings):
    settings.GPU_BYTES, settings.RAM_BYTES = 0, 16 * GiB
    path = write_gguf(tmp_path / "m.Q4_K_M.gguf", "qwen2", layers=24, embedding=896, heads=14, kv_heads=2)
    downloaded = variant_from_file(path, 400 * MiB)
    sibling = ModelVariantFactory(repository=downloaded.repository, filename="m.Q8_0.gguf", size=700 * MiB,
                                  quant_method="Q8_0", quant_bits=8.5)
    assert downloaded.repository.extra["gguf_shape"]["from"] == "m.Q4_K_M.gguf"
    assert sibling.probed == {}
    assert (sibling.fit.verdict, sibling.fit.kv_cache_bytes) == ("ram", 48 * MiB)


def test_without_a_header_the_verdict_is_unknown_unless_the_weights_alone_are_too_large(settings):
    settings.GPU_BYTES, settings.RAM_BYTES = 0, 16 * GiB
    repository = ModelRepositoryFactory()
    small = ModelVariantFactory(repository=repository, filename="m.Q4_K_M.gguf", size=4 * GiB)
    huge = ModelVariantFactory(repository=repository, filename="m.F16.gguf", size=15 * GiB, quant_method="F16")
    assert (small.fit.verdict, small.fit.reason, small.fit.needed_bytes) == ("unknown", "no_header", None)
    assert "downloaded or scanned" in small.fit.description
    assert (huge.fit.verdict, huge.fit.kv_cache_bytes) == ("too_large", None)
    assert huge.fit.description == ("The weights alone (15 GB) need more than this machine has; this machine: no GPU, "
                                    "RAM 16 GB.")


def test_files_that_are_not_gguf_are_unknown(settings):
    settings.RAM_BYTES = 16 * GiB
    variant = ModelVariantFactory(filename="model.safetensors", format="safetensors", size=2 * GiB,
                                  quant_method="", quant_bits=None)
    projector = ModelVariantFactory(filename="mmproj-f16.gguf", role="mmproj", size=600 * MiB)
    assert (variant.fit.verdict, variant.fit.reason, variant.fit.label) == ("unknown", "not_gguf", "Unknown")
    assert "Only GGUF files are estimated." in variant.fit.description
    assert (projector.fit.verdict, projector.fit.reason) == ("unknown", "projector")


def test_a_gpu_whose_memory_is_not_told_is_not_counted(tmp_path, settings):
    from modella import hardware

    path = write_gguf(tmp_path / "m.gguf", "llama", layers=32, embedding=4096, heads=32, kv_heads=8)
    variant = variant_from_file(path, 4 * GiB)
    machine = hardware.Machine(16 * GiB, None, (hardware.Gpu("NVIDIA GeForce RTX 4090", None),), "meminfo", "proc")
    estimate = fit.estimate(variant, machine)
    assert (estimate.verdict, estimate.gpu_bytes) == ("ram", None)
    assert estimate.description.endswith("this machine: a GPU whose memory the driver does not tell, RAM 16 GB.")


# --- what the user sees: the variants table and the API ---------------------------------------------
@pytest.fixture
def estimated(tmp_path, settings):
    settings.GPU_BYTES, settings.RAM_BYTES, settings.FIT_CONTEXT = 8 * GiB, 32 * GiB, 4096
    path = write_gguf(tmp_path / "llama3-8b.Q4_K_M.gguf", "llama", layers=32, embedding=4096, heads=32, kv_heads=8)
    variant = variant_from_file(path, 4 * GiB + 512 * MiB, is_recommended=True)
    ModelVariantFactory(repository=variant.repository, filename="llama3-8b.F32.gguf", size=32 * GiB,
                        quant_method="F32", quant_bits=32)
    return variant


def test_the_variants_table_shows_the_verdict_and_the_numbers(logged_in_client, estimated):
    response = logged_in_client.get(reverse("model_details", args=[estimated.repository.repo]))
    body = response.content.decode()
    assert response.status_code == 200
    assert '<th scope="col">Fits</th>' in body
    tip = f"fit-tip-{estimated.pk}"
    assert f'tabindex="0" aria-describedby="{tip}">Fits in GPU</span>' in body
    assert (f'role="tooltip" id="{tip}">Weights 4.5 GB + KV cache 512 MB at 4096 tokens + runtime 512 MB = 5.5 GB; '
            "this machine: GPU 8 GB, RAM 32 GB.</span>") in body
    assert ">Too large</span>" in body


def test_the_api_gives_each_variant_its_fit(api_client, estimated):
    response = api_client.get("/api/v1/modelfiles")
    assert response.status_code == 200
    variants = {v["filename"]: v for r in response.json()["repositories"] for v in r["variants"]}
    assert variants["llama3-8b.Q4_K_M.gguf"]["fit"] == {
        "verdict": "gpu", "needed_bytes": 5 * GiB + 512 * MiB, "weights_bytes": 4 * GiB + 512 * MiB,
        "kv_cache_bytes": 512 * MiB, "overhead_bytes": fit.RUNTIME_OVERHEAD_BYTES, "context": 4096,
        "gpu_bytes": 8 * GiB, "ram_bytes": 32 * GiB, "reason": None}
    assert variants["llama3-8b.F32.gguf"]["fit"]["verdict"] == "too_large"


def test_the_status_endpoint_tells_the_machine_memory(api_client, settings):
    settings.RAM_BYTES, settings.GPU_BYTES = 32 * GiB, 8 * GiB
    memory = api_client.get("/api/v1/status").json()["memory"]
    assert memory["ram"] == {"total_bytes": 32 * GiB, "available_bytes": None, "source": "setting"}
    assert (memory["gpu_total_bytes"], memory["gpu_source"]) == (8 * GiB, "setting")


# --- hostile headers: never a crash, never a smaller estimate ---------------------------------------
def _gguf_head(*pairs) -> bytes:
    """A GGUF v3 header of (key, type, packed value) pairs after general.architecture = llama."""
    def pair(key: bytes, kind: int, value: bytes) -> bytes:
        return struct.pack("<Q", len(key)) + key + struct.pack("<I", kind) + value
    body = pair(b"general.architecture", 8, struct.pack("<Q", 5) + b"llama")
    body += b"".join(pair(key, kind, value) for key, kind, value in pairs)
    return b"GGUF" + struct.pack("<IQQ", 3, 0, len(pairs) + 1) + body


@pytest.mark.parametrize("pairs", [
    # A float32 infinity / NaN where a count belongs.
    [(b"llama.block_count", 6, struct.pack("<f", float("inf"))), (b"llama.attention.head_count", 4, b"\x20\0\0\0")],
    [(b"llama.block_count", 4, b"\x20\0\0\0"), (b"llama.attention.head_count", 9,
                                                struct.pack("<IQ", 6, 2) + struct.pack("<2f", float("nan"), 1.0))],
])
def test_a_non_finite_count_is_ignored_not_a_crash(pairs):
    shape = probe.gguf_shape_from_bytes(_gguf_head(*pairs))
    assert fit.kv_cache_bytes(shape, 4096) is None


def test_negative_per_layer_heads_never_shrink_the_estimate():
    shape = probe.gguf_shape_from_bytes(_gguf_head(
        (b"llama.block_count", 4, struct.pack("<I", 2)), (b"llama.embedding_length", 4, struct.pack("<I", 4096)),
        (b"llama.attention.head_count", 4, struct.pack("<I", 32)),
        (b"llama.attention.head_count_kv", 9, struct.pack("<IQ", 5, 2) + struct.pack("<2i", 8, -1000))))
    assert "head_count_kv" not in shape
    assert fit.kv_cache_bytes(shape, 4096) == 4096 * 2 * 32 * (128 + 128) * 2  # every head counted


def test_an_absurd_layer_count_leaves_the_verdict_unknown(settings):
    settings.GPU_BYTES, settings.RAM_BYTES = 0, 16 * GiB
    shape = probe.gguf_shape_from_bytes(_gguf_head(
        (b"llama.block_count", 10, struct.pack("<Q", 2**62)), (b"llama.embedding_length", 4, struct.pack("<I", 4096)),
        (b"llama.attention.head_count", 4, struct.pack("<I", 32))))
    repository = ModelRepositoryFactory(extra={"gguf_shape": shape})
    variant = ModelVariantFactory(repository=repository, filename="m.Q4_K_M.gguf", size=GiB)
    assert (variant.fit.verdict, variant.fit.reason) == ("unknown", "no_header")
