"""What the models directory holds: the disk's numbers and the model files Modella knows.

A "known model file" is a verified file in the models directory: a catalog variant's downloaded
file (`ModelVariant.local_path`, all parts of a split set) or a file a scan imported
(`LocalFile` of kind model). Each is one `Entry`; a split GGUF set is one entry, so it counts
once in `model_count`.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import stat
from collections import defaultdict
from dataclasses import dataclass, field

from catalog.models import ModelVariant
from downloads.models import DownloadJob
from storage import disk
from storage.models import LocalFile

SOURCES = ("huggingface", "civitai", "local")
OTHER = "Other"
SPLIT_PART = re.compile(r"^(?P<stem>.+)-(?P<part>\d{5})-of-(?P<total>\d{5})\.gguf$", re.IGNORECASE)
# Jobs whose remaining bytes will still land on disk.
QUEUED_STATUSES = ("queued", "downloading", "verifying", "paused")


@dataclass
class Entry:
    """One model in the library: a downloaded variant or an imported local file (or split set)."""

    kind: str  # "variant" or "file"
    pk: int
    source: str
    group: str  # owner (Hugging Face) or model type (Civitai, local files)
    repository: str  # the repo id, or the folder of a local file
    name: str
    paths: list[str]
    size: int
    model_type: str = ""
    base_model: str = ""
    sha256: str = ""
    version: int | None = None
    repository_pk: int | None = None
    header: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.pk}"

    @property
    def is_split(self) -> bool:
        return len(self.paths) > 1


def file_size(relative: str) -> int | None:
    """Size of a regular file inside the models directory, or None (missing, a link, a folder)."""
    if not relative or ".." in relative.split("/") or relative.startswith("/"):
        return None
    try:
        info = os.stat(disk.models_dir() / relative, follow_symlinks=False)
    except (OSError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def variant_paths(variant: ModelVariant) -> list[str]:
    """Relative paths of every file of a downloaded variant (the parts of a split set sit together)."""
    if not variant.local_path:
        return []
    if variant.role == "repository":  # a whole repository keeps its own folders (catalog.whole_repo)
        from catalog.whole_repo import local_paths

        return local_paths(variant)
    files = variant.files or []
    if len(files) <= 1:
        return [variant.local_path]
    folder = posixpath.dirname(variant.local_path)
    return [posixpath.join(folder, posixpath.basename(f.get("path", ""))) for f in files if f.get("path")]


def _split_key(path: str) -> str:
    match = SPLIT_PART.match(posixpath.basename(path))
    if not match:
        return path
    return posixpath.join(posixpath.dirname(path), f"{match['stem']}-of-{match['total']}")


def known_entries() -> list[Entry]:
    """Every model file Modella knows that is in the models directory, largest first."""
    entries: list[Entry] = []
    covered: set[str] = set()
    variants = ModelVariant.objects.exclude(local_path="").select_related("repository").order_by("pk")
    for variant in variants:
        paths = variant_paths(variant)
        covered.update(paths)
        sizes = [s for s in (file_size(p) for p in paths) if s is not None]
        if not sizes:
            continue  # the file went missing: nothing of it is in the models directory
        repository = variant.repository
        source = repository.source if repository.source in SOURCES else "local"
        model_type = variant.model_type or repository.model_type
        group = (repository.author or repository.repo.split("/")[0]) if source == "huggingface" else ""
        entries.append(
            Entry(
                kind="variant", pk=variant.pk, source=source, group=group or model_type or OTHER,
                repository=repository.repo, name=variant.filename, paths=paths, size=sum(sizes),
                model_type=model_type, base_model=variant.base_model or repository.base_model,
                sha256=variant.sha256, version=variant.civitai_version_id, repository_pk=repository.pk,
                header=variant.probed or {},
            )
        )

    groups: dict[str, list[LocalFile]] = defaultdict(list)
    for local in LocalFile.objects.model_files().select_related("variant__repository").order_by("path"):
        if local.path not in covered:
            groups[_split_key(local.path)].append(local)
    for parts in groups.values():
        sizes = [s for s in (file_size(p.path) for p in parts) if s is not None]
        if not sizes:
            continue
        first = parts[0]
        repository = first.variant.repository if first.variant_id else None
        source = first.source if first.source in SOURCES else "local"
        model_type = first.model_type or (repository.model_type if repository else "")
        entries.append(
            Entry(
                kind="file", pk=first.pk, source=source, group=model_type or OTHER,
                repository=repository.repo if repository else (posixpath.dirname(first.path) or "."),
                name=first.name, paths=[p.path for p in parts], size=sum(sizes), model_type=model_type,
                base_model=first.base_model or (repository.base_model if repository else ""),
                sha256=first.sha256, version=first.variant.civitai_version_id if first.variant_id else None,
                repository_pk=repository.pk if repository else None, header=first.header or {},
            )
        )
    entries.sort(key=lambda e: (-e.size, e.repository, e.name))
    return entries


def disk_numbers() -> tuple[int, int, int]:
    """(total, used, available) bytes of the filesystem holding the models directory."""
    path = disk.models_dir()
    while not path.exists() and path != path.parent:
        path = path.parent
    total, used, free = shutil.disk_usage(path)
    return total, used, free


def usage(entries: list[Entry] | None = None) -> dict:
    """The `GET /api/v1/storage` document (see API.md, "Storage")."""
    entries = known_entries() if entries is None else entries
    total, used, available = disk_numbers()
    by_source = dict.fromkeys(SOURCES, 0)
    by_type: dict[str, int] = defaultdict(int)
    by_base_model: dict[str, int] = defaultdict(int)
    for entry in entries:
        by_source[entry.source] += entry.size
        by_type[entry.model_type or OTHER] += entry.size
        if entry.base_model:
            by_base_model[entry.base_model] += entry.size
    return {
        "total_bytes": total,
        "used_bytes": used,
        "available_bytes": available,
        "model_count": len(entries),
        "models_bytes": sum(e.size for e in entries),
        "by_source": by_source,
        "by_type": _largest_first(by_type),
        "by_base_model": _largest_first(by_base_model),
    }


def _largest_first(sizes: dict[str, int]) -> dict[str, int]:
    return dict(sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])))


def queued_bytes() -> int:
    """Bytes still to arrive for queued, running and paused downloads."""
    total = 0
    for size, done in DownloadJob.objects.filter(status__in=QUEUED_STATUSES).values_list("size", "bytes_done"):
        total += max(0, (size or 0) - (done or 0))
    return total


def free_after_queue(available: int | None = None) -> int:
    """Free bytes once the current queue has finished (negative: it will not all fit)."""
    if available is None:
        available = disk_numbers()[2]
    return available - queued_bytes()
