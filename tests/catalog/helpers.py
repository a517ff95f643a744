"""Small repositories for the emulator: real GGUF / safetensors bytes, a few KB each."""

from tests.fakehub import FakeHub

SPLIT = "testlab/Vision-7B-GGUF"
QUANTS = "testlab/Chat-7B-GGUF"
SDXL = "testlab/sdxl-mini"


def gguf(quant: str, arch: str = "llama", params: float = 7e9) -> bytes:
    return FakeHub.gguf_bytes(arch=arch, n_params_hint=params, quant=quant)


def add_quant_repo(hub, repo: str = QUANTS, quants=("Q2_K", "Q3_K_M", "Q4_0", "Q4_K_M", "Q5_K_M", "Q8_0", "F16"),
                   **kwargs):
    files = {f"chat-7b.{q}.gguf": gguf(q) for q in quants}
    options = {"card_data": {"license": "llama2", "base_model": "meta-llama/Llama-2-7b-chat-hf", "tags": ["chat"]},
               "likes": 120, "downloads": 5000, "pipeline_tag": "text-generation", "library_name": "gguf",
               "extra": {"gguf": {"total": 6_738_415_616, "architecture": "llama", "context_length": 4096}}}
    options.update(kwargs)
    return hub.add_hf_repo(repo, files=files, **options)


def add_split_repo(hub, repo: str = SPLIT):
    files = {
        "vision-7b.Q4_K_M.gguf": gguf("Q4_K_M"),
        "mmproj-vision-7b-f16.gguf": gguf("F16", arch="clip", params=3e8),
        "vision-7b.Q8_0-00001-of-00003.gguf": gguf("Q8_0"),
        "vision-7b.Q8_0-00002-of-00003.gguf": b"part two" * 100,
        "vision-7b.Q8_0-00003-of-00003.gguf": b"part three" * 50,
    }
    return hub.add_hf_repo(repo, files=files, card_data={"license": "apache-2.0", "tags": ["vision"]},
                           pipeline_tag="image-text-to-text", library_name="gguf", likes=7)


SDXL_TENSORS = {
    "model.diffusion_model.input_blocks.0.0.weight": ("F16", [320, 4, 3, 3]),
    "conditioner.embedders.1.model.ln_final.weight": ("F16", [1280]),
}


def add_sdxl_repo(hub, repo: str = SDXL):
    files = {
        "sd_xl_base_1.0.safetensors": FakeHub.safetensors_bytes(SDXL_TENSORS),
        "unet/diffusion_pytorch_model.fp16.safetensors": FakeHub.safetensors_bytes({"conv_in.weight": ("F16", [32, 4])}),
        "vae/diffusion_pytorch_model.safetensors": FakeHub.safetensors_bytes({"encoder.conv_in.weight": ("F32", [8])}),
        "model_index.json": b"{}",
    }
    return hub.add_hf_repo(repo, files=files, card_data={"license": "openrail++", "tags": ["sdxl"]},
                           pipeline_tag="text-to-image", library_name="diffusers", likes=999)
