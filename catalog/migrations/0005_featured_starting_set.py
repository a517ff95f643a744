"""A starting set of featured models (the packages tree and the carousel) that the owner edits in
the admin. Real public repositories; an empty `filename` offers the repository's recommended file
once it is fetched. Entries whose slug already exists are left alone, so re-running is harmless."""

from django.db import migrations
from django.utils import timezone

# (category, slug, title, repo, filename, size_category, tags, description)
STARTING_SET = [
    ("chat", "llama-3-1-8b-instruct", "Llama 3.1 8B Instruct", "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
     "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", "8B", ["chat", "gguf"],
     "Meta's general-purpose 8B chat model with a 128k context, quantized for llama.cpp."),
    ("chat", "gemma-2-9b-it", "Gemma 2 9B Instruct", "bartowski/gemma-2-9b-it-GGUF", "gemma-2-9b-it-Q4_K_M.gguf",
     "9B", ["chat", "gguf"], "Google's Gemma 2 9B instruction-tuned model."),
    ("chat", "mistral-7b-instruct-v0-3", "Mistral 7B Instruct v0.3", "bartowski/Mistral-7B-Instruct-v0.3-GGUF",
     "Mistral-7B-Instruct-v0.3-Q4_K_M.gguf", "7B", ["chat", "gguf"],
     "A fast, capable 7B chat model with function calling."),
    ("chat", "qwen2-5-7b-instruct", "Qwen2.5 7B Instruct", "bartowski/Qwen2.5-7B-Instruct-GGUF",
     "Qwen2.5-7B-Instruct-Q4_K_M.gguf", "7B", ["chat", "multilingual", "gguf"],
     "Alibaba's multilingual 7B chat model, strong at maths and structured output."),
    ("chat", "phi-3-5-mini-instruct", "Phi-3.5 mini Instruct", "bartowski/Phi-3.5-mini-instruct-GGUF",
     "Phi-3.5-mini-instruct-Q4_K_M.gguf", "3.8B", ["chat", "small", "gguf"],
     "Microsoft's small model for laptops and CPUs."),
    ("chat", "llama-2-7b-chat", "Llama 2 7B Chat", "TheBloke/Llama-2-7B-Chat-GGUF", "llama-2-7b-chat.Q4_K_M.gguf",
     "7B", ["chat", "gguf"], "The classic Llama 2 chat model."),
    ("code", "qwen2-5-coder-7b-instruct", "Qwen2.5 Coder 7B Instruct", "bartowski/Qwen2.5-Coder-7B-Instruct-GGUF",
     "Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf", "7B", ["code", "gguf"],
     "A code model for completion, repair and explanation in many languages."),
    ("code", "deepseek-coder-6-7b-instruct", "DeepSeek Coder 6.7B Instruct",
     "TheBloke/deepseek-coder-6.7B-instruct-GGUF", "deepseek-coder-6.7b-instruct.Q4_K_M.gguf", "6.7B",
     ["code", "gguf"], "DeepSeek's code model trained on 2T tokens of code and text."),
    ("vision", "llava-1-6-mistral-7b", "LLaVA 1.6 Mistral 7B", "cjpais/llava-1.6-mistral-7b-gguf", "", "7B",
     ["vision", "gguf"], "Chat about images: a vision-language model with its projector file."),
    ("sdxl", "sdxl-base-1-0", "Stable Diffusion XL Base 1.0", "stabilityai/stable-diffusion-xl-base-1.0",
     "sd_xl_base_1.0.safetensors", "6.9 GB", ["sdxl", "checkpoint"], "The SDXL base checkpoint."),
    ("sdxl", "sdxl-refiner-1-0", "Stable Diffusion XL Refiner 1.0", "stabilityai/stable-diffusion-xl-refiner-1.0",
     "sd_xl_refiner_1.0.safetensors", "6.1 GB", ["sdxl", "checkpoint"], "The refiner for SDXL base images."),
    ("sdxl", "sdxl-turbo", "SDXL Turbo", "stabilityai/sdxl-turbo", "sd_xl_turbo_1.0_fp16.safetensors", "6.9 GB",
     ["sdxl", "checkpoint", "fast"], "SDXL distilled for images in one to four steps."),
    ("flux", "flux-1-schnell", "FLUX.1 [schnell]", "black-forest-labs/FLUX.1-schnell", "flux1-schnell.safetensors",
     "12B", ["flux", "checkpoint"], "Black Forest Labs' fast text-to-image model (Apache 2.0)."),
    ("flux", "flux-1-dev", "FLUX.1 [dev]", "black-forest-labs/FLUX.1-dev", "flux1-dev.safetensors", "12B",
     ["flux", "checkpoint", "gated"], "The guidance-distilled FLUX.1 model; accept its licence on the Hub first."),
    ("flux", "flux-1-schnell-gguf", "FLUX.1 [schnell] GGUF", "city96/FLUX.1-schnell-gguf", "", "12B",
     ["flux", "gguf"], "FLUX.1 [schnell] quantized for GPUs with less memory (ComfyUI-GGUF)."),
    ("lora", "lcm-lora-sdxl", "LCM LoRA for SDXL", "latent-consistency/lcm-lora-sdxl",
     "pytorch_lora_weights.safetensors", "394 MB", ["lora", "sdxl", "fast"],
     "Latent consistency LoRA: SDXL images in 4 to 8 steps."),
    ("lora", "sdxl-lightning-4step-lora", "SDXL-Lightning 4-step LoRA", "ByteDance/SDXL-Lightning",
     "sdxl_lightning_4step_lora.safetensors", "394 MB", ["lora", "sdxl", "fast"],
     "ByteDance's distillation LoRA for 4-step SDXL images."),
    ("vae", "sdxl-vae-fp16-fix", "SDXL VAE fp16 fix", "madebyollin/sdxl-vae-fp16-fix", "sdxl_vae.safetensors",
     "335 MB", ["vae", "sdxl"], "The SDXL VAE, fixed to run in fp16 without NaNs."),
    ("vae", "sd-vae-ft-mse", "SD 1.5 VAE ft-MSE", "stabilityai/sd-vae-ft-mse-original",
     "vae-ft-mse-840000-ema-pruned.safetensors", "335 MB", ["vae", "sd15"], "The improved VAE for SD 1.5 models."),
    ("controlnet", "controlnet-union-sdxl", "ControlNet Union SDXL 1.0", "xinsir/controlnet-union-sdxl-1.0",
     "diffusion_pytorch_model_promax.safetensors", "2.5 GB", ["controlnet", "sdxl"],
     "One ControlNet for canny, depth, pose, lineart and more."),
    ("controlnet", "controlnet-canny-sdxl", "ControlNet Canny SDXL 1.0", "diffusers/controlnet-canny-sdxl-1.0",
     "diffusion_pytorch_model.fp16.safetensors", "2.5 GB", ["controlnet", "sdxl"], "Edge-guided SDXL generation."),
    ("controlnet", "controlnet-v1-1-sd15", "ControlNet 1.1 (SD 1.5)", "lllyasviel/ControlNet-v1-1",
     "control_v11p_sd15_canny.pth", "1.4 GB", ["controlnet", "sd15"],
     "The ControlNet 1.1 models for SD 1.5; pick another file in the admin for depth, pose…"),
    ("upscaler", "real-esrgan-x4", "Real-ESRGAN x4", "ai-forever/Real-ESRGAN", "RealESRGAN_x4.pth", "67 MB",
     ["upscaler"], "A general 4× image upscaler."),
    ("upscaler", "4x-ultrasharp", "4x-UltraSharp", "uwg/upscaler", "ESRGAN/4x-UltraSharp.pth", "67 MB",
     ["upscaler"], "A popular sharp 4× ESRGAN upscaler."),
]


def add_starting_set(apps, schema_editor):
    FeaturedModel = apps.get_model("catalog", "FeaturedModel")
    now = timezone.now()
    existing = set(FeaturedModel.objects.values_list("slug", flat=True))
    FeaturedModel.objects.bulk_create([
        FeaturedModel(category=category, slug=slug, title=title, repo=repo, filename=filename,
                      size_category=size, tags=tags, description=description, order=(index + 1) * 10,
                      published_at=now, active=True)
        for index, (category, slug, title, repo, filename, size, tags, description) in enumerate(STARTING_SET)
        if slug not in existing
    ])


def remove_starting_set(apps, schema_editor):
    FeaturedModel = apps.get_model("catalog", "FeaturedModel")
    FeaturedModel.objects.filter(slug__in=[entry[1] for entry in STARTING_SET], repository__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_catalog_indexes")]

    operations = [migrations.RunPython(add_starting_set, remove_starting_set)]
