"""catalog.quant: quant names, families, parameter counts, ratings and the recommended pick."""

import pytest

from catalog import quant


@pytest.mark.parametrize(
    ("filename", "method", "nominal"),
    [
        ("llama-2-7b-chat.Q2_K.gguf", "Q2_K", 2),
        ("llama-2-7b-chat.Q3_K_S.gguf", "Q3_K_S", 3),
        ("llama-2-7b-chat.Q3_K_M.gguf", "Q3_K_M", 3),
        ("llama-2-7b-chat.Q3_K_L.gguf", "Q3_K_L", 3),
        ("llama-2-7b-chat.Q4_0.gguf", "Q4_0", 4),
        ("llama-2-7b-chat.Q4_1.gguf", "Q4_1", 4),
        ("llama-2-7b-chat.Q4_K_S.gguf", "Q4_K_S", 4),
        ("llama-2-7b-chat.Q4_K_M.gguf", "Q4_K_M", 4),
        ("gemma-2-9b-it-Q4_K_L.gguf", "Q4_K_L", 4),
        ("llama-2-7b-chat.Q5_0.gguf", "Q5_0", 5),
        ("llama-2-7b-chat.Q5_1.gguf", "Q5_1", 5),
        ("llama-2-7b-chat.Q5_K_S.gguf", "Q5_K_S", 5),
        ("llama-2-7b-chat.Q5_K_M.gguf", "Q5_K_M", 5),
        ("llama-2-7b-chat.Q6_K.gguf", "Q6_K", 6),
        ("gemma-2-9b-it-Q6_K_L.gguf", "Q6_K_L", 6),
        ("llama-2-7b-chat.Q8_0.gguf", "Q8_0", 8),
        ("model-IQ1_S.gguf", "IQ1_S", 1),
        ("model-IQ1_M.gguf", "IQ1_M", 1),
        ("model-IQ2_XXS.gguf", "IQ2_XXS", 2),
        ("model-IQ2_XS.gguf", "IQ2_XS", 2),
        ("model-IQ2_S.gguf", "IQ2_S", 2),
        ("model-IQ2_M.gguf", "IQ2_M", 2),
        ("model-IQ3_XXS.gguf", "IQ3_XXS", 3),
        ("model-IQ3_XS.gguf", "IQ3_XS", 3),
        ("model-IQ3_S.gguf", "IQ3_S", 3),
        ("model-IQ3_M.gguf", "IQ3_M", 3),
        ("model-IQ4_NL.gguf", "IQ4_NL", 4),
        ("model-IQ4_XS.gguf", "IQ4_XS", 4),
        ("model-f16.gguf", "F16", 16),
        ("model-BF16.gguf", "BF16", 16),
        ("model-f32.gguf", "F32", 32),
        ("gpt-oss-20b-MXFP4.gguf", "MXFP4", 4),
        ("model-q4_k_m.gguf", "Q4_K_M", 4),
        ("Qwen2.5-72B-Instruct-Q4_K_M-00001-of-00003.gguf", "Q4_K_M", 4),
        ("sub/dir/model.Q8_0.gguf", "Q8_0", 8),
        ("mmproj-model-f16.gguf", "F16", 16),
        ("flux1-dev-fp8.safetensors", "FP8", 8),
        ("sd_xl_base_1.0_fp16.safetensors", "F16", 16),
    ],
)
def test_it_parses_every_listed_quant_family(filename, method, nominal):
    parsed = quant.parse_quant(filename)
    assert parsed is not None
    assert parsed.method == method
    assert parsed.nominal_bits == nominal
    assert 1 <= parsed.bits <= 32


def test_bf16_is_not_mistaken_for_f16():
    assert quant.parse_quant("x-bf16.gguf").method == "BF16"


def test_names_without_a_quant_give_none():
    assert quant.parse_quant("README.md") is None
    assert quant.parse_quant("model.safetensors") is None


def test_gguf_file_type_names_map_to_quants():
    assert quant.quant_from_name("MOSTLY_Q4_K_M").method == "Q4_K_M"
    assert quant.quant_from_name("ALL_F32").method == "F32"
    assert quant.quant_from_name("nonsense") is None


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("Q4_K_M", {"speed": 4, "memory": 4, "quality": 3}),
        ("Q8_0", {"speed": 2, "memory": 2, "quality": 5}),
        ("F16", {"speed": 1, "memory": 1, "quality": 5}),
        ("Q2_K", {"speed": 5, "memory": 5, "quality": 1}),
        ("Q6_K", {"speed": 3, "memory": 3, "quality": 4}),
        ("IQ3_M", {"speed": 3, "memory": 4, "quality": 2}),
    ],
)
def test_ratings_follow_bits_per_weight(method, expected):
    q = quant.quant_from_name(method)
    assert quant.ratings(q.bits, q.kind) == expected


def test_ratings_are_always_between_1_and_5():
    for bits, kind in quant.QUANTS.values():
        for value in quant.ratings(bits, kind).values():
            assert 1 <= value <= 5


def test_the_recommended_quant_is_q4_k_m_when_present():
    names = ["Q2_K", "Q3_K_M", "Q4_0", "Q4_1", "IQ4_NL", "Q4_K_S", "Q4_K_M", "Q4_K_L", "Q5_K_M", "Q6_K", "Q8_0", "F16"]
    pairs = [(name, quant.quant_from_name(name)) for name in names]
    assert quant.pick_recommended(pairs) == "Q4_K_M"


def test_the_recommended_quant_is_the_best_quality_at_or_below_5_bits():
    pairs = [(n, quant.quant_from_name(n)) for n in ["Q2_K", "IQ4_XS", "Q3_K_L", "Q6_K", "Q8_0"]]
    assert quant.pick_recommended(pairs) == "IQ4_XS"


def test_without_a_small_enough_quant_the_smallest_is_recommended():
    pairs = [(n, quant.quant_from_name(n)) for n in ["Q8_0", "Q6_K", "F16"]]
    assert quant.pick_recommended(pairs) == "Q6_K"
    assert quant.pick_recommended([("a", None)]) is None


@pytest.mark.parametrize(
    ("texts", "family"),
    [
        (("TheBloke/Llama-2-7B-Chat-GGUF",), "llama"),
        (("TheBloke/Mixtral-8x7B-Instruct-v0.1-GGUF",), "mixtral"),
        (("bartowski/Mistral-7B-Instruct-v0.3-GGUF",), "mistral"),
        (("Qwen/Qwen2.5-7B-Instruct-GGUF",), "qwen"),
        (("bartowski/gemma-2-9b-it-GGUF",), "gemma"),
        (("microsoft/Phi-3-mini-4k-instruct-gguf",), "phi"),
        (("unsloth/gpt-oss-20b-GGUF",), "gpt-oss"),
        (("stabilityai/stable-diffusion-xl-base-1.0",), "sdxl"),
        (("black-forest-labs/FLUX.1-dev",), "flux"),
        (("acme/unknown-thing", "meta-llama/Llama-3.1-8B"), "llama"),
        (("acme/nothing",), ""),
    ],
)
def test_it_derives_the_family_from_names_and_card_data(texts, family):
    assert quant.family_from_text(*texts) == family


def test_it_maps_gguf_architectures_to_families():
    assert quant.family_from_architecture("qwen2") == "qwen"
    assert quant.family_from_architecture("llama") == "llama"
    assert quant.family_from_architecture("newarch") == "newarch"


@pytest.mark.parametrize(
    ("text", "parameters"),
    [
        ("TheBloke/Llama-2-7B-Chat-GGUF", 7_000_000_000),
        ("TinyLlama-1.1B-Chat-v1.0", 1_100_000_000),
        ("SmolLM2-135M-Instruct", 135_000_000),
        ("Mixtral-8x7B-Instruct", 56_000_000_000),
        ("Qwen3-30B-A3B-GGUF", 30_000_000_000),
        ("Qwen2.5-0.5B-Instruct", 500_000_000),
        ("llama-2-13b-chat.Q4_K_M.gguf", 13_000_000_000),
        ("Phi-3-mini-4k-instruct", None),
    ],
)
def test_it_reads_parameter_counts_from_names(text, parameters):
    assert quant.parameters_from_text(text) == parameters


def test_size_labels_are_short():
    assert quant.size_label(7_000_000_000) == "7B"
    assert quant.size_label(1_100_000_000) == "1.1B"
    assert quant.size_label(135_000_000) == "135M"
    assert quant.size_label(None) == ""
