"""Read what a model file says about itself, and correct the catalog with it.

GGUF headers are read with the `gguf` package (architecture, parameter count from the tensor
shapes, context length, file type = quantization). Safetensors headers are 8 bytes of
little-endian length followed by JSON: the tensor names and dtypes tell SD 1.5 / SDXL / Flux /
LoRA / VAE / LLM apart, and the shapes give the parameter count.
"""

from __future__ import annotations

import json
import logging
import struct
from pathlib import Path

from catalog import quant

logger = logging.getLogger(__name__)

SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024
GGUF_MAGIC = b"GGUF"


class ProbeError(Exception):
    """The file is not a readable GGUF / safetensors file."""


def probe(path: Path | str) -> dict:
    """What the header of the file at `path` says: {"format", "architecture", "parameters", ...}."""
    path = Path(path)
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic[:4] == GGUF_MAGIC:
        return probe_gguf(path)
    if len(magic) == 8 and struct.unpack("<Q", magic)[0] < SAFETENSORS_MAX_HEADER:
        return probe_safetensors(path)
    raise ProbeError(f"{path.name}: neither GGUF nor safetensors")


def _field_value(reader, key: str):
    field = reader.get_field(key)
    if field is None:
        return None
    try:
        return field.contents()
    except Exception:  # noqa: BLE001 - an odd field must not spoil the rest of the header
        return None


def probe_gguf(path: Path | str) -> dict:
    import gguf

    try:
        reader = gguf.GGUFReader(str(path), "r")
    except Exception as exc:  # the reader raises ValueError, struct.error, IndexError...
        raise ProbeError(f"{Path(path).name}: not a readable GGUF file ({exc})") from exc
    architecture = str(_field_value(reader, "general.architecture") or "")
    # The declared count first, then the tensors' own shapes, then the size label ("7B") for
    # files whose tensors say too little (vocab-only or test files).
    parameters = _field_value(reader, "general.parameter_count")
    if not parameters:
        counted = sum(int(t.n_elements) for t in reader.tensors)
        label = str(_field_value(reader, "general.size_label") or "")
        parameters = counted if counted >= 10**6 else (quant.parameters_from_text(label) or counted or None)
    context_length = _field_value(reader, f"{architecture}.context_length") if architecture else None
    file_type = _field_value(reader, "general.file_type")
    method = ""
    if file_type is not None:
        try:
            method = gguf.LlamaFileType(int(file_type)).name
        except ValueError:
            method = ""
    parsed = quant.quant_from_name(method) if method else None
    split_count = _field_value(reader, "split.count")
    return {
        "format": "gguf",
        "architecture": architecture,
        "name": str(_field_value(reader, "general.name") or ""),
        "parameters": int(parameters) if parameters else None,
        "context_length": int(context_length) if context_length else None,
        "quantization": {"method": parsed.method, "bits": parsed.bits} if parsed else None,
        "split_count": int(split_count) if split_count else None,
        "family": quant.family_from_architecture(architecture),
        "model_type": "LLM" if architecture and architecture != "clip" else ("mmproj" if architecture == "clip" else ""),
    }


def read_safetensors_header(path: Path | str) -> dict:
    with Path(path).open("rb") as fh:
        raw_length = fh.read(8)
        if len(raw_length) != 8:
            raise ProbeError("file too short for a safetensors header")
        (length,) = struct.unpack("<Q", raw_length)
        if length > SAFETENSORS_MAX_HEADER:
            raise ProbeError("safetensors header length is implausible")
        raw = fh.read(length)
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProbeError(f"safetensors header is not JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise ProbeError("safetensors header is not an object")
    return header


def probe_safetensors(path: Path | str) -> dict:
    header = read_safetensors_header(path)
    metadata = header.pop("__metadata__", None) or {}
    tensors = {k: v for k, v in header.items() if isinstance(v, dict) and "shape" in v}
    parameters = 0
    dtypes: dict[str, int] = {}
    for info in tensors.values():
        count = 1
        for dim in info.get("shape") or []:
            count *= int(dim)
        parameters += count
        dtypes[str(info.get("dtype"))] = dtypes.get(str(info.get("dtype")), 0) + count
    model_type, base_model = guess_kind(list(tensors))
    main_dtype = max(dtypes, key=dtypes.get) if dtypes else ""
    bits = {"F32": 32, "F16": 16, "BF16": 16, "F8_E4M3": 8, "F8_E5M2": 8, "U8": 8, "I8": 8}.get(main_dtype)
    return {
        "format": "safetensors",
        "model_type": model_type,
        "base_model": base_model,
        "parameters": parameters or None,
        "dtypes": dtypes,
        "quantization": {"method": main_dtype, "bits": bits} if bits else None,
        "metadata": {str(k): str(v)[:200] for k, v in list(metadata.items())[:20]},
    }


def guess_kind(names: list[str]) -> tuple[str, str]:
    """(model type, base model) from tensor names: Checkpoint/LORA/VAE/LLM and SD 1.5/SDXL/Flux."""
    keys = set(names)

    def has(fragment: str) -> bool:
        return any(fragment in name for name in keys)

    if has("lora_") or has(".lora_down.") or has(".lora_A.") or has("lora_unet_"):
        if has("lora_te2_") or has("text_encoder_2") or has("lora_unet_input_blocks_4_1_transformer_blocks_1"):
            return "LORA", "SDXL 1.0"
        if has("double_blocks") or has("single_transformer_blocks") or has("lora_transformer_"):
            return "LORA", "Flux.1 D"
        return "LORA", "SD 1.5"
    if has("double_blocks.") or (has("single_transformer_blocks.") and has("transformer_blocks.")):
        return "Checkpoint", "Flux.1 D"
    if has("conditioner.embedders.1") or has("add_embedding.linear_1") or has("label_emb.0.0"):
        return "Checkpoint", "SDXL 1.0"
    if has("cond_stage_model.transformer") or (has("model.diffusion_model.input_blocks") and not has("conditioner")):
        return "Checkpoint", "SD 1.5"
    if has("cond_stage_model.model.") :
        return "Checkpoint", "SD 2.1"
    if keys and all(n.startswith(("encoder.", "decoder.", "quant_conv", "post_quant_conv", "first_stage_model.")) for n in keys):
        return "VAE", ""
    if has("model.layers.") or has("lm_head.") or has("transformer.h.") or has("embed_tokens"):
        return "LLM", ""
    return "", ""


def update_variant_from_file(variant, path: Path | str) -> dict:
    """Correct `variant`'s metadata from the verified file at `path` (first part of a split set).

    Called by the downloads app after verification. Never raises for an unreadable header: the
    download is fine either way, the catalog just keeps what the hub said."""
    try:
        found = probe(path)
    except (OSError, ProbeError) as exc:
        logger.info("Could not probe %s: %s", path, exc)
        return {}
    variant.probed = {k: v for k, v in found.items() if v not in (None, "", {}, [])}
    if found.get("architecture"):
        variant.architecture = found["architecture"][:64]
    if found.get("parameters"):
        variant.parameters = found["parameters"]
    if found.get("context_length"):
        variant.context_length = found["context_length"]
    if found.get("model_type") and variant.role == "model":
        variant.model_type = found["model_type"][:64]
    if found.get("base_model"):
        variant.base_model = found["base_model"][:300]
    q = found.get("quantization")
    if q and found["format"] == "gguf":
        variant.quant_method, variant.quant_bits = q["method"], q["bits"]
    variant.save()
    repository = variant.repository
    changed = []
    if found.get("family") and not repository.family:
        repository.family = found["family"][:64]
        changed.append("family")
    if found.get("model_type") and found["model_type"] != "mmproj" and not repository.model_type:
        repository.model_type = found["model_type"][:64]
        changed.append("model_type")
    if found.get("base_model") and not repository.base_model:
        repository.base_model = found["base_model"][:300]
        changed.append("base_model")
    if changed:
        repository.save(update_fields=[*changed, "updated_at"])
    return variant.probed
