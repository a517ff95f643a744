"""Variants built from a repository's files: GGUF quants, split sets, projectors, safetensors."""

from catalog.models import ModelVariant
from catalog.sync import fetch_repository
from tests.catalog.helpers import QUANTS, SDXL, SPLIT, add_quant_repo, add_sdxl_repo, add_split_repo


def test_every_gguf_file_is_a_variant_and_other_files_are_not(hub):
    add_quant_repo(hub)
    repository = fetch_repository(QUANTS)
    names = sorted(repository.variants.values_list("filename", flat=True))
    assert len(names) == 7
    assert all(name.endswith(".gguf") for name in names)
    sizes = {v.filename: v.size for v in repository.variants.all()}
    info = hub.hf_repo(QUANTS).head.files
    assert sizes == {path: entry.size for path, entry in info.items() if path.endswith(".gguf")}


def test_the_recommended_variant_is_q4_k_m(hub):
    add_quant_repo(hub)
    recommended = fetch_repository(QUANTS).variants.get(is_recommended=True)
    assert recommended.quant_method == "Q4_K_M"


def test_without_q4_k_m_the_best_quality_at_or_below_5_bits_is_recommended(hub):
    add_quant_repo(hub, quants=("Q2_K", "Q3_K_L", "Q4_0", "Q6_K", "Q8_0"))
    recommended = fetch_repository(QUANTS).variants.get(is_recommended=True)
    assert recommended.quant_method == "Q4_0"


def test_a_split_set_is_one_variant_with_the_summed_size_and_its_parts(hub):
    add_split_repo(hub)
    repository = fetch_repository(SPLIT)
    split = repository.variants.get(filename="vision-7b.Q8_0-00001-of-00003.gguf")
    files = hub.hf_repo(SPLIT).head.files
    parts = [f"vision-7b.Q8_0-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
    assert [f["path"] for f in split.files] == parts
    assert split.size == sum(files[p].size for p in parts)
    assert [f["sha256"] for f in split.files] == [files[p].sha256 for p in parts]
    assert repository.variants.count() == 3  # Q4_K_M, the Q8_0 set, the projector


def test_projector_files_are_shown_with_the_variants_they_belong_to(hub, api_client):
    add_split_repo(hub)
    fetch_repository(SPLIT)
    projector = ModelVariant.objects.get(filename="mmproj-vision-7b-f16.gguf")
    assert projector.role == "mmproj"
    assert not projector.is_recommended
    data = api_client.get("/api/v1/modelfiles").json()["repositories"][0]
    by_name = {v["filename"]: v for v in data["variants"]}
    assert by_name["mmproj-vision-7b-f16.gguf"]["role"] == "mmproj"
    assert by_name["vision-7b.Q4_K_M.gguf"]["projectors"] == ["mmproj-vision-7b-f16.gguf"]
    assert by_name["vision-7b.Q8_0-00001-of-00003.gguf"]["projectors"] == ["mmproj-vision-7b-f16.gguf"]
    assert [f["path"] for f in by_name["vision-7b.Q8_0-00001-of-00003.gguf"]["files"]][-1].endswith("00003.gguf")


def test_a_repository_without_gguf_gets_its_weight_files(hub):
    add_sdxl_repo(hub)
    repository = fetch_repository(SDXL)
    names = set(repository.variants.values_list("filename", flat=True))
    assert names == {"sd_xl_base_1.0.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors",
                     "vae/diffusion_pytorch_model.safetensors"}
    assert repository.model_type == "Checkpoint"
    assert repository.family == "sdxl"
    assert repository.variants.get(is_recommended=True).filename == "sd_xl_base_1.0.safetensors"
    assert repository.variants.get(filename="unet/diffusion_pytorch_model.fp16.safetensors").quant_method == "F16"


def test_ckpt_and_bin_weights_are_variants_but_training_state_is_not(hub):
    hub.add_hf_repo("testlab/old-style", files={
        "model.ckpt": b"x" * 100, "pytorch_model.bin": b"y" * 50, "training_args.bin": b"z",
        "optimizer.pt": b"o", "config.json": b"{}",
    })
    repository = fetch_repository("testlab/old-style")
    assert set(repository.variants.values_list("filename", "format")) == {("model.ckpt", "ckpt"),
                                                                           ("pytorch_model.bin", "bin")}


def test_the_seeded_split_gguf_repository(hub, settings):
    # Its multi-GB generated files are hashed once per machine (then cached by the emulator).
    settings.HUB_TIMEOUT = 300
    repository = fetch_repository("visionlab/Llava-v1.6-Mistral-7B-GGUF")
    split = repository.variants.get(filename__contains="00001-of-00003")
    assert split.size == 2_914_213_472 + 2_911_120_320 + 1_870_317_632
    assert repository.variants.get(is_recommended=True).quant_method == "Q4_K_M"
    assert repository.variants.filter(role="mmproj").count() == 1
    assert repository.family in ("llava", "mistral")
