"""File contents served by the fake hub: stored bytes, or large files generated on the fly.

Generated files are never held in memory or on disk. They are built from one seeded random
1 MiB block; each block of the file is that base block with the block index mixed into its
first 8 bytes, so no two blocks are equal and serving needs no per-byte Python work.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import struct
import tempfile
import threading
import zlib
from collections.abc import Iterator

import numpy as np

BLOCK = 1 << 20
_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1
# Bump when the generator changes: keys of the known-hash table and the disk cache embed it.
GENERATOR_VERSION = "g1"


class Content:
    """A file's bytes plus lazily computed digests. Subclasses provide `size` and `iter_range`."""

    size: int
    meta: dict

    def __init__(self) -> None:
        self._digests: dict[str, str] | None = None
        self._lock = threading.Lock()

    def iter_range(self, start: int, end: int) -> Iterator[memoryview]:
        """Yield the bytes [start, end) in chunks of up to 1 MiB.

        Chunks may share one buffer that is overwritten on the next iteration: consume (send,
        hash, copy) each chunk before asking for the next one.
        """
        raise NotImplementedError

    def read(self, start: int = 0, end: int | None = None) -> bytes:
        end = self.size if end is None else min(end, self.size)
        return b"".join(bytes(chunk) for chunk in self.iter_range(start, end))

    def _compute_digests(self) -> dict[str, str]:
        sha = hashlib.sha256()
        crc = 0
        for chunk in self.iter_range(0, self.size):
            sha.update(chunk)
            crc = zlib.crc32(chunk, crc)
        return {"sha256": sha.hexdigest(), "crc32": f"{crc:08x}"}

    def digests(self) -> dict[str, str]:
        """sha256 and crc32 (lower-case hex), computed once."""
        if self._digests is None:
            with self._lock:
                if self._digests is None:
                    self._digests = self._compute_digests()
        return self._digests

    @property
    def sha256(self) -> str:
        return self.digests()["sha256"]

    @property
    def crc32(self) -> str:
        return self.digests()["crc32"]

    def git_blob_sha1(self) -> str:
        """The git object id of this content stored as a plain (non-LFS) blob."""
        sha = hashlib.sha1(f"blob {self.size}\0".encode())
        for chunk in self.iter_range(0, self.size):
            sha.update(chunk)
        return sha.hexdigest()


class BytesContent(Content):
    def __init__(self, data: bytes, meta: dict | None = None) -> None:
        super().__init__()
        self.data = bytes(data)
        self.size = len(self.data)
        self.meta = dict(meta or {})

    def iter_range(self, start: int, end: int) -> Iterator[memoryview]:
        view = memoryview(self.data)
        for pos in range(start, end, BLOCK):
            yield view[pos : min(pos + BLOCK, end)]

    def read(self, start: int = 0, end: int | None = None) -> bytes:
        return self.data[start:end]

    def __repr__(self) -> str:
        return f"BytesContent(size={self.size})"


@functools.lru_cache(maxsize=32)
def _base_block(seed: int) -> bytes:
    return np.random.default_rng(seed).bytes(BLOCK)


class GeneratedContent(Content):
    """`size` bytes of seeded pseudo-random data, optionally starting with a real file header."""

    def __init__(self, size: int, seed: int = 0, prefix: bytes = b"", meta: dict | None = None) -> None:
        super().__init__()
        if size < len(prefix):
            raise ValueError("prefix is longer than the file")
        self.size = int(size)
        self.seed = int(seed)
        self.prefix = bytes(prefix)
        self.meta = dict(meta or {})

    @property
    def cache_key(self) -> str:
        prefix_id = hashlib.sha256(self.prefix).hexdigest()[:16]
        return f"{GENERATOR_VERSION}:{self.size}:{self.seed}:{prefix_id}"

    def iter_range(self, start: int, end: int) -> Iterator[memoryview]:
        if start >= end:
            return
        base = _base_block(self.seed)
        (first_word,) = struct.unpack_from("<Q", base, 0)
        buf = bytearray(base)
        view = memoryview(buf)
        prefix_len = len(self.prefix)
        for index in range(start // BLOCK, (end - 1) // BLOCK + 1):
            block_start = index * BLOCK
            struct.pack_into("<Q", buf, 0, first_word ^ ((index + 1) * _GOLDEN & _MASK64))
            lo = max(start, block_start) - block_start
            hi = min(end, block_start + BLOCK) - block_start
            if block_start < prefix_len:
                # Rare: only the first block(s) carry a header; copy so the shared buffer stays clean.
                block = bytearray(buf)
                overlay = self.prefix[block_start : block_start + BLOCK]
                block[: len(overlay)] = overlay
                yield memoryview(block)[lo:hi]
            else:
                yield view[lo:hi]

    def _compute_digests(self) -> dict[str, str]:
        from .known_hashes import KNOWN_DIGESTS

        key = self.cache_key
        if key in KNOWN_DIGESTS:
            sha, crc = KNOWN_DIGESTS[key]
            return {"sha256": sha, "crc32": crc}
        cached = _disk_cache_get(key)
        if cached:
            return cached
        digests = super()._compute_digests()
        _disk_cache_put(key, digests)
        return digests

    def __repr__(self) -> str:
        return f"GeneratedContent(size={self.size}, seed={self.seed}, prefix={len(self.prefix)}B)"


# A small JSON cache of digests of generated files, so a large file is hashed once per machine.
_CACHE_PATH = os.path.join(tempfile.gettempdir(), "modella-fakehub-digests.json")
_cache_lock = threading.Lock()


def _disk_cache_get(key: str) -> dict[str, str] | None:
    try:
        with open(_CACHE_PATH, encoding="utf-8") as fh:
            return json.load(fh).get(key)
    except (OSError, ValueError):
        return None


def _disk_cache_put(key: str, digests: dict[str, str]) -> None:
    if int(key.split(":")[1]) < 64 * BLOCK:
        return  # small files hash in milliseconds
    with _cache_lock:
        try:
            with open(_CACHE_PATH, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            data = {}
        data[key] = digests
        tmp = f"{_CACHE_PATH}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, _CACHE_PATH)
        except OSError:
            pass


def as_content(value: Content | bytes | bytearray | str) -> Content:
    if isinstance(value, Content):
        return value
    if isinstance(value, str):
        value = value.encode("utf-8")
    return BytesContent(bytes(value))
