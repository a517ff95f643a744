"""What a file name says about a model: quantization, family, parameter count, and ratings.

Bits per weight (bpw) are the effective sizes llama.cpp reports for a 7B Llama model
(`llama-quantize --help` and the k-quants / i-quants pull requests): block scales and minimums
included, so Q4_K_M is 4.89 bpw rather than 4. They drive everything else here:

* quality (1-5): how close to the full-precision model. >= 7.5 bpw: 5 (Q8_0, F16, BF16, F32);
  >= 5.5: 4 (Q5_K_M, Q6_K); >= 4: 3 (Q4_K_M, IQ4_XS, Q4_0); >= 3: 2 (Q3_K_*, IQ3_*); below: 1.
* memory (1-5, higher = less RAM/VRAM): <= 3 bpw: 5; <= 5: 4; <= 6.6: 3; <= 8.5: 2; above: 1.
* speed (1-5, higher = faster): token generation is memory-bound, so it follows memory; i-quants
  (IQ*) decode with lookup tables that are slower on CPUs, so they lose one point.

The recommended variant of a repository is the best *quality* at <= 5 bpw. Quality is ordered by
`quality_score`: bpw, except that the legacy formats (Q4_0, Q4_1, Q5_0, Q5_1) and the i-quants'
lookup grids are compared by their measured perplexity rank, which is what puts Q4_K_M (4.89)
ahead of Q4_1 (5.0) and IQ4_NL (4.5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# name -> (bits per weight, method family)
QUANTS: dict[str, tuple[float, str]] = {
    "F32": (32.0, "float"),
    "FP32": (32.0, "float"),
    "F16": (16.0, "float"),
    "FP16": (16.0, "float"),
    "BF16": (16.0, "float"),
    "Q8_0": (8.5, "legacy"),
    "Q8_1": (9.0, "legacy"),
    "Q8_K": (8.5, "k-quant"),
    "Q6_K": (6.56, "k-quant"),
    "Q6_K_L": (6.8, "k-quant"),
    "Q5_K_L": (5.9, "k-quant"),
    "Q5_K_M": (5.69, "k-quant"),
    "Q5_K_S": (5.54, "k-quant"),
    "Q5_K": (5.69, "k-quant"),
    "Q5_1": (6.0, "legacy"),
    "Q5_0": (5.5, "legacy"),
    # bartowski's _L variants keep embeddings/output in Q8_0: a little above the plain K_M size.
    "Q4_K_L": (5.1, "k-quant"),
    "Q4_K_M": (4.89, "k-quant"),
    "Q4_K_S": (4.58, "k-quant"),
    "Q4_K": (4.89, "k-quant"),
    "Q4_1": (5.0, "legacy"),
    "Q4_0": (4.5, "legacy"),
    "Q4_0_4_4": (4.5, "legacy"),
    "Q4_0_4_8": (4.5, "legacy"),
    "Q4_0_8_8": (4.5, "legacy"),
    "MXFP4": (4.25, "mxfp"),
    "MXFP4_MOE": (4.25, "mxfp"),
    "IQ4_NL": (4.5, "i-quant"),
    "IQ4_XS": (4.25, "i-quant"),
    "Q3_K_XL": (4.1, "k-quant"),
    "Q3_K_L": (4.27, "k-quant"),
    "Q3_K_M": (3.91, "k-quant"),
    "Q3_K_S": (3.5, "k-quant"),
    "Q3_K": (3.91, "k-quant"),
    "IQ3_M": (3.66, "i-quant"),
    "IQ3_S": (3.44, "i-quant"),
    "IQ3_XS": (3.3, "i-quant"),
    "IQ3_XXS": (3.06, "i-quant"),
    "Q2_K_L": (3.0, "k-quant"),
    "Q2_K": (2.96, "k-quant"),
    "Q2_K_S": (2.6, "k-quant"),
    "IQ2_M": (2.7, "i-quant"),
    "IQ2_S": (2.5, "i-quant"),
    "IQ2_XS": (2.31, "i-quant"),
    "IQ2_XXS": (2.06, "i-quant"),
    "IQ1_M": (1.75, "i-quant"),
    "IQ1_S": (1.56, "i-quant"),
    "TQ1_0": (1.69, "ternary"),
    "TQ2_0": (2.06, "ternary"),
    "FP8": (8.0, "float"),
    "NF4": (4.5, "bitsandbytes"),
}

# Perplexity order of formats whose bpw misleads (llama.cpp's quantize table): value = the bpw of
# the k-quant they match in quality.
_QUALITY_AS = {"Q4_0": 4.3, "Q4_1": 4.55, "Q5_0": 4.95, "Q5_1": 5.6, "IQ4_NL": 4.6, "IQ4_XS": 4.5}

# Longest names first so that "Q4_K_M" wins over "Q4_K" and "IQ3_XXS" over "IQ3_XS".
_QUANT_RE = re.compile(
    r"(?<![A-Za-z0-9])(" + "|".join(sorted(map(re.escape, QUANTS), key=len, reverse=True)) + r")(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# Naming spellings for float weights in safetensors repos.
_FLOAT_ALIASES = {"FP16": "F16", "FP32": "F32", "HALF": "F16"}


@dataclass(frozen=True)
class Quant:
    method: str  # canonical name, e.g. "Q4_K_M"
    bits: float  # effective bits per weight
    kind: str  # "k-quant", "i-quant", "legacy", "float", ...

    @property
    def nominal_bits(self) -> int:
        """The integer the API shows as `quantization.bits` (4 for Q4_K_M, 16 for BF16)."""
        match = re.search(r"\d+", self.method)
        if self.kind == "float" or not match:
            return int(self.bits)
        return int(match.group())


def _separated(name: str) -> str:
    # Treat "-", ".", "_" between tokens alike but keep the underscores inside quant names.
    return name.replace("-", ".").replace(" ", ".")


def parse_quant(filename: str) -> Quant | None:
    """The quantization named in a file name (`llama-2-7b.Q4_K_M.gguf` -> Q4_K_M), or None."""
    base = filename.rsplit("/", 1)[-1]
    found = _QUANT_RE.findall(_separated(base))
    if not found:
        return None
    # The last match: prefixes such as "mmproj-" or model names never end in a quant name.
    method = found[-1].upper()
    method = _FLOAT_ALIASES.get(method, method)
    bits, kind = QUANTS[method]
    return Quant(method=method, bits=bits, kind=kind)


def quant_from_name(method: str) -> Quant | None:
    """A Quant from a bare method name (what GGUF headers call the file type)."""
    key = _FLOAT_ALIASES.get(method.upper(), method.upper())
    if key.startswith("MOSTLY_"):
        key = key[len("MOSTLY_") :]
    if key == "ALL_F32":
        key = "F32"
    if key not in QUANTS:
        return None
    bits, kind = QUANTS[key]
    return Quant(method=key, bits=bits, kind=kind)


def quality_score(quant: Quant) -> float:
    return _QUALITY_AS.get(quant.method, quant.bits)


def ratings(bits: float | None, kind: str = "") -> dict[str, int] | None:
    """speed / memory / quality from bits per weight (see the module docstring), or None."""
    if not bits:
        return None
    if bits >= 7.5:
        quality = 5
    elif bits >= 5.5:
        quality = 4
    elif bits >= 4:
        quality = 3
    elif bits >= 3:
        quality = 2
    else:
        quality = 1
    if bits <= 3:
        memory = 5
    elif bits <= 5:
        memory = 4
    elif bits <= 6.6:
        memory = 3
    elif bits <= 8.5:
        memory = 2
    else:
        memory = 1
    speed = max(1, memory - 1) if kind == "i-quant" else memory
    return {"speed": speed, "memory": memory, "quality": quality}


def pick_recommended(candidates: list[tuple[object, Quant | None]], max_bits: float = 5.0):
    """The item whose quant has the best quality at <= `max_bits` bpw; else the smallest quantised
    one; else None. `candidates` pairs any item with its Quant."""
    quantised = [(item, q) for item, q in candidates if q is not None]
    fitting = [(item, q) for item, q in quantised if q.bits <= max_bits]
    if fitting:
        return max(fitting, key=lambda pair: (quality_score(pair[1]), pair[1].bits))[0]
    if quantised:
        return min(quantised, key=lambda pair: pair[1].bits)[0]
    return None


# --- Family and size ------------------------------------------------------------------------------
# (needle, family), checked in order: more specific names first (mixtral before mistral,
# codellama and tinyllama are llamas).
FAMILIES: list[tuple[str, str]] = [
    ("mixtral", "mixtral"),
    ("codestral", "mistral"),
    ("mistral", "mistral"),
    ("ministral", "mistral"),
    ("llava", "llava"),
    ("llama", "llama"),
    ("qwen", "qwen"),
    ("qwq", "qwen"),
    ("gemma", "gemma"),
    ("phi", "phi"),
    ("deepseek", "deepseek"),
    ("falcon", "falcon"),
    ("gpt-oss", "gpt-oss"),
    ("gpt_oss", "gpt-oss"),
    ("gpt2", "gpt2"),
    ("starcoder", "starcoder"),
    ("stablelm", "stablelm"),
    ("command-r", "command-r"),
    ("cohere", "command-r"),
    ("granite", "granite"),
    ("olmo", "olmo"),
    ("smollm", "smollm"),
    ("internlm", "internlm"),
    ("baichuan", "baichuan"),
    ("chatglm", "glm"),
    ("glm", "glm"),
    ("yi-", "yi"),
    ("mamba", "mamba"),
    ("rwkv", "rwkv"),
    ("bert", "bert"),
    ("t5", "t5"),
    ("whisper", "whisper"),
    ("flux", "flux"),
    ("sdxl", "sdxl"),
    ("stable-diffusion-xl", "sdxl"),
    ("stable-diffusion-3", "sd3"),
    ("sd3", "sd3"),
    ("stable-diffusion", "stable-diffusion"),
    ("pony", "sdxl"),
]
# GGUF `general.architecture` values that differ from the family names above.
_ARCH_FAMILY = {"qwen2": "qwen", "qwen3": "qwen", "qwen2moe": "qwen", "qwen3moe": "qwen", "gemma2": "gemma",
                "gemma3": "gemma", "phi3": "phi", "phi2": "phi", "deepseek2": "deepseek", "command-r": "command-r",
                "gptoss": "gpt-oss", "gpt-oss": "gpt-oss", "starcoder2": "starcoder", "olmo2": "olmo"}


def family_from_text(*texts: str | None) -> str:
    """The first known model family named in any of `texts` (repo id, base model, tags), or ""."""
    for text in texts:
        if not text:
            continue
        lowered = text.lower()
        for needle, family in FAMILIES:
            if needle in lowered:
                return family
    return ""


def family_from_architecture(architecture: str) -> str:
    arch = (architecture or "").lower()
    if not arch:
        return ""
    return _ARCH_FAMILY.get(arch) or family_from_text(arch) or arch


_PARAMS_RE = re.compile(
    r"(?<![A-Za-z0-9.])(?:(?P<experts>\d{1,3})x)?(?P<num>\d{1,4}(?:\.\d{1,3})?)(?P<unit>[bmk])(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_UNITS = {"b": 10**9, "m": 10**6, "k": 10**3}


def parameters_from_text(*texts: str | None) -> int | None:
    """A parameter count named in a model name: "7B", "1.1B", "135M", "8x7B" (experts x size).

    "A3B"-style active-parameter suffixes (Qwen3-30B-A3B) are skipped: the total is what sizes
    the file."""
    for text in texts:
        if not text:
            continue
        # "-" and "_" separate tokens; "." may be a decimal point ("1.1B"), so it stays.
        for match in _PARAMS_RE.finditer(re.sub(r"[-_\s]+", " ", text.rsplit("/", 1)[-1])):
            number = float(match.group("num")) * _UNITS[match.group("unit").lower()]
            if match.group("experts"):
                number *= int(match.group("experts"))
            if number >= 10**6:
                return int(number)
    return None


def size_label(parameters: int | None) -> str:
    """"7B", "1.1B", "135M" for display (and FeaturedModel.size_category)."""
    if not parameters:
        return ""
    if parameters >= 10**9:
        value, unit = parameters / 10**9, "B"
    else:
        value, unit = parameters / 10**6, "M"
    return f"{value:.1f}".rstrip("0").rstrip(".") + unit
