"""Space that can be given back: leftover partial downloads, files that failed verification,
duplicate files (same SHA-256) and downloads superseded by a newer version of the same model."""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from downloads.models import DownloadJob
from storage import disk
from storage.models import LocalFile
from storage.usage import Entry, known_entries

# The download engine writes `<final>.part`; the others are other tools' interrupted downloads.
PARTIAL_SUFFIXES = (".part", ".partial", ".incomplete")
# The download engine moves a file that failed verification to `<final>.corrupt-<the start of its
# SHA-256>` (older versions: `-<unix time>`).
CORRUPT = re.compile(r"\.corrupt-[0-9a-fx]+$")
# Jobs that may still continue from their partial file (a failed job can be retried).
OWNING_STATUSES = ("queued", "downloading", "verifying", "paused", "failed")

CATEGORIES = {
    "partials": _("Leftover partial downloads"),
    "failed": _("Files that failed verification"),
    "duplicates": _("Duplicate files"),
    "superseded": _("Superseded versions"),
}


@dataclass
class Item:
    """One reclaimable thing: a loose file (`path`) or a library entry (`entry`)."""

    name: str
    size: int
    reason: str = ""
    path: str = ""
    entry: Entry | None = None
    row_pk: int | None = None


def _owned_targets() -> tuple[set[str], set[str]]:
    """Final paths and file names of downloads that may still resume from a partial file."""
    paths: set[str] = set()
    names: set[str] = set()
    jobs = DownloadJob.objects.filter(status__in=OWNING_STATUSES).values_list("dest_path", "filename", "files")
    for dest_path, filename, files in jobs:
        if dest_path:
            paths.add(dest_path)
        names.add(posixpath.basename(filename or ""))
        for file in files or []:
            names.add(posixpath.basename(file.get("path", "")))
    return paths, names


def _stripped(path: str) -> str:
    for suffix in PARTIAL_SUFFIXES:
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path


def loose_files() -> tuple[list[Item], list[Item]]:
    """(partials no job owns, quarantined files) found on disk."""
    from storage.scan import _walk

    root = disk.models_dir()
    if not root.is_dir():
        return [], []
    owned_paths, owned_names = _owned_targets()
    partials, corrupt = [], []
    for relative, info in _walk(root.resolve()):
        if relative.endswith(PARTIAL_SUFFIXES):
            target = _stripped(relative)
            if target in owned_paths or posixpath.basename(target) in owned_names:
                continue  # a download may still continue from it
            partials.append(Item(name=relative, size=info.st_size, path=relative))
        elif CORRUPT.search(relative):
            corrupt.append(Item(name=relative, size=info.st_size, path=relative))
    return partials, corrupt


def failed_verification(corrupt: list[Item]) -> list[Item]:
    items = {item.path: item for item in corrupt}
    for row in LocalFile.objects.quarantined():
        path = disk.models_dir() / row.path
        if path.is_file() and not path.is_symlink():
            items[row.path] = Item(name=row.path, size=path.stat().st_size, path=row.path, row_pk=row.pk)
    return sorted(items.values(), key=lambda i: -i.size)


def duplicates(entries: list[Entry]) -> list[Item]:
    """All but one copy of each file that is in the library more than once (same SHA-256)."""
    by_hash: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.sha256 and not entry.is_split:
            by_hash[entry.sha256.lower()].append(entry)
    items = []
    for copies in by_hash.values():
        if len(copies) < 2:
            continue
        # Keep the catalog's downloaded file, else the copy with the shortest path.
        copies.sort(key=lambda e: (e.kind != "variant", len(e.paths[0]), e.paths[0]))
        keep = copies[0]
        for extra in copies[1:]:
            reason = _("same content as %(path)s") % {"path": keep.paths[0]}
            items.append(Item(name=extra.paths[0], size=extra.size, reason=str(reason), entry=extra))
    return items


def superseded(entries: list[Entry]) -> list[Item]:
    """Downloaded files of a model for which a newer version is downloaded too."""
    by_repository: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.repository_pk and entry.version:
            by_repository[entry.repository_pk].append(entry)
    items = []
    for group in by_repository.values():
        newest = max(e.version for e in group)
        for entry in group:
            if entry.version < newest:
                reason = _("a newer version of %(repo)s is downloaded") % {"repo": entry.repository}
                items.append(Item(name=entry.paths[0], size=entry.size, reason=str(reason), entry=entry))
    return items


def reclaimable(entries: list[Entry] | None = None) -> dict[str, list[Item]]:
    entries = known_entries() if entries is None else entries
    partials, corrupt = loose_files()
    dupes = duplicates(entries)
    duplicate_keys = {item.entry.key for item in dupes}
    return {
        "partials": partials,
        "failed": failed_verification(corrupt),
        "duplicates": dupes,
        # A file both duplicate and superseded is listed once.
        "superseded": [i for i in superseded(entries) if i.entry.key not in duplicate_keys],
    }


def remove(category: str) -> tuple[int, int]:
    """Remove everything in one category; returns (files removed, bytes freed)."""
    from storage import library, snapshots

    items = reclaimable()[category]
    count = freed = 0
    for item in items:
        if item.entry is not None:
            freed += library.remove_entry(item.entry, snapshot=False)
        else:
            freed += disk.delete(item.path)
            LocalFile.objects.filter(path=item.path).delete()
        count += 1
    if count:
        snapshots.take()
    return count, freed
