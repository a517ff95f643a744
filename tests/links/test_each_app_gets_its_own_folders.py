"""Each built-in mapping puts each kind of model where that app looks for it."""

import os

import pytest

from links import registry
from links.models import Link

pytestmark = pytest.mark.django_db

CIVITAI_CASES = [
    # (app kind, Civitai type, file name, expected link path in the app's folder)
    ("comfyui", "Checkpoint", "dream.safetensors", "models/checkpoints/dream.safetensors"),
    ("comfyui", "LORA", "style.safetensors", "models/loras/style.safetensors"),
    ("comfyui", "LoCon", "locon.safetensors", "models/loras/locon.safetensors"),
    ("comfyui", "VAE", "clear.vae.safetensors", "models/vae/clear.vae.safetensors"),
    ("comfyui", "TextualInversion", "easynegative.safetensors", "models/embeddings/easynegative.safetensors"),
    ("comfyui", "Controlnet", "canny.safetensors", "models/controlnet/canny.safetensors"),
    ("comfyui", "Upscaler", "4x-sharp.pth", "models/upscale_models/4x-sharp.pth"),
    ("comfyui", "Hypernetwork", "hyper.pt", "models/hypernetworks/hyper.pt"),
    ("comfyui", "MotionModule", "mm_sd15_v3.ckpt", "models/animatediff_models/mm_sd15_v3.ckpt"),
    ("comfyui", "Checkpoint", "flux1-dev-Q4_K_S.gguf", "models/unet/flux1-dev-Q4_K_S.gguf"),
    ("a1111", "Checkpoint", "dream.safetensors", "models/Stable-diffusion/dream.safetensors"),
    ("a1111", "LORA", "style.safetensors", "models/Lora/style.safetensors"),
    ("a1111", "DoRA", "dora.safetensors", "models/Lora/dora.safetensors"),
    ("a1111", "VAE", "clear.vae.pt", "models/VAE/clear.vae.pt"),
    ("a1111", "TextualInversion", "easynegative.pt", "embeddings/easynegative.pt"),
    ("a1111", "Controlnet", "canny.safetensors", "models/ControlNet/canny.safetensors"),
    ("a1111", "Upscaler", "4x-sharp.pth", "models/ESRGAN/4x-sharp.pth"),
    ("a1111", "Hypernetwork", "hyper.pt", "models/hypernetworks/hyper.pt"),
    ("forge", "Checkpoint", "dream.safetensors", "models/Stable-diffusion/dream.safetensors"),
    ("forge", "Checkpoint", "flux1-dev-Q4_K_S.gguf", "models/Stable-diffusion/flux1-dev-Q4_K_S.gguf"),
    ("forge", "LORA", "style.safetensors", "models/Lora/style.safetensors"),
    ("forge", "VAE", "ae.safetensors", "models/VAE/ae.safetensors"),
    ("forge", "TextualInversion", "easynegative.safetensors", "embeddings/easynegative.safetensors"),
    ("forge", "Controlnet", "canny.safetensors", "models/ControlNet/canny.safetensors"),
    ("forge", "Upscaler", "4x-sharp.pth", "models/ESRGAN/4x-sharp.pth"),
    ("invokeai", "Checkpoint", "dream.safetensors", "autoimport/main/dream.safetensors"),
    ("invokeai", "LORA", "style.safetensors", "autoimport/lora/style.safetensors"),
    ("invokeai", "TextualInversion", "easynegative.safetensors", "autoimport/embedding/easynegative.safetensors"),
    ("invokeai", "Controlnet", "canny.safetensors", "autoimport/controlnet/canny.safetensors"),
    ("invokeai", "VAE", "clear.vae.safetensors", "autoimport/vae/clear.vae.safetensors"),
]


@pytest.mark.parametrize(("kind", "model_type", "filename", "expected"), CIVITAI_CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CIVITAI_CASES])
def test_a_civitai_model_is_linked_into_the_apps_folder_for_its_type(kind, model_type, filename, expected,
                                                                     make_app, app_dir, civitai_model, models_dir):
    variant = civitai_model(model_type, filename)
    app = make_app(kind, app_dir)

    report = registry.link_all(app)

    assert [o.link_path for o in report.linked] == [expected], report.as_dict()
    link = app_dir / expected
    assert os.stat(link).st_ino == os.stat(models_dir / variant.local_path).st_ino
    assert Link.objects.get(app=app).source_path == variant.local_path


def test_a_downloaded_gguf_goes_into_lm_studios_publisher_and_repo_folder(make_app, app_dir, hf_model):
    hf_model("bartowski/Qwen2.5-7B-Instruct-GGUF", "Qwen2.5-7B-Instruct-Q4_K_M.gguf")
    app = make_app("lmstudio", app_dir)

    registry.link_all(app)

    assert (app_dir / "bartowski/Qwen2.5-7B-Instruct-GGUF/Qwen2.5-7B-Instruct-Q4_K_M.gguf").is_file()


def test_every_part_of_a_split_gguf_and_a_vision_projector_sit_together_in_lm_studio(make_app, app_dir, hf_model):
    parts = [f"big-Q8_0-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
    hf_model("acme/big-vision-GGUF", parts)
    hf_model("acme/big-vision-GGUF", "mmproj-big-f16.gguf", model_type="mmproj")
    app = make_app("lmstudio", app_dir)

    registry.link_all(app)

    folder = app_dir / "acme/big-vision-GGUF"
    assert sorted(p.name for p in folder.iterdir()) == sorted([*parts, "mmproj-big-f16.gguf"])


def test_language_models_do_not_go_into_image_apps_and_image_models_not_into_lm_studio(
        make_app, tmp_path, hf_model, civitai_model):
    hf_model("acme/chat-GGUF", "chat-Q4_K_M.gguf")
    civitai_model("LORA", "style.safetensors")
    comfy_dir, lms_dir = tmp_path / "comfy", tmp_path / "lms"
    comfy_dir.mkdir()
    lms_dir.mkdir()
    comfy, lms = make_app("comfyui", comfy_dir), make_app("lmstudio", lms_dir)

    assert [o.link_path for o in registry.link_all(comfy).linked] == ["models/loras/style.safetensors"]
    assert [o.link_path for o in registry.link_all(lms).linked] == ["acme/chat-GGUF/chat-Q4_K_M.gguf"]


def test_gguf_image_models_and_text_encoders_go_to_comfyuis_unet_and_clip_folders(make_app, app_dir, hf_model):
    hf_model("city96/FLUX.1-dev-gguf", "flux1-dev-Q4_K_S.gguf", probed={"architecture": "flux"})
    hf_model("city96/t5-v1_1-xxl-encoder-gguf", "t5-v1_1-xxl-encoder-Q8_0.gguf", probed={"architecture": "t5encoder"})
    app = make_app("comfyui", app_dir)

    registry.link_all(app)

    assert (app_dir / "models/unet/flux1-dev-Q4_K_S.gguf").is_file()
    assert (app_dir / "models/clip/t5-v1_1-xxl-encoder-Q8_0.gguf").is_file()


def test_an_imported_local_file_is_linked_by_its_type(make_app, app_dir, local_model):
    local_model("my-loras/watercolor.safetensors", "LORA")
    local_model("my-llms/tiny.Q4_0.gguf", "LLM")
    comfy = make_app("comfyui", app_dir)

    registry.link_all(comfy)

    assert (app_dir / "models/loras/watercolor.safetensors").is_file()
    lms_dir = app_dir.parent / "lms"
    lms_dir.mkdir()
    registry.link_all(make_app("lmstudio", lms_dir))
    assert (lms_dir / "local/my-llms/tiny.Q4_0.gguf").is_file()


def test_an_edited_mapping_is_used(make_app, app_dir, civitai_model):
    civitai_model("LORA", "style.safetensors")
    civitai_model("Checkpoint", "dream.safetensors", model_id=101)
    app = make_app("comfyui", app_dir, mapping={"lora": "models/loras/from-modella", "checkpoint": ""})

    report = registry.link_all(app)

    assert [o.link_path for o in report.linked] == ["models/loras/from-modella/style.safetensors"]
    assert not (app_dir / "models/checkpoints").exists()


def test_a_custom_app_starts_with_nothing_mapped_and_every_built_in_kind_has_a_mapping():
    assert set(registry.default_mapping("custom").values()) == {""}
    for kind in ("comfyui", "a1111", "forge", "invokeai", "lmstudio"):
        mapping = registry.default_mapping(kind)
        assert set(mapping) == set(registry.CATEGORIES)
        assert any(mapping.values())
        assert all(registry.clean_folder(folder) == folder for folder in mapping.values())


def test_one_file_of_a_diffusers_layout_is_not_linked_as_a_checkpoint():
    assert registry.category_of("Checkpoint", "x/unet/diffusion_pytorch_model.safetensors",
                                repo_filename="unet/diffusion_pytorch_model.safetensors") is None
    assert registry.category_of("text-generation", "x/model.safetensors", repo_filename="model.safetensors") is None
    assert registry.category_of("text-generation", "x/model.Q4_K_M.gguf") == "llm"
