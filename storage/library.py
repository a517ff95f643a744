"""The local library: the tree of model files on the Storage page, and renaming and deleting them.

The page and the API both call `remove_entry`, `rename_entry` and `remove_variant`.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import ModelVariant
from modella.errors import InvalidInput, NotFound
from storage import disk
from storage.models import LocalFile, links_hook
from storage.usage import Entry, known_entries, variant_paths

SOURCE_LABELS = {
    "huggingface": "Hugging Face",
    "civitai": "Civitai",
    "local": gettext_lazy("Local files"),
}


@dataclass
class Node:
    label: str
    size: int = 0
    children: list[Node] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.entries) + sum(child.count for child in self.children)


def matches(entry: Entry, query: str) -> bool:
    text = f"{entry.source} {entry.group} {entry.repository} {entry.name} {entry.model_type} {entry.base_model}"
    return all(word in text.lower() for word in query.lower().split())


def build_tree(entries: list[Entry], query: str = "") -> list[Node]:
    """source → owner or type → repository → files, each level largest first."""
    sources: dict[str, dict[str, dict[str, Node]]] = {}
    for entry in entries:
        if query and not matches(entry, query):
            continue
        groups = sources.setdefault(entry.source, {})
        repositories = groups.setdefault(entry.group, {})
        repositories.setdefault(entry.repository, Node(entry.repository)).entries.append(entry)
    tree = []
    for source, groups in sources.items():
        source_node = Node(str(SOURCE_LABELS.get(source, source)))
        for group, repositories in groups.items():
            group_node = Node(group)
            for repo_node in repositories.values():
                repo_node.entries.sort(key=lambda e: (-e.size, e.name))
                repo_node.size = sum(e.size for e in repo_node.entries)
                group_node.children.append(repo_node)
            group_node.children.sort(key=lambda n: (-n.size, n.label))
            group_node.size = sum(n.size for n in group_node.children)
            source_node.children.append(group_node)
        source_node.children.sort(key=lambda n: (-n.size, n.label))
        source_node.size = sum(n.size for n in source_node.children)
        tree.append(source_node)
    tree.sort(key=lambda n: (-n.size, n.label))
    return tree


def find_entry(kind: str, pk: int, entries: list[Entry] | None = None) -> Entry:
    for entry in known_entries() if entries is None else entries:
        if entry.kind == kind and entry.pk == pk:
            return entry
    raise NotFound(_("This file is not in the library any more."))


def remove_variant(variant: ModelVariant, snapshot: bool = True) -> int:
    """Delete a downloaded variant's files (all parts); the variant stays in the catalog, available.

    Returns the bytes freed.
    """
    paths = variant_paths(variant)
    for path in paths:
        disk.safe_path(path)  # refuse before deleting anything, not halfway through a split set
    freed = sum(disk.delete(path) for path in paths)
    with transaction.atomic():
        ModelVariant.objects.filter(pk=variant.pk).update(local_path="", downloaded_at=None)
        LocalFile.objects.filter(path__in=paths).delete()
    variant.local_path, variant.downloaded_at = "", None
    links_hook("files_removed", paths)
    if snapshot:
        snapshot_after_change()
    return freed


def remove_entry(entry: Entry, snapshot: bool = True) -> int:
    """Delete a library entry's files from disk; returns the bytes freed."""
    if entry.kind == "variant":
        variant = ModelVariant.objects.filter(pk=entry.pk).first()
        if variant is None:
            raise NotFound()
        return remove_variant(variant, snapshot=snapshot)
    rows = list(LocalFile.objects.filter(path__in=entry.paths))
    for row in rows:
        disk.safe_path(row.path)
    freed = sum(row.remove() for row in rows)
    if snapshot:
        snapshot_after_change()
    return freed


def rename_entry(entry: Entry, name: str) -> str:
    """Rename a library entry's file (not a split set: its parts must keep their names)."""
    if entry.is_split:
        raise InvalidInput(_("The parts of a split model keep their names; they cannot be renamed."))
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter a new file name."))
    if entry.kind == "file":
        row = LocalFile.objects.filter(pk=entry.pk).first()
        if row is None:
            raise NotFound()
        row.rename(name)
        return row.path
    variant = ModelVariant.objects.filter(pk=entry.pk).first()
    if variant is None or not variant.local_path:
        raise NotFound()
    old = variant.local_path
    new = name if "/" in name else posixpath.join(posixpath.dirname(old), name)
    if new == old:
        return old
    try:
        new = disk.rename(old, new)
    except FileExistsError:
        raise InvalidInput(
            _("A file named “%(name)s” already exists there.") % {"name": name}, details={"name": name}
        ) from None
    except FileNotFoundError:
        raise NotFound(_("The file “%(name)s” is no longer on disk.") % {"name": old}) from None
    with transaction.atomic():
        ModelVariant.objects.filter(pk=variant.pk).update(local_path=new)
        LocalFile.objects.filter(path=old).update(path=new)
    links_hook("file_renamed", old, new)
    return new


def snapshot_after_change() -> None:
    from storage import snapshots

    snapshots.take()
