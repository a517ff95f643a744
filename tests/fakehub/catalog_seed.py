"""The seeded demo catalog: realistic Hugging Face repos and Civitai models with invented names.

Large files are generated content with real GGUF / safetensors headers; their declared sizes are
realistic, and their digests are precomputed in known_hashes.py so seeding costs nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import UTC, datetime

from .content import BytesContent, Content
from .formats import safetensors_bytes

GGUF_REPO = "quantlab/Llama-2-7B-Chat-GGUF"
SPLIT_REPO = "visionlab/Llava-v1.6-Mistral-7B-GGUF"
SDXL_REPO = "pixelforge/sdxl-base-1.0"
GATED_AUTO = "northwind/Northwind-3.2-1B-Instruct"
GATED_MANUAL = "helixlabs/Helix-2-2B-it-GGUF"
PRIVATE_REPO = "modella-tester/private-finetune-gguf"
TINY_REPO = "acme/tiny-llama-gguf"
TINY_VOCAB = 1024
TINY_LORA_REPO = "acme/tiny-sd-lora"
TINY_BERT_REPO = "acme/tiny-bert"
MEDIUM_REPO = "acme/medium-gguf"

GB = 1000**3
MB = 1000**2

# Quant files of a 7B llama model, with sizes like the well-known community quantizations.
LLAMA_7B_QUANTS = {
    "Q2_K": 2_825_940_672, "Q3_K_S": 2_948_304_576, "Q3_K_M": 3_298_004_672, "Q3_K_L": 3_597_110_976,
    "IQ4_XS": 3_617_448_640, "Q4_0": 3_825_806_016, "Q4_K_S": 3_856_739_520, "Q4_K_M": 4_081_004_224,
    "Q5_0": 4_651_692_736, "Q5_K_S": 4_650_874_560, "Q5_K_M": 4_783_156_928, "Q6_K": 5_529_194_688,
    "Q8_0": 7_161_089_728, "F16": 13_478_104_576,
}
LLAMA_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}"
)


def _seed(*parts: object) -> int:
    return int(hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def _json(data: dict) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode()


def _readme(title: str, card: dict, body: str) -> bytes:
    front = ["---"]
    for key, value in card.items():
        if isinstance(value, list):
            front.append(f"{key}:")
            front.extend(f"- {v}" for v in value)
        else:
            front.append(f"{key}: {value}")
    front.append("---")
    return ("\n".join(front) + f"\n\n# {title}\n\n{body}\n").encode()


def _gguf(size: int, repo: str, path: str, quant: str, n_params: float, arch: str = "llama",
          context_length: int = 4096, name: str | None = None) -> Content:
    from .hub import FakeHub

    return FakeHub.generated_gguf(size, _seed(repo, path), arch, n_params, quant, context_length, name)


# ---- Hugging Face ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def hf_specs() -> list[dict]:
    """add_hf_repo keyword arguments for every seeded repo (built once per process)."""
    from .hub import FakeHub

    specs: list[dict] = []

    card = {"license": "llama2", "base_model": "meta-llama/Llama-2-7b-chat-hf", "model_creator": "Meta Llama 2",
            "model_type": "llama", "quantized_by": "quantlab", "inference": "false", "tags": ["llama", "llama-2"]}
    files: dict[str, Content | bytes] = {
        "README.md": _readme("Llama 2 7B Chat - GGUF", card, "GGUF quantizations of Llama 2 7B Chat."),
        "LICENSE.txt": b"LLAMA 2 COMMUNITY LICENSE AGREEMENT (placeholder text for tests)\n" * 40,
        "USE_POLICY.md": b"# Acceptable Use Policy\n\nPlaceholder.\n",
        "config.json": _json({"model_type": "llama"}),
    }
    for quant, size in LLAMA_7B_QUANTS.items():
        path = f"llama-2-7b-chat.{quant}.gguf"
        files[path] = _gguf(size, GGUF_REPO, path, quant, 6.74e9, name="LLaMA v2")
    specs.append(dict(repo_id=GGUF_REPO, files=files, card_data=card, likes=482, downloads=187_344,
                      pipeline_tag="text-generation", library_name="gguf", tags=["text-generation-inference"],
                      extra={"gguf": {"total": 6_738_415_616, "architecture": "llama", "context_length": 4096,
                                      "chat_template": LLAMA_CHAT_TEMPLATE}},
                      created_at=datetime(2023, 9, 5, 16, 21, 11, tzinfo=UTC)))

    card = {"license": "apache-2.0", "base_model": "liuhaotian/llava-v1.6-mistral-7b", "tags": ["llava", "vision"]}
    files = {
        "README.md": _readme("LLaVA v1.6 Mistral 7B - GGUF", card, "Vision-language model, with mmproj file."),
        "llava-v1.6-mistral-7b.Q4_K_M.gguf": _gguf(4_368_439_584, SPLIT_REPO, "q4", "Q4_K_M", 7.24e9),
        "mmproj-llava-v1.6-mistral-7b-f16.gguf": _gguf(624_434_368, SPLIT_REPO, "mmproj", "F16", 3.1e8,
                                                       arch="clip"),
    }
    for part, size in ((1, 2_914_213_472), (2, 2_911_120_320), (3, 1_870_317_632)):
        path = f"llava-v1.6-mistral-7b.Q8_0-0000{part}-of-00003.gguf"
        files[path] = _gguf(size, SPLIT_REPO, path, "Q8_0", 7.24e9)
    specs.append(dict(repo_id=SPLIT_REPO, files=files, card_data=card, likes=96, downloads=21_870,
                      pipeline_tag="image-text-to-text", library_name="gguf",
                      created_at=datetime(2024, 3, 2, 11, 4, 50, tzinfo=UTC)))

    card = {"license": "openrail++", "tags": ["text-to-image", "stable-diffusion", "sdxl"]}
    unet = {"model.diffusion_model.input_blocks.0.0.weight": ("F16", [320, 4, 3, 3]),
            "model.diffusion_model.out.2.weight": ("F16", [4, 320, 3, 3])}
    sd_meta = {"modelspec.architecture": "stable-diffusion-xl-v1-base", "modelspec.title": "SDXL 1.0 Base"}
    files = {
        "README.md": _readme("SDXL base 1.0", card, "A latent diffusion text-to-image model."),
        "model_index.json": _json({"_class_name": "StableDiffusionXLPipeline", "_diffusers_version": "0.19.0"}),
        "unet/config.json": _json({"_class_name": "UNet2DConditionModel", "sample_size": 128}),
        "vae/config.json": _json({"_class_name": "AutoencoderKL", "latent_channels": 4}),
        "sd_xl_base_1.0.safetensors": FakeHub.generated_safetensors(
            6_938_078_334, _seed(SDXL_REPO, "single"), unet, sd_meta, {"F16": 3_468_000_000}),
        "unet/diffusion_pytorch_model.fp16.safetensors": FakeHub.generated_safetensors(
            5_135_149_760, _seed(SDXL_REPO, "unet"), {"conv_in.weight": ("F16", [320, 4, 3, 3])}),
        "vae/diffusion_pytorch_model.safetensors": FakeHub.generated_safetensors(
            334_643_268, _seed(SDXL_REPO, "vae"), {"encoder.conv_in.weight": ("F32", [128, 3, 3, 3])}),
    }
    specs.append(dict(repo_id=SDXL_REPO, files=files, card_data=card, likes=6_112, downloads=2_403_118,
                      pipeline_tag="text-to-image", library_name="diffusers",
                      created_at=datetime(2023, 7, 25, 13, 25, 5, tzinfo=UTC)))

    card = {"license": "other", "license_name": "northwind-community", "language": ["en", "de", "fr"],
            "pipeline_tag": "text-generation", "extra_gated_prompt": "You agree to the Northwind license."}
    files = {
        "config.json": _json({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048,
                              "num_hidden_layers": 16, "max_position_embeddings": 131072,
                              "torch_dtype": "bfloat16"}),
        "generation_config.json": _json({"bos_token_id": 1, "eos_token_id": 2, "temperature": 0.6}),
        "tokenizer_config.json": _json({"model_max_length": 131072, "tokenizer_class": "PreTrainedTokenizerFast"}),
        "tokenizer.json": _json({"version": "1.0", "model": {"type": "BPE", "vocab": {f"t{i}": i for i in range(2000)}}}),
        "model.safetensors": FakeHub.generated_safetensors(
            2_471_645_608, _seed(GATED_AUTO, "model"), {"model.embed_tokens.weight": ("BF16", [128256, 2048])},
            {"format": "pt"}, {"BF16": 1_235_814_400}),
    }
    specs.append(dict(repo_id=GATED_AUTO, files=files, card_data=card, gated="auto", likes=1_023, downloads=903_211,
                      pipeline_tag="text-generation", library_name="transformers",
                      created_at=datetime(2024, 9, 18, 15, 12, 2, tzinfo=UTC)))

    card = {"license": "helix", "base_model": "helixlabs/Helix-2-2B-it", "tags": ["conversational"]}
    files = {path: _gguf(size, GATED_MANUAL, path, quant, 2.61e9, arch="gemma2", context_length=8192)
             for path, quant, size in (("helix-2-2b-it-Q4_K_M.gguf", "Q4_K_M", 1_708_582_752),
                                       ("helix-2-2b-it-Q8_0.gguf", "Q8_0", 2_784_495_456))}
    specs.append(dict(repo_id=GATED_MANUAL, files=files, card_data=card, gated="manual", likes=210,
                      downloads=48_377, pipeline_tag="text-generation", library_name="gguf",
                      created_at=datetime(2024, 8, 1, 9, 0, 0, tzinfo=UTC)))

    files = {"private-q4_k_m.gguf": FakeHub.gguf_file(n_params_hint=1.1e9, quant="Q4_K_M", name="Private Tune")}
    specs.append(dict(repo_id=PRIVATE_REPO, files=files, card_data={"license": "mit"}, private=True,
                      pipeline_tag="text-generation", library_name="gguf"))

    card = {"license": "apache-2.0", "base_model": "acme/tiny-llama", "tags": ["gguf", "tiny"]}
    # A header like a real file's: the model's keys, then a tokenizer section (a small vocabulary).
    files = {
        "tiny-q4_k_m.gguf": FakeHub.gguf_file(quant="Q4_K_M", name="Tiny Llama", tensor_elements=1024,
                                              vocab_size=TINY_VOCAB),
        "tiny-q8_0.gguf": FakeHub.gguf_file(quant="Q8_0", name="Tiny Llama", tensor_elements=64 * 1024,
                                            vocab_size=TINY_VOCAB),
        "tiny-f16.gguf": FakeHub.gguf_file(quant="F16", name="Tiny Llama", tensor_elements=512 * 1024,
                                           vocab_size=TINY_VOCAB),
        "subdir/notes.txt": b"Files in a sub folder, for tree listings.\n",
    }
    specs.append(dict(repo_id=TINY_REPO, files=files, card_data=card, likes=56, downloads=1_234,
                      pipeline_tag="text-generation", library_name="gguf",
                      created_at=datetime(2024, 11, 1, 8, 0, 0, tzinfo=UTC)))

    lora = {"lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight": ("F16", [8, 320]),
            "lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight": ("F16", [320, 8])}
    files = {"tiny_lora.safetensors": BytesContent(
        safetensors_bytes(lora, {"ss_base_model_version": "sd_v1", "ss_network_dim": "8"}),
        {"safetensors": {"F16": 5120}})}
    specs.append(dict(repo_id=TINY_LORA_REPO, files=files, card_data={"license": "mit", "base_model":
                      "runwayml/stable-diffusion-v1-5", "tags": ["lora", "text-to-image"]}, likes=3, downloads=40,
                      pipeline_tag="text-to-image", library_name="diffusers"))

    files = {
        "config.json": _json({"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 128}),
        "vocab.txt": "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *(f"word{i}" for i in range(500))]),
        "pytorch_model.bin": FakeHub.generated(2 * 1024 * 1024, _seed(TINY_BERT_REPO, "bin")),
    }
    specs.append(dict(repo_id=TINY_BERT_REPO, files=files, card_data={"license": "apache-2.0", "language": ["en"]},
                      likes=1, downloads=12, pipeline_tag="feature-extraction", library_name="transformers"))

    files = {
        "medium-q4_k_m.gguf": _gguf(64 * 1024 * 1024 + 12_345, MEDIUM_REPO, "q4", "Q4_K_M", 1.1e8, name="Medium"),
        "medium-f16.gguf": _gguf(256 * 1024 * 1024 + 777, MEDIUM_REPO, "f16", "F16", 1.1e8, name="Medium"),
    }
    specs.append(dict(repo_id=MEDIUM_REPO, files=files, card_data={"license": "mit", "tags": ["gguf"]}, likes=8,
                      downloads=77, pipeline_tag="text-generation", library_name="gguf",
                      created_at=datetime(2025, 1, 9, 10, 0, 0, tzinfo=UTC)))
    return specs


# ---- Civitai ---------------------------------------------------------------------------------
HOSTILE_HTML = (
    '<p>Works best at CFG 5-7.</p><script>alert("xss")</script>'
    '<img src=x onerror=alert(1)><a href="javascript:alert(document.cookie)">Read more</a>'
    '<iframe src="https://evil.example/"></iframe><p style="background:url(javascript:alert(3))">ok</p>'
)


def _image(image_id: int, level: int = 1, width: int = 832, height: int = 1216) -> dict:
    uuid = hashlib.md5(str(image_id).encode()).hexdigest()
    uuid = f"{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:32]}"
    return {"id": image_id, "url": f"/img/xG1nkqKTMzGDvpLrqFT7WA/{uuid}/width=450/{image_id}.png",
            "nsfwLevel": level, "width": width, "height": height, "hash": "U9Fi~sM{00xu00of%MRj",
            "type": "image", "hasMeta": True}


def _file(file_id: int, name: str, size_kb: float, fmt: str = "SafeTensor", fp: str | None = "fp16",
          size: str | None = "pruned", primary: bool = True, file_type: str = "Model") -> dict:
    metadata = {k: v for k, v in {"format": fmt, "size": size, "fp": fp}.items() if v}
    pickle = fmt == "PickleTensor"
    return {"id": file_id, "sizeKB": size_kb, "name": name, "type": file_type,
            "pickleScanResult": "Success", "pickleScanMessage": "No Pickle imports" if not pickle else
            "Pickle imports: collections.OrderedDict, torch._utils._rebuild_tensor_v2",
            "virusScanResult": "Success", "virusScanMessage": None, "scannedAt": "2025-05-01T12:05:00.000Z",
            "metadata": metadata, "primary": primary}


def _version(version_id: int, name: str, base: str, published: str, files: list[dict], images: list[dict],
             level: int = 1, words: list[str] | None = None, stats: tuple[int, int] = (100, 10)) -> dict:
    return {"id": version_id, "name": name, "baseModel": base, "baseModelType": "Standard",
            "createdAt": published, "publishedAt": published, "updatedAt": published, "status": "Published",
            "availability": "Public", "nsfwLevel": level, "trainedWords": words or [], "description": None,
            "supportsGeneration": False,
            "stats": {"downloadCount": stats[0], "thumbsUpCount": stats[1], "thumbsDownCount": 0},
            "files": files, "images": images}


def _model(model_id: int, name: str, model_type: str, creator: str, tags: list[str], versions: list[dict],
           stats: tuple[int, int, int, int], description: str = "<p>A model.</p>", nsfw: bool = False,
           **extra: object) -> dict:
    downloads, likes, comments, collected = stats
    level = 0
    for version in versions:
        level |= version["nsfwLevel"]
    return {"id": model_id, "name": name, "description": description, "type": model_type, "poi": False,
            "nsfw": nsfw, "nsfwLevel": level or 1, "allowNoCredit": True, "allowCommercialUse": ["Image", "RentCivit"],
            "allowDerivatives": True, "allowDifferentLicense": False,
            "stats": {"downloadCount": downloads, "favoriteCount": 0, "thumbsUpCount": likes, "thumbsDownCount": 1,
                      "commentCount": comments, "ratingCount": 0, "rating": 0, "tippedAmountCount": 0,
                      "collectedCount": collected},
            "creator": {"username": creator, "image": f"/avatars/{creator}.png"}, "tags": tags,
            "modelVersions": versions, **extra}


TINY_LORA_FILE_ID = 700161
TINY_LORA_VERSION_ID = 600161


@functools.lru_cache(maxsize=1)
def civitai_specs() -> list[tuple[dict, dict, dict[int, Content]]]:
    """(model, flags, {file id: content}) for every seeded Civitai model."""
    future = "2099-01-01T00:00:00.000Z"
    tiny_lora = safetensors_bytes(
        {"lora_unet_mid_block_attentions_0_proj_in.lora_down.weight": ("F16", [16, 640]),
         "lora_unet_mid_block_attentions_0_proj_in.lora_up.weight": ("F16", [640, 16])},
        {"ss_base_model_version": "sd_v1", "ss_output_name": "tiny_test_lora"}, seed=161)
    tiny_lora_fp32 = safetensors_bytes(
        {"lora_unet_mid_block_attentions_0_proj_in.lora_down.weight": ("F32", [16, 640])}, {}, seed=162)
    models = [
        (_model(4201, "DreamForge XL", "Checkpoint", "forgeworks", ["base model", "photorealistic", "sdxl"], [
            _version(600201, "v2.0", "SDXL 1.0", "2025-04-02T10:00:00.000Z",
                     [_file(700201, "dreamforgeXL_v20.safetensors", 6_775_430.4)],
                     [_image(9000201), _image(9000202, 2)], stats=(48_210, 3_120)),
            _version(600202, "v1.0", "SDXL 1.0", "2024-12-11T10:00:00.000Z",
                     [_file(700202, "dreamforgeXL_v10.safetensors", 6_775_430.4)], [_image(9000203)]),
        ], (61_004, 3_900, 212, 4_410), HOSTILE_HTML), {}),
        (_model(4202, "Paper Lantern Style", "LORA", "lanternmaker", ["style", "lighting"], [
            _version(600203, "v1.0", "SDXL 1.0", "2025-05-01T12:30:00.000Z",
                     [_file(700203, "paper_lantern_v1.safetensors", 223_104.5, size="full")],
                     [_image(9000204), _image(9000205)], words=["paperlantern style"], stats=(420, 37)),
        ], (420, 37, 3, 19), '<p>Soft lantern lighting.</p><img src=x onerror=alert(1)>'), {}),
        (_model(4203, "Classic Realism 1.5", "Checkpoint", "oldschool", ["photorealistic", "sd1.5"], [
            _version(600204, "v8 pruned", "SD 1.5", "2024-06-20T08:00:00.000Z", [
                _file(700204, "classicRealism_v8.safetensors", 2_082_642.3),
                _file(700205, "classicRealism_v8_full.safetensors", 4_165_284.6, fp="fp32", size="full",
                      primary=False),
                _file(700206, "classicRealism_v8.yaml", 1.9, fmt="Other", fp=None, size=None, primary=False,
                      file_type="Config"),
            ], [_image(9000206)], stats=(250_301, 9_822)),
        ], (250_301, 9_822, 640, 12_001), "<p>SD 1.5 classic.</p>"), {}),
        (_model(4204, "PonyMix Nova", "Checkpoint", "stablepony", ["anime", "pony"], [
            _version(600207, "v3", "Pony", "2025-02-14T18:00:00.000Z",
                     [_file(700207, "ponymixNova_v3.safetensors", 6_775_430.4)], [_image(9000207, 2)],
                     stats=(33_100, 2_200)),
        ], (33_100, 2_200, 90, 2_870), '<p>Pony based.</p><a href="javascript:alert(1)">x</a>'), {}),
        (_model(4205, "Flux Detail Enhancer", "LORA", "fluxfan", ["detail", "flux"], [
            _version(600208, "v1.1", "Flux.1 D", "2025-03-30T07:00:00.000Z",
                     [_file(700208, "flux_detail_enhancer_v11.safetensors", 167_060.2, fp="bf16")],
                     [_image(9000208)], words=["highly detailed"], stats=(15_400, 1_980)),
        ], (15_400, 1_980, 45, 1_100)), {}),
        (_model(4206, "Illustria XL", "Checkpoint", "illustria", ["anime", "illustration"], [
            _version(600209, "v1.0", "Illustrious", "2025-01-20T15:00:00.000Z",
                     [_file(700209, "illustriaXL_v10.safetensors", 6_775_430.4)], [_image(9000209)],
                     stats=(27_650, 1_720)),
        ], (27_650, 1_720, 60, 2_050)), {}),
        (_model(4207, "SDXL VAE fp16 fix", "VAE", "vaefixer", ["vae", "utility"], [
            _version(600210, "v1.0", "SDXL 1.0", "2023-08-10T10:00:00.000Z",
                     [_file(700210, "sdxl_vae_fp16_fix.safetensors", 326_799.1)], [_image(9000210)],
                     stats=(98_000, 4_400)),
        ], (98_000, 4_400, 120, 5_300)), {}),
        (_model(4208, "ClearSight Negative", "TextualInversion", "negmaker", ["negative", "embedding"], [
            _version(600211, "v2", "SD 1.5", "2024-02-02T10:00:00.000Z",
                     [_file(700211, "clearsight_neg_v2.safetensors", 24.6, fp=None, size=None,
                            file_type="Negative")],
                     [_image(9000211)], words=["clearsight_neg"], stats=(51_200, 3_050)),
        ], (51_200, 3_050, 77, 2_900)), {}),
        (_model(4209, "Lineart ControlNet XL", "Controlnet", "controlcraft", ["controlnet", "lineart"], [
            _version(600212, "v1.0", "SDXL 1.0", "2024-05-05T10:00:00.000Z",
                     [_file(700212, "controlnet_lineart_xl.safetensors", 2_442_120.0)], [_image(9000212)],
                     stats=(12_900, 870)),
        ], (12_900, 870, 30, 990)), {}),
        (_model(4210, "4x Crisp Upscaler", "Upscaler", "upscalerlab", ["upscaler", "esrgan"], [
            _version(600213, "v1.0", "Other", "2023-11-11T10:00:00.000Z",
                     [_file(700213, "4x_Crisp.pth", 65_536.0, fmt="PickleTensor", fp="fp32", size="full")],
                     [_image(9000213)], stats=(40_100, 2_300)),
        ], (40_100, 2_300, 55, 3_100)), {}),
        (_model(4211, "Watercolor Wash", "LORA", "aquarelle", ["style", "watercolor"], [
            _version(600214, "v1.0", "SD 1.5", "2024-07-07T10:00:00.000Z",
                     [_file(700214, "watercolor_wash.safetensors", 147_456.0)], [_image(9000214)],
                     words=["watercolor wash"], stats=(8_800, 640)),
        ], (8_800, 640, 21, 700)), {"require_auth": True}),
        (_model(4212, "Neon Noir", "LORA", "neonist", ["style", "neon", "flux"], [
            _version(600215, "v2.0 early access", "Flux.1 D", "2025-06-01T10:00:00.000Z",
                     [_file(700215, "neon_noir_v2.safetensors", 171_008.0, fp="bf16")], [_image(9000215)],
                     stats=(310, 80)),
        ], (310, 80, 4, 60)), {"early_access_deadline": future}),
        (_model(4213, "Retired Realism", "Checkpoint", "oldschool", ["photorealistic"], [
            _version(600216, "v1", "SD 1.5", "2023-03-03T10:00:00.000Z",
                     [_file(700216, "retiredRealism_v1.safetensors", 2_082_642.3)], [_image(9000216)],
                     stats=(5_000, 200)),
        ], (5_000, 200, 10, 150), mode="Archived"), {}),
        (_model(4214, "Velvet Portraits", "LORA", "velvetstudio", ["portrait", "pony"], [
            _version(600217, "v1.0 SFW", "Pony", "2025-03-03T10:00:00.000Z",
                     [_file(700217, "velvet_portraits_v1.safetensors", 223_104.5)],
                     [_image(9000217), _image(9000218, 2)], stats=(7_700, 500)),
            _version(600218, "v1.0 Adult", "Pony", "2025-03-04T10:00:00.000Z",
                     [_file(700218, "velvet_portraits_adult_v1.safetensors", 223_104.5)],
                     [_image(9000219, 8), _image(9000220, 16)], level=8, stats=(6_100, 420)),
        ], (13_800, 920, 40, 1_200), "<p>Portrait LoRA. One version is adults-only.</p>"), {}),
        (_model(4215, "Crimson Nights", "LORA", "after_dark", ["concept"], [
            _version(600219, "v1", "Illustrious", "2025-02-02T10:00:00.000Z",
                     [_file(700219, "crimson_nights_v1.safetensors", 218_112.0)],
                     [_image(9000221, 16), _image(9000222, 8)], level=28, stats=(9_900, 700)),
        ], (9_900, 700, 12, 800), nsfw=True), {}),
        (_model(4216, "Tiny Test LoRA", "LORA", "modella-tests", ["test", "style"], [
            _version(TINY_LORA_VERSION_ID, "v1.0", "SD 1.5", "2025-05-20T10:00:00.000Z", [
                _file(TINY_LORA_FILE_ID, "tiny_test_lora.safetensors", len(tiny_lora) / 1024),
                _file(700162, "tiny_test_lora_fp32.safetensors", len(tiny_lora_fp32) / 1024, fp="fp32",
                      size="full", primary=False),
            ], [_image(9000223)], words=["tinytest"], stats=(12, 2)),
        ], (12, 2, 0, 1), "<p>Small real safetensors file for fast download tests.</p>"), {}),
        (_model(4217, "Mini Embedding XL", "TextualInversion", "modella-tests", ["embedding", "test"], [
            _version(600220, "v1", "SDXL 1.0", "2025-05-21T10:00:00.000Z",
                     [_file(700220, "mini_embedding_xl.safetensors", 12.5, fp=None, size=None)], [_image(9000224)],
                     words=["minixl"], stats=(30, 3)),
        ], (30, 3, 0, 2)), {}),
        (_model(4218, "Detail Tweaker Illustrious", "LORA", "illustria", ["detail", "anime"], [
            _version(600221, "v1.0", "Illustrious", "2025-04-22T10:00:00.000Z",
                     [_file(700221, "detail_tweaker_il.safetensors", 223_104.5)], [_image(9000225)],
                     stats=(19_000, 1_400)),
        ], (19_000, 1_400, 33, 1_500)), {}),
    ]
    result = []
    for model, flags in models:
        contents: dict[int, Content] = {}
        for version in model["modelVersions"]:
            for file in version["files"]:
                if file["id"] == TINY_LORA_FILE_ID:
                    contents[file["id"]] = BytesContent(tiny_lora)
                elif file["id"] == 700162:
                    contents[file["id"]] = BytesContent(tiny_lora_fp32)
                else:
                    from .content import GeneratedContent

                    contents[file["id"]] = GeneratedContent(round(file["sizeKB"] * 1024), seed=file["id"])
        result.append((model, flags, contents))
    return result


def seed_catalog(hub) -> None:
    for spec in hf_specs():
        hub.add_hf_repo(**spec)
    tiny = hub.hf_repo(TINY_REPO)
    # A second commit and an open PR, so revisions, history and update checks have something to see.
    hub.commit_hf_files(TINY_REPO, {"README.md": tiny.head.files["README.md"].content.read() +
                                    b"\n## Changelog\n\n- Added Q8_0 and F16.\n"},
                        title="Update README.md", when=datetime(2025, 3, 4, 10, 20, 30, tzinfo=UTC))
    hub.create_hf_branch(TINY_REPO, "refs/pr/1", {"tiny-q4_k_m.gguf": _pr_content()}, title="Requantize Q4_K_M")
    for model, flags, contents in civitai_specs():
        hub.add_civitai_model(model, **flags)
        for file_id, content in contents.items():
            hub.civitai_file_content(file_id, content)


@functools.lru_cache(maxsize=1)
def _pr_content() -> Content:
    from .hub import FakeHub

    return FakeHub.gguf_file(quant="Q4_K_M", name="Tiny Llama (requantized)", tensor_elements=2048)
