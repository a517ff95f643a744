"""catalog.probe: real GGUF and safetensors headers correct the catalog after a download."""

import struct

import pytest

from catalog import probe
from tests.factories import ModelRepositoryFactory, ModelVariantFactory
from tests.fakehub import FakeHub


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_it_reads_a_real_gguf_header(tmp_path):
    path = write(tmp_path, "m.gguf", FakeHub.gguf_bytes(arch="qwen2", n_params_hint=7e9, quant="Q5_K_M",
                                                        context_length=32768))
    found = probe.probe(path)
    assert found["format"] == "gguf"
    assert found["architecture"] == "qwen2"
    assert found["family"] == "qwen"
    assert found["context_length"] == 32768
    assert found["quantization"]["method"] == "Q5_K_M"
    assert found["parameters"] == 7_000_000_000  # from the size label: the test file's tensors are tiny


@pytest.mark.parametrize("quant", ["Q2_K", "Q4_K_M", "Q8_0", "IQ4_XS", "F16", "BF16"])
def test_it_reads_the_quantization_from_the_file_type(tmp_path, quant):
    path = write(tmp_path, "m.gguf", FakeHub.gguf_bytes(quant=quant))
    assert probe.probe(path)["quantization"]["method"] == quant


def test_it_reads_a_large_generated_gguf_header(tmp_path):
    content = FakeHub.generated_gguf(8 * 1024 * 1024, seed=3, arch="llama", n_params_hint=8e9, quant="Q4_K_S")
    path = write(tmp_path, "big.gguf", content.read())
    found = probe.probe(path)
    assert found["architecture"] == "llama"
    assert found["quantization"]["method"] == "Q4_K_S"


@pytest.mark.parametrize(
    ("tensors", "model_type", "base_model"),
    [
        ({"model.diffusion_model.input_blocks.0.0.weight": ("F16", [320, 4, 3, 3]),
          "conditioner.embedders.1.model.ln_final.weight": ("F16", [1280])}, "Checkpoint", "SDXL 1.0"),
        ({"model.diffusion_model.input_blocks.0.0.weight": ("F16", [320, 4, 3, 3]),
          "cond_stage_model.transformer.text_model.final_layer_norm.weight": ("F16", [768])}, "Checkpoint", "SD 1.5"),
        ({"double_blocks.0.img_attn.proj.weight": ("BF16", [64, 64]),
          "single_blocks.0.linear1.weight": ("BF16", [64, 64])}, "Checkpoint", "Flux.1 D"),
        ({"model.layers.0.self_attn.q_proj.weight": ("BF16", [64, 64]),
          "lm_head.weight": ("BF16", [100, 64])}, "LLM", ""),
        ({"lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight": ("F16", [8, 320])}, "LORA", "SD 1.5"),
        ({"lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_down.weight": ("F16", [8, 1280])}, "LORA", "SDXL 1.0"),
        ({"encoder.conv_in.weight": ("F32", [8]), "decoder.conv_out.weight": ("F32", [8])}, "VAE", ""),
    ],
)
def test_it_guesses_the_kind_of_a_safetensors_file(tmp_path, tensors, model_type, base_model):
    path = write(tmp_path, "m.safetensors", FakeHub.safetensors_bytes(tensors, {"format": "pt"}))
    found = probe.probe(path)
    assert found["format"] == "safetensors"
    assert (found["model_type"], found["base_model"]) == (model_type, base_model)
    assert found["parameters"] == sum(
        __import__("math").prod(shape) for _dtype, shape in tensors.values())


def test_garbage_is_a_probe_error(tmp_path):
    with pytest.raises(probe.ProbeError):
        probe.probe(write(tmp_path, "x.bin", b"\xff" * 64))
    with pytest.raises(probe.ProbeError):
        probe.probe(write(tmp_path, "y.safetensors", struct.pack("<Q", 10) + b"not json!!"))


def test_update_variant_from_file_corrects_the_catalog(db, tmp_path):
    repository = ModelRepositoryFactory(family="", model_type="")
    variant = ModelVariantFactory(repository=repository, filename="model.Q4_K_M.gguf", architecture="",
                                  quant_method="Q4_K_M", parameters=None)
    path = write(tmp_path, "model.Q4_K_M.gguf", FakeHub.gguf_bytes(arch="gemma2", n_params_hint=2.6e9, quant="Q8_0",
                                                                   context_length=8192))
    probe.update_variant_from_file(variant, path)
    variant.refresh_from_db()
    repository.refresh_from_db()
    assert variant.architecture == "gemma2"
    assert variant.context_length == 8192
    assert variant.quant_method == "Q8_0"  # the file itself says Q8_0, whatever its name says
    assert variant.probed["architecture"] == "gemma2"
    assert repository.family == "gemma"
    assert repository.model_type == "LLM"


def test_an_unreadable_file_leaves_the_variant_alone(db, tmp_path):
    variant = ModelVariantFactory(architecture="llama")
    assert probe.update_variant_from_file(variant, write(tmp_path, "x.gguf", b"GGUF broken")) == {}
    variant.refresh_from_db()
    assert variant.architecture == "llama"
