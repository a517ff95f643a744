"""Read what a model file says about itself, and correct the catalog with it.

GGUF headers are read with the `gguf` package (architecture, parameter count from the tensor
shapes, context length, file type = quantization). Safetensors headers are 8 bytes of
little-endian length followed by JSON: the tensor names and dtypes tell SD 1.5 / SDXL / Flux /
LoRA / VAE / LLM apart, and the shapes give the parameter count.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import struct
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

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
        **gguf_shape(lambda key: _field_value(reader, key), architecture),
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


# The attention shape that sizes the KV cache (catalog.fit), under `<architecture>.` in the header.
SHAPE_KEYS = {
    "block_count": "block_count",
    "embedding_length": "embedding_length",
    "head_count": "attention.head_count",
    "head_count_kv": "attention.head_count_kv",
    "key_length": "attention.key_length",
    "value_length": "attention.value_length",
}


def gguf_shape(value_of, architecture: str) -> dict:
    """The SHAPE_KEYS fields present in a header; `value_of(key)` reads one key (None if absent).

    Head counts may be per-layer arrays (OpenELM, some hybrids): kept as lists of ints."""
    if not architecture:
        return {}
    shape = {}
    for name, suffix in SHAPE_KEYS.items():
        value = value_of(f"{architecture}.{suffix}")
        if isinstance(value, (list, tuple)):
            numbers = [_count(v) for v in value if isinstance(v, (int, float))][:4096]
            if numbers and None not in numbers:
                shape[name] = numbers
        elif _count(value):
            shape[name] = _count(value)
    return shape


def _count(value) -> int | None:
    """A header number usable as a count, or None: a hostile file may hold NaN, infinity or negatives."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return int(value) if value >= 0 else None


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
    shape = {k: found[k] for k in (*SHAPE_KEYS, "context_length") if found.get(k)}
    if variant.role == "model" and shape.get("block_count") and shape.get("head_count"):
        # Every quantization of a repository shares the attention shape: the other variants'
        # memory estimates (catalog.fit) use it until their own file is read.
        repository.extra = {**repository.extra, "gguf_shape": {**shape, "architecture": found.get("architecture", ""),
                                                                "from": variant.filename}}
        changed.append("extra")
    if changed:
        repository.save(update_fields=[*changed, "updated_at"])
    if "extra" in changed:
        from catalog import fit

        fit.recommend(repository)  # the KV cache is known now: the recommendation may move
    return variant.probed


# --- A GGUF header read from its first bytes (a remote file, before any download) -------------------
# GGUF v2/v3: magic "GGUF", u32 version, u64 tensor count, u64 key/value count, then the key/value
# pairs (u64-length key, u32 type, value). The architecture keys come before the tokenizer's big
# arrays in files written by llama.cpp's converters, so the shape is usually in the first few KiB.
GGUF_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
GGUF_STRING, GGUF_ARRAY = 8, 9
GGUF_MAX_KV = 1_000_000  # real files have a few dozen to a few hundred keys
GGUF_MAX_TENSORS = 10_000_000
GGUF_MAX_KEY = 65_536
GGUF_MAX_ARRAY_DEPTH = 4
GGUF_MAX_KEPT_ARRAY = 65_536  # per-layer values are kept; longer arrays are only skipped


class NeedMoreBytes(Exception):
    """The bytes end before the header says what is needed; `needed` is a length that gets further."""

    def __init__(self, needed: int):
        super().__init__(needed)
        self.needed = needed


class _Cursor:
    def __init__(self, data: bytes, order: str):
        self.data, self.order, self.pos = data, order, 0

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            # At least twice what there is: a long array before the wanted keys needs few reads, not many.
            raise NeedMoreBytes(max(end, 2 * len(self.data)))
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def skip(self, size: int) -> None:
        if self.pos + size > len(self.data):
            raise NeedMoreBytes(max(self.pos + size, 2 * len(self.data)))
        self.pos += size

    def unpack(self, fmt: str):
        return struct.unpack(self.order + fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self, limit: int) -> bytes:
        length = self.unpack("Q")
        if length > limit:
            raise ProbeError(f"GGUF string of {length} bytes is implausible")
        return self.take(length)


def _gguf_value(cursor: _Cursor, kind: int, keep: bool, depth: int = 0):
    """Read one value of `kind`; arrays are only walked (not built) unless `keep`."""
    if kind in GGUF_SCALARS:
        fmt = GGUF_SCALARS[kind]
        if not keep:
            cursor.skip(struct.calcsize(fmt))
            return None
        return cursor.unpack(fmt)
    if kind == GGUF_STRING:
        raw = cursor.string(SAFETENSORS_MAX_HEADER)
        return raw.decode("utf-8", "replace") if keep else None
    if kind != GGUF_ARRAY or depth >= GGUF_MAX_ARRAY_DEPTH:
        raise ProbeError(f"GGUF value type {kind} is unknown")
    item_kind, count = cursor.unpack("I"), cursor.unpack("Q")
    if item_kind in GGUF_SCALARS:
        size = struct.calcsize(GGUF_SCALARS[item_kind])
        if count > SAFETENSORS_MAX_HEADER // size:
            raise ProbeError(f"GGUF array of {count} items is implausible")
        if keep and count <= GGUF_MAX_KEPT_ARRAY:
            return list(struct.unpack(f"{cursor.order}{count}{GGUF_SCALARS[item_kind]}", cursor.take(count * size)))
        cursor.skip(count * size)
        return None
    # Strings (the tokenizer's tokens and merges) or nested arrays: walked one by one, each at least
    # 8 bytes, so a count larger than the bytes any sane header holds is garbage.
    if count > SAFETENSORS_MAX_HEADER // 8:
        raise ProbeError(f"GGUF array of {count} items is implausible")
    for _ in range(count):
        _gguf_value(cursor, item_kind, False, depth + 1)
    return None


def gguf_shape_from_bytes(data: bytes) -> dict:
    """The attention shape (SHAPE_KEYS, context_length, architecture) from a GGUF file's first bytes.

    Reads the key/value pairs in order and stops once every wanted key is known, at the first
    `tokenizer.` key after the architecture's keys, or at the last pair. Raises NeedMoreBytes when
    `data` ends first (its `needed` says how many bytes to fetch), ProbeError for anything that is
    not a GGUF v2/v3 header. Counts and lengths are bounded, never trusted."""
    if data[:4] != GGUF_MAGIC:
        raise ProbeError("not a GGUF file")
    if len(data) < 24:
        raise NeedMoreBytes(24)
    order = "<"
    version = struct.unpack_from("<I", data, 4)[0]
    if version not in (2, 3) and struct.unpack_from(">I", data, 4)[0] in (2, 3):
        order = ">"  # a big-endian file (s390x builds)
    elif version not in (2, 3):
        raise ProbeError(f"GGUF version {version} is not supported")
    cursor = _Cursor(data, order)
    cursor.pos = 8
    tensors, pairs = cursor.unpack("Q"), cursor.unpack("Q")
    if tensors > GGUF_MAX_TENSORS or pairs > GGUF_MAX_KV:
        raise ProbeError("GGUF counts are implausible")
    values: dict[str, object] = {}
    architecture = ""
    wanted: set[str] = set()
    for _ in range(pairs):
        key = cursor.string(GGUF_MAX_KEY).decode("utf-8", "replace")
        kind = cursor.unpack("I")
        if key.startswith("tokenizer.") and architecture and f"{architecture}.block_count" in values:
            break  # the architecture's section is over; what follows is the vocabulary
        keep = key == "general.architecture" or key in wanted or not architecture
        value = _gguf_value(cursor, kind, keep and (kind != GGUF_STRING or key == "general.architecture"))
        if key == "general.architecture":
            architecture = str(value or "")
            wanted = {f"{architecture}.{suffix}" for suffix in (*SHAPE_KEYS.values(), "context_length")}
            values = {k: v for k, v in values.items() if k in wanted}
        elif key in wanted or (not architecture and value is not None):
            values[key] = value
        if wanted and wanted <= values.keys():
            break
    if not architecture:
        raise ProbeError("GGUF header names no architecture")
    shape = gguf_shape(values.get, architecture)
    context = values.get(f"{architecture}.context_length")
    if isinstance(context, int) and not isinstance(context, bool) and context > 0:
        shape["context_length"] = context
    return {**shape, "architecture": architecture}


# --- Reading a repository's header remotely (catalog.tasks.read_gguf_shape) -------------------------
REMOTE_FIRST_BYTES = 64 * 1024  # the architecture keys of real files sit in the first few KiB
REMOTE_MAX_BYTES = 16 * 1024 * 1024  # past this, the header is not worth reading for an estimate
REMOTE_QUEUED_SECONDS = 60 * 60  # one attempt per repository and revision an hour, however often it is fetched


def header_variant(repository):
    """The model variant whose header a remote read uses: the smallest GGUF one (the first part of
    a split set carries the header); projectors have their own architecture and are left out."""
    candidates = [v for v in repository.variants.all()
                  if v.role == "model" and v.filename.lower().endswith(".gguf")]
    return min(candidates, key=lambda v: (v.size, v.filename), default=None)


def wants_remote_shape(repository) -> bool:
    """Whether the attention shape of `repository` is worth reading from the hub now: a Hugging Face
    model repository with GGUF variants, readable (not gated for us), and no shape yet (or one read
    remotely at another revision; a shape from a file on disk is kept)."""
    from catalog.models import Access, RepoType, Source

    if not settings.FIT_REMOTE_HEADERS or repository.source != Source.HUGGINGFACE \
            or repository.repo_type != RepoType.MODEL:
        return False
    if repository.access != Access.GRANTED:
        return False
    shape = (repository.extra or {}).get("gguf_shape") or {}
    if shape.get("block_count") and shape.get("head_count") and shape.get("revision", repository.remote_revision) \
            == repository.remote_revision:
        return False
    return header_variant(repository) is not None


def queue_remote_shape(repository) -> bool:
    """Ask a worker to read the header of `repository` once the fetch is committed (never waits,
    never raises: without the shape the verdict is just "unknown")."""
    if not wants_remote_shape(repository):
        return False
    key = "catalog:gguf-head:" + hashlib.sha256(f"{repository.repo}@{repository.remote_revision}".encode()).hexdigest()
    repo = repository.repo

    def enqueue():
        from django_q.tasks import async_task

        if not cache.add(key, True, REMOTE_QUEUED_SECONDS):
            return  # queued (or tried) within the hour: once per repository and revision
        try:
            async_task("catalog.tasks.read_gguf_shape", repo, task_name=f"gguf-shape-{key[-12:]}")
        except Exception as exc:  # noqa: BLE001 - a broker that is down costs an estimate, not the page
            logger.info("Could not queue the header read of %s: %s", repo, exc)
            cache.delete(key)

    transaction.on_commit(enqueue)
    return True


def read_remote_shape(repository) -> dict:
    """Read the attention shape of `repository` from the first bytes of one of its GGUF files, store
    it in `extra["gguf_shape"]` and move the recommendation (catalog.fit). Returns the shape, or {}
    when it cannot be read (logged at info: gated, gone, hub down, not a usable header)."""
    from catalog import fit
    from catalog.models import ModelRepository
    from catalog.sources import huggingface
    from modella.errors import ModellaError

    variant = header_variant(repository)
    if variant is None:
        return {}
    revision = repository.remote_revision or "main"
    size = next((int(f.get("size") or 0) for f in variant.files or [] if f.get("path") == variant.filename), 0)
    wanted = min(REMOTE_FIRST_BYTES, size) if size else REMOTE_FIRST_BYTES
    data = b""
    try:
        while True:
            chunk = huggingface.read_file_head(repository.repo, variant.filename, revision, wanted - len(data),
                                               start=len(data))
            data += chunk
            try:
                shape = gguf_shape_from_bytes(data)
                break
            except NeedMoreBytes as more:
                if len(data) < wanted or wanted >= REMOTE_MAX_BYTES or (size and wanted >= size):
                    raise ProbeError(f"the header does not end within {len(data)} bytes") from None
                wanted = min(more.needed, REMOTE_MAX_BYTES, size or REMOTE_MAX_BYTES)
    except (ModellaError, ProbeError, struct.error) as exc:
        logger.info("Could not read the GGUF header of %s/%s: %s", repository.repo, variant.filename, exc)
        return {}
    if not (shape.get("block_count") and shape.get("head_count")):
        logger.info("The GGUF header of %s/%s has no layer and head counts", repository.repo, variant.filename)
        return {}
    shape = {**shape, "from": variant.filename, "revision": revision}
    with transaction.atomic():
        current = ModelRepository.objects.select_for_update().filter(pk=repository.pk).first()
        if current is None or (current.remote_revision or "main") != revision:
            return {}  # fetched again meanwhile: that fetch queues its own read
        existing = (current.extra or {}).get("gguf_shape") or {}
        if existing.get("block_count") and "revision" not in existing:
            return existing  # read from a file on disk meanwhile: that one is authoritative
        current.extra = {**(current.extra or {}), "gguf_shape": shape}
        current.save(update_fields=["extra", "updated_at"])
    fit.recommend(current)
    return shape
