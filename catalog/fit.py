"""Will it fit: the memory a GGUF variant needs to run, against this machine's RAM and GPU memory.

needed = weights + KV cache + RUNTIME_OVERHEAD_BYTES, where

* weights = the file's size (every part of a split set): llama.cpp loads the tensors as stored;
* KV cache = n_layers x context x n_kv_heads x (key_length + value_length) x 2 bytes (f16, the
  default cache type). key/value length default to embedding_length / head_count; head counts
  may be per-layer arrays, then the per-layer values are summed. Sliding-window layers are
  counted at the full context, so for those models the estimate is an upper bound;
* context = MODELLA_FIT_CONTEXT (4096), or the model's own context length when that is shorter.

The attention shape comes from the variant's own header (`probed`, read after a download or by a
scan), else from the repository's `extra["gguf_shape"]`: every quantization of a repository
shares it. For a repository not downloaded yet, a worker reads that shape from the first bytes of
one GGUF file on the hub after a fetch (catalog.probe.read_remote_shape, a Range request). The verdict: "gpu" if needed <= all GPUs' memory minus GPU_RESERVE_BYTES each, "ram"
if needed <= total RAM minus RAM_RESERVE_BYTES, else "too_large"; "unknown" for files that are
not GGUF or whose shape was not read yet (unless even the weights alone are too large).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from catalog import quant
from modella import hardware
from storage.templatetags.storage_tags import format_size

MIB = 1024**2
# llama.cpp's compute buffers (the graph's scratch tensors), the output logits and the runtime
# itself: a few hundred MB at a 4k context for 1B-70B models, growing slowly with the context.
# One flat allowance keeps the rule readable; the reserves below absorb the rest.
RUNTIME_OVERHEAD_BYTES = 512 * MIB
# Left free for the operating system, the desktop and other programs.
RAM_RESERVE_BYTES = 2048 * MIB
# Per GPU: the CUDA context and cuBLAS workspace, and a display if one is attached.
GPU_RESERVE_BYTES = 512 * MIB
KV_BYTES_PER_ELEMENT = 2  # f16, llama.cpp's default --cache-type-k/-v
# More layers than any real model has: a header claiming them is garbage (and per-layer lists of
# that length would not fit in memory).
MAX_LAYERS = 65_536

GPU, RAM, TOO_LARGE, UNKNOWN = "gpu", "ram", "too_large", "unknown"
VERDICTS = (GPU, RAM, TOO_LARGE, UNKNOWN)


@dataclass(frozen=True)
class Fit:
    verdict: str
    weights_bytes: int
    kv_cache_bytes: int | None  # None: the attention shape is not known
    context: int | None
    gpu_bytes: int | None  # what the machine has: all GPUs' memory (None: no GPU / unknown)
    ram_bytes: int | None
    reason: str = ""  # for "unknown": "not_gguf", "projector", "no_header", "no_ram"
    overhead_bytes: int = RUNTIME_OVERHEAD_BYTES
    gpu_found: bool = False  # a GPU whose memory the driver does not tell counts as none

    @property
    def needed_bytes(self) -> int | None:
        if self.kv_cache_bytes is None:
            return None
        return self.weights_bytes + self.kv_cache_bytes + self.overhead_bytes

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "needed_bytes": self.needed_bytes, "weights_bytes": self.weights_bytes,
                "kv_cache_bytes": self.kv_cache_bytes, "overhead_bytes": self.overhead_bytes,
                "context": self.context, "gpu_bytes": self.gpu_bytes, "ram_bytes": self.ram_bytes,
                "reason": self.reason or None}

    @property
    def label(self) -> str:
        return {GPU: _("Fits in GPU"), RAM: _("Fits in RAM"), TOO_LARGE: _("Too large")}.get(self.verdict, _("Unknown"))

    @property
    def description(self) -> str:
        """The numbers behind the verdict, as one sentence (the table's tooltip, the screen reader's description)."""
        machine = self.machine_text
        if self.needed_bytes is not None:
            return _("Weights %(weights)s + KV cache %(kv)s at %(context)s tokens + runtime %(overhead)s = "
                     "%(needed)s; %(machine)s.") % {
                "weights": format_size(self.weights_bytes), "kv": format_size(self.kv_cache_bytes),
                "context": self.context, "overhead": format_size(self.overhead_bytes),
                "needed": format_size(self.needed_bytes), "machine": machine}
        why = {
            "not_gguf": _("Only GGUF files are estimated."),
            "projector": _("A projector is loaded together with its model."),
            "no_header": _("The model's layer and head counts are read from a file's header: from the hub "
                           "shortly after the repository is fetched, or once a file has been downloaded or scanned."),
            "no_ram": _("This machine's memory could not be read."),
        }.get(self.reason, "")
        if self.verdict == TOO_LARGE:
            return _("The weights alone (%(weights)s) need more than this machine has; %(machine)s.") % {
                "weights": format_size(self.weights_bytes), "machine": machine}
        return _("%(why)s Weights %(weights)s; %(machine)s.") % {
            "why": why, "weights": format_size(self.weights_bytes), "machine": machine}

    @property
    def machine_text(self) -> str:
        ram = format_size(self.ram_bytes) if self.ram_bytes else _("unknown")
        if self.gpu_bytes:
            return _("this machine: GPU %(gpu)s, RAM %(ram)s") % {"gpu": format_size(self.gpu_bytes), "ram": ram}
        if self.gpu_found:
            return _("this machine: a GPU whose memory the driver does not tell, RAM %(ram)s") % {"ram": ram}
        return _("this machine: no GPU, RAM %(ram)s") % {"ram": ram}


# --- the rules -------------------------------------------------------------------------------------
def shape_of(variant) -> dict:
    """The attention shape for `variant`: its own header's, else its repository's (see the module doc)."""
    probed = variant.probed or {}
    if probed.get("block_count") and probed.get("head_count"):
        return probed
    repository = variant.repository
    shape = (repository.extra or {}).get("gguf_shape") or {}
    if shape.get("block_count") and shape.get("head_count"):
        return shape
    return {}


def _per_layer(value, layers: int) -> list[int]:
    if isinstance(value, list):
        return [int(v) for v in value[:layers]]
    return [int(value)] * layers


def kv_cache_bytes(shape: dict, context: int) -> int | None:
    """Bytes of an f16 KV cache for `context` tokens, or None when the shape is incomplete."""
    try:
        layers = int(shape["block_count"])
        if not 0 < layers <= MAX_LAYERS:
            return None
        heads = _per_layer(shape["head_count"], layers)
        kv_heads = _per_layer(shape.get("head_count_kv") or shape["head_count"], layers)
        embedding = shape.get("embedding_length")
        head_dim = int(embedding) // max(heads) if embedding and max(heads) else None
        key_length = int(shape.get("key_length") or head_dim or 0)
        # llama.cpp: both default to embedding / heads, independently of each other.
        value_length = int(shape.get("value_length") or head_dim or shape.get("key_length") or 0)
    except (KeyError, TypeError, ValueError):
        return None
    if layers <= 0 or not key_length or not value_length:
        return None
    return context * sum(kv_heads) * (key_length + value_length) * KV_BYTES_PER_ELEMENT


def context_for(shape: dict, model_context: int | None = None) -> int:
    """The context the estimate uses: the setting, or the model's own maximum when shorter."""
    limit = shape.get("context_length") or model_context
    return min(settings.FIT_CONTEXT, int(limit)) if limit else settings.FIT_CONTEXT


def estimate_size(weights: int, shape: dict, *, is_gguf: bool = True, role: str = "model",
                  model_context: int | None = None, machine: hardware.Machine | None = None) -> Fit:
    """The fit of `weights` bytes of a model with attention `shape` on `machine` (default: this one)."""
    machine = machine or hardware.machine()
    gpu, ram = machine.gpu_total_bytes, machine.ram_total_bytes
    found = bool(machine.gpus)
    gpu_budget = gpu - GPU_RESERVE_BYTES * len([g for g in machine.gpus if g.total_bytes]) if gpu else None
    ram_budget = ram - RAM_RESERVE_BYTES if ram else None
    context = context_for(shape, model_context)
    kv = kv_cache_bytes(shape, context) if is_gguf and role == "model" and shape else None

    def unknown(reason: str) -> Fit:
        # Even without the shape, weights that alone exceed the RAM (and the GPU) are certain to be too large.
        floor = weights + RUNTIME_OVERHEAD_BYTES
        if is_gguf and role == "model" and ram_budget is not None and floor > max(ram_budget, gpu_budget or 0):
            return Fit(TOO_LARGE, weights, None, None, gpu, ram, reason, gpu_found=found)
        return Fit(UNKNOWN, weights, None, None, gpu, ram, reason, gpu_found=found)

    if not is_gguf:
        return unknown("not_gguf")
    if role != "model":
        return unknown("projector")
    if kv is None:
        return unknown("no_header")
    if ram_budget is None:
        return Fit(UNKNOWN, weights, kv, context, gpu, ram, "no_ram", gpu_found=found)
    needed = weights + kv + RUNTIME_OVERHEAD_BYTES
    if gpu_budget is not None and needed <= gpu_budget:
        verdict = GPU
    elif needed <= ram_budget:
        verdict = RAM
    else:
        verdict = TOO_LARGE
    return Fit(verdict, weights, kv, context, gpu, ram, gpu_found=found)


def estimate(variant, machine: hardware.Machine | None = None) -> Fit:
    """The fit of a catalog variant (see the module docstring)."""
    # A whole-repository unit (several files) is not one model to load: estimated like a non-GGUF file.
    is_gguf = variant.role != "repository" and (variant.format == "gguf" or variant.filename.lower().endswith(".gguf"))
    shape = shape_of(variant) if is_gguf else {}
    return estimate_size(variant.size, shape, is_gguf=is_gguf, role=variant.role,
                         model_context=variant.context_length, machine=machine)


def prefer_fitting(candidates: list[tuple[object, quant.Quant | None, Fit]]):
    """The recommended item: the best-rated (quant.pick_recommended) among those that fit in the
    GPU, else in RAM, else among those not known to be too large; None when nothing qualifies."""
    for verdicts in ((GPU,), (RAM,), (UNKNOWN,)):
        chosen = quant.pick_recommended([(item, q) for item, q, fit in candidates if fit.verdict in verdicts])
        if chosen is not None:
            return chosen
    return None


def recommend(repository) -> None:
    """Move a GGUF repository's recommendation to the best-rated variant that fits this machine.

    Called after a fetch (catalog.sync) and once a header is read (catalog.probe). The quality
    pick that sync stored stays when no model variant can be judged (nothing qualifies)."""
    variants = [v for v in repository.variants.all() if v.role == "model"]
    if not any(v.format == "gguf" for v in variants):
        return
    machine = hardware.machine()
    chosen = prefer_fitting([(v, quant.parse_quant(v.filename), estimate(v, machine)) for v in variants])
    if chosen is None or chosen.is_recommended:
        return
    repository.variants.filter(is_recommended=True).update(is_recommended=False)
    repository.variants.filter(pk=chosen.pk).update(is_recommended=True)
