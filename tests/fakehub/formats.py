"""Real file formats for served content: GGUF (via the gguf package), safetensors and PNG."""

from __future__ import annotations

import functools
import json
import logging
import os
import struct
import tempfile
import zlib

import gguf
import numpy as np

# (params, block_count, embedding_length, head_count, head_count_kv) of common llama-style sizes.
_SHAPES = [
    (0.5e9, 24, 896, 14, 2),
    (1.1e9, 22, 2048, 32, 4),
    (3e9, 26, 3200, 32, 32),
    (7e9, 32, 4096, 32, 32),
    (8e9, 32, 4096, 32, 8),
    (13e9, 40, 5120, 40, 40),
    (34e9, 48, 8192, 64, 8),
    (70e9, 80, 8192, 64, 8),
]

_QUANT_FILE_TYPES = {"F32": "ALL_F32"}


def file_type_for_quant(quant: str) -> int:
    name = _QUANT_FILE_TYPES.get(quant.upper(), f"MOSTLY_{quant.upper()}")
    return int(gguf.LlamaFileType[name])


def size_label(n_params: float) -> str:
    return f"{n_params / 1e9:.0f}B" if n_params >= 1e9 else f"{n_params / 1e6:.0f}M"


def _shape_for(n_params: float) -> tuple[int, int, int, int]:
    best = min(_SHAPES, key=lambda row: abs(row[0] - n_params))
    return best[1:]


def _gguf_writer(
    arch: str,
    n_params_hint: float,
    quant: str,
    context_length: int,
    name: str | None,
    chat_template: str | None,
    extra: tuple[tuple[str, object], ...],
    vocab_size: int = 0,
) -> gguf.GGUFWriter:
    block_count, embd, heads, heads_kv = _shape_for(n_params_hint)
    writer = gguf.GGUFWriter(None, arch)
    writer.add_name(name or f"Fakehub {arch.title()} {size_label(n_params_hint)}")
    writer.add_size_label(size_label(n_params_hint))
    writer.add_context_length(context_length)
    writer.add_block_count(block_count)
    writer.add_embedding_length(embd)
    writer.add_feed_forward_length(embd * 8 // 3)
    writer.add_head_count(heads)
    writer.add_head_count_kv(heads_kv)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(file_type_for_quant(quant))
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    if vocab_size:
        _add_vocab(writer, vocab_size)
    if chat_template:
        writer.add_chat_template(chat_template)
    for key, value in extra:
        if isinstance(value, bool):
            writer.add_bool(key, value)
        elif isinstance(value, int):
            writer.add_uint32(key, value)
        elif isinstance(value, float):
            writer.add_float32(key, value)
        else:
            writer.add_string(key, str(value))
    return writer


def _add_vocab(writer: gguf.GGUFWriter, vocab_size: int) -> None:
    """A SentencePiece ("llama") vocabulary as llama.cpp's converter writes it, after the model's own
    keys: the token strings, their scores and types (three arrays of `vocab_size` items), then the
    special token ids. Control tokens, the 256 byte tokens, then word pieces."""
    tokens = ["<unk>", "<s>", "</s>", *(f"<0x{b:02X}>" for b in range(256))]
    tokens += [f"\u2581w{i}" for i in range(max(0, vocab_size - len(tokens)))]
    tokens = tokens[:vocab_size]
    types = [int(gguf.TokenType.UNKNOWN), int(gguf.TokenType.CONTROL), int(gguf.TokenType.CONTROL)]
    types += [int(gguf.TokenType.BYTE)] * 256 + [int(gguf.TokenType.NORMAL)] * len(tokens)
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores([-float(i) for i in range(len(tokens))])
    writer.add_token_types(types[: len(tokens)])
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)


def _render(writer: gguf.GGUFWriter, with_tensors: bool) -> bytes:
    # GGUFWriter only writes to paths, so render through a temporary file.
    logging.getLogger("gguf.gguf_writer").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="fakehub-gguf-") as tmp:
        path = os.path.join(tmp, "model.gguf")
        writer.write_header_to_file(path)
        writer.write_kv_data_to_file()
        if with_tensors:
            writer.write_tensors_to_file()
        else:
            writer.write_ti_data_to_file()
        writer.close()
        with open(path, "rb") as fh:
            return fh.read()


@functools.lru_cache(maxsize=128)
def gguf_bytes(
    arch: str = "llama",
    n_params_hint: float = 1.1e9,
    quant: str = "Q4_K_M",
    context_length: int = 4096,
    name: str | None = None,
    chat_template: str | None = None,
    extra: tuple[tuple[str, object], ...] = (),
    tensor_elements: int = 256,
    vocab_size: int = 0,
) -> bytes:
    """A complete, small, valid GGUF file: realistic metadata plus a couple of tiny F32 tensors, and
    with `vocab_size` a tokenizer section after the model's keys, as in real files."""
    writer = _gguf_writer(arch, n_params_hint, quant, context_length, name, chat_template, extra, vocab_size)
    rng = np.random.default_rng(tensor_elements)
    writer.add_tensor("token_embd.weight", rng.standard_normal(tensor_elements, dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones(16, dtype=np.float32))
    return _render(writer, with_tensors=True)


@functools.lru_cache(maxsize=256)
def gguf_header_prefix(
    total_size: int,
    arch: str = "llama",
    n_params_hint: float = 7e9,
    quant: str = "Q4_K_M",
    context_length: int = 4096,
    name: str | None = None,
    extra: tuple[tuple[str, object], ...] = (),
) -> bytes:
    """The header of a GGUF of exactly `total_size` bytes whose tensor data is generated filler.

    One I8 tensor covers all bytes after the (aligned) header, so strict readers that check
    tensor extents against the file size accept the whole file.
    """

    def build(payload: int) -> bytes:
        writer = _gguf_writer(arch, n_params_hint, quant, context_length, name, None, extra)
        writer.add_tensor_info("fakehub.payload", [payload], np.dtype(np.int8), payload)
        header = _render(writer, with_tensors=False)
        pad = gguf.GGUFWriter.ggml_pad(len(header), gguf.GGUF_DEFAULT_ALIGNMENT) - len(header)
        return header + b"\0" * pad

    # The payload's size is encoded in the header as a fixed-width u64, so one refinement suffices.
    header = build(max(total_size - 4096, 1))
    return build(total_size - len(header))


def safetensors_bytes(
    tensors: dict[str, tuple[str, list[int]]], metadata: dict[str, str] | None = None, seed: int = 0
) -> bytes:
    """A complete safetensors file: 8-byte LE header length, JSON header, then the tensor data."""
    header, data_len = _safetensors_layout(tensors, metadata)
    rng = np.random.default_rng(seed)
    return header + rng.bytes(data_len)


_DTYPE_SIZES = {
    "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
    "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
}


def _safetensors_layout(
    tensors: dict[str, tuple[str, list[int]]], metadata: dict[str, str] | None
) -> tuple[bytes, int]:
    entries: dict[str, object] = {}
    if metadata:
        entries["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    for tensor_name, (dtype, shape) in tensors.items():
        nbytes = _DTYPE_SIZES[dtype] * int(np.prod(shape, dtype=np.int64))
        entries[tensor_name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    raw = json.dumps(entries, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the reference writer pads the header with spaces to 8 bytes
    return struct.pack("<Q", len(raw)) + raw, offset


def safetensors_header_prefix(
    total_size: int, tensors: dict[str, tuple[str, list[int]]], metadata: dict[str, str] | None = None
) -> bytes:
    """The header of a safetensors file of exactly `total_size` bytes (generated tensor data).

    The given tensors are laid out first; a U8 filler tensor takes up the remaining bytes.
    """
    header, used = _safetensors_layout(tensors, metadata)
    for _ in range(3):
        filler = total_size - len(header) - used
        if filler < 0:
            raise ValueError("declared tensors do not fit in total_size")
        layout = dict(tensors)
        if filler:
            layout["fakehub.filler"] = ("U8", [filler])
        header, data_len = _safetensors_layout(layout, metadata)
        if len(header) + data_len == total_size:
            return header
    raise ValueError("could not lay out safetensors header")


@functools.lru_cache(maxsize=512)
def png_bytes(width: int = 64, height: int = 64, seed: int = 0) -> bytes:
    """A small real PNG: an RGB gradient tinted by `seed` (stdlib zlib + struct only)."""
    rng = np.random.default_rng(seed)
    tint = rng.integers(40, 255, size=3, dtype=np.uint8)
    ys = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    xs = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    pixels = (tint * (0.35 + 0.4 * ys + 0.25 * xs)).clip(0, 255).astype(np.uint8)
    rows = np.concatenate([np.zeros((height, 1), np.uint8), pixels.reshape(height, width * 3)], axis=1)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + chunk(b"IEND", b"")
    )
