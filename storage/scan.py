"""Find model files in the models directory that Modella did not download, and import them.

A scan walks the directory (never following symlinks), skips the files of downloaded variants,
hashes each remaining model file (GGUF, safetensors, ckpt, pt, bin) with SHA-256, reads its
header, asks Civitai about the hash, and keeps a `LocalFile` row per file. The row's path, size,
mtime and inode are the hash cache key: a second scan of unchanged files reads no file data
(`ScanResult.bytes_read` proves it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.db import transaction

from catalog.models import ModelVariant
from modella.errors import ModellaError
from storage import disk, identify
from storage.models import MODEL_EXTENSIONS, LocalFile, links_hook
from storage.usage import variant_paths

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024
HEADER_LIMIT = 64 * 1024 * 1024  # a safetensors header larger than this is not believed


@dataclass
class ScanResult:
    found: int = 0  # model files on disk that Modella did not download
    hashed: int = 0  # of which hashed in this scan (new or changed)
    cached: int = 0  # of which the cache answered
    bytes_hashed: int = 0
    bytes_read: int = 0  # hashed plus header bytes: 0 on a scan of unchanged files
    identified: int = 0
    forgotten: int = 0  # rows of files that are gone
    lookup_errors: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _walk(root: Path):
    """(relative posix path, stat) of every regular file under root; no symlinks, no hidden folders."""
    prefix = len(str(root)) + 1
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            log.warning("cannot list %s: %s", folder, exc)
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue  # .cache (huggingface_hub), .trash and the like
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                stack.append(entry.path)
            elif stat.S_ISREG(info.st_mode):
                yield entry.path[prefix:].replace(os.sep, "/"), info


def is_model_file(relative: str) -> bool:
    return relative.lower().endswith(MODEL_EXTENSIONS)


def hash_file(path: Path, result: ScanResult) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            result.bytes_hashed += len(chunk)
            result.bytes_read += len(chunk)
    return digest.hexdigest()


def probe(path: Path, result: ScanResult) -> dict:
    """What the file's header says (format, architecture, model type, ...), via catalog.probe."""
    try:
        from catalog import probe as catalog_probe
    except ImportError:  # pragma: no cover - only while the catalog app is being written
        catalog_probe = None
    if catalog_probe is not None and hasattr(catalog_probe, "probe"):
        result.bytes_read += min(path.stat().st_size, CHUNK)  # about what a header read costs
        try:
            return _plain(catalog_probe.probe(path) or {})
        except Exception:  # not GGUF/safetensors (ckpt, pt, bin pickles) or a broken header
            pass
    return _basic_probe(path, result)


def _plain(header: dict) -> dict:
    """The header as JSON-safe data (it goes into a JSONField)."""
    return json.loads(json.dumps(header, default=str))


def _basic_probe(path: Path, result: ScanResult) -> dict:
    """Format from the magic bytes; safetensors metadata from its JSON header."""
    with open(path, "rb") as fh:
        head = fh.read(8)
        result.bytes_read += len(head)
        if head[:4] == b"GGUF":
            return {"format": "gguf"}
        if head[:2] == b"PK":
            return {"format": "pickle"}
        if len(head) == 8:
            length = int.from_bytes(head, "little")
            if 2 <= length <= HEADER_LIMIT and length <= path.stat().st_size - 8:
                raw = fh.read(length)
                result.bytes_read += len(raw)
                try:
                    header = json.loads(raw)
                except ValueError:
                    return {}
                if isinstance(header, dict):
                    return {"format": "safetensors", "tensors": len(header) - ("__metadata__" in header),
                            "metadata": header.get("__metadata__") or {}}
    return {}


def _model_type(header: dict) -> str:
    if header.get("model_type"):
        return str(header["model_type"])
    if header.get("format") == "gguf":
        return "LLM"
    metadata = header.get("metadata") or {}
    if any(key.startswith("ss_network") for key in metadata):
        return "LORA"
    return ""


def downloaded_paths() -> set[str]:
    paths: set[str] = set()
    for variant in ModelVariant.objects.exclude(local_path="").only("local_path", "files"):
        paths.update(variant_paths(variant))
    return paths


def scan(identify_files: bool = True) -> ScanResult:
    """Scan the models directory; safe to run again at any time (it is idempotent)."""
    result = ScanResult()
    root = disk.models_dir()
    if not root.is_dir():
        return result
    root = root.resolve()
    skip = downloaded_paths()
    # The cache: path -> (size, mtime, inode, sha256), without building 5,000 model instances.
    cache = {
        path: (size, mtime, inode, sha256)
        for path, size, mtime, inode, sha256 in LocalFile.objects.model_files().values_list(
            "path", "size", "mtime", "inode", "sha256"
        )
    }
    seen: set[str] = set()
    new_rows: list[LocalFile] = []
    for relative, info in _walk(root):
        if relative in skip or not is_model_file(relative):
            continue
        result.found += 1
        seen.add(relative)
        cached = cache.get(relative)
        if cached and cached[3] and cached[:3] == (info.st_size, info.st_mtime, info.st_ino):
            result.cached += 1
            continue
        try:
            sha256 = hash_file(root / relative, result)
            header = probe(root / relative, result)
        except OSError as exc:
            result.errors.append(f"{relative}: {exc.strerror or exc}")
            continue
        result.hashed += 1
        fields = {"size": info.st_size, "mtime": info.st_mtime, "inode": info.st_ino, "sha256": sha256,
                  "header": header, "model_type": _model_type(header),
                  "base_model": str(header.get("base_model") or "")[:300]}
        if cached is None:
            new_rows.append(LocalFile(path=relative, **fields))
            if len(new_rows) >= 500:
                LocalFile.objects.bulk_create(new_rows)
                new_rows = []
        else:
            _update_changed(relative, fields)
    LocalFile.objects.bulk_create(new_rows)

    result.forgotten = forget_missing(exclude=seen)
    if identify_files:
        _identify_pending(result)
    links_hook("library_changed")  # imported and identified files go into the app folders
    return result


def _update_changed(relative: str, fields: dict) -> None:
    row = LocalFile.objects.get(path=relative)
    if row.sha256 != fields["sha256"]:
        row.identified_at = None  # new content: ask Civitai again
    elif row.variant_id:
        fields.pop("model_type")  # identification knows better than the header
        fields.pop("base_model")
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()


def forget_missing(exclude: set[str] = frozenset()) -> int:
    """Drop rows of model files no longer on disk; their variants become available again.

    `exclude`: paths the caller just saw on disk (no need to look at them again).
    """
    root = disk.models_dir()
    gone, gone_paths = [], []
    for pk, path in LocalFile.objects.model_files().values_list("pk", "path"):
        if path not in exclude and not (root / path).is_file():
            gone.append(pk)
            gone_paths.append(path)
    for start in range(0, len(gone), 500):
        with transaction.atomic():
            for row in LocalFile.objects.filter(pk__in=gone[start : start + 500]):
                if row.variant_id:
                    ModelVariant.objects.filter(pk=row.variant_id, local_path=row.path).update(
                        local_path="", downloaded_at=None
                    )
                row.delete()
    if gone:
        links_hook("files_removed", gone_paths)
    return len(gone)


def _identify_pending(result: ScanResult) -> None:
    pending = LocalFile.objects.model_files().filter(variant__isnull=True, identified_at__isnull=True).exclude(
        sha256=""
    )
    for row in pending.order_by("-size"):
        try:
            if identify.identify(row):
                result.identified += 1
        except ModellaError as exc:
            # The hub is down or limiting us: the rest stay pending for the next scan.
            result.lookup_errors += 1
            log.warning("Civitai lookup failed for %s: %s", row.path, exc)
            break
