"""Lists: a user's named collections of models, downloaded, removed, exported and imported as a whole.

The rules live here so that the pages (lists/views.py) and the API (lists/api.py) call the same
methods: `model_list.entries()`, `.add_item()`, `.download_all(user)`, `.remove_local()`,
`.export()` and `ModelList.objects.import_document(owner, document)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from modella.errors import (
    AlreadyExists,
    InsufficientStorage,
    InvalidInput,
    ModellaError,
    NotFound,
    RemoteNotFound,
)

EXPORT_FORMAT = "modella.list"
EXPORT_VERSION = 1
MAX_IMPORT_ITEMS = 1000

# An item's status on the list page and in the API.
DOWNLOADED, QUEUED, AVAILABLE, MISSING = "downloaded", "queued", "available", "missing"
# Why `download_all` skipped an item (the same codes as the API's errors where one fits).
SKIP_DOWNLOADED, SKIP_QUEUED, SKIP_NO_SPACE, SKIP_MISSING = (
    "already_downloaded", "already_queued", "insufficient_storage", "missing")


def source_of(repo: str) -> str:
    return "civitai" if repo.startswith("civitai:") else "huggingface"


def parse_reference(repo) -> tuple[str, str]:
    """(repo id, file name or "") from `owner/name`, `civitai:<id>` or a hub link; else InvalidInput."""
    from catalog.resolve import parse

    if not isinstance(repo, str) or not repo.strip():
        raise InvalidInput(gettext("Name a repository: owner/name or civitai:<id>."), details={"repo": repo})
    resolved = parse(repo.strip())
    return resolved.repo, resolved.filename or ""


def validate_repo(repo) -> str:
    """The repo id as the API names it (`owner/name` or `civitai:<id>`), or InvalidInput."""
    return parse_reference(repo)[0]


class ModelListQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user) if user is not None and user.is_authenticated else self.none()

    def with_item_counts(self):
        return self.annotate(item_count=models.Count("items"))

    def get_owned(self, user, pk) -> ModelList:
        """The user's list `pk`; another user's list is NotFound, exactly like one that does not exist."""
        try:
            return self.owned_by(user).get(pk=int(pk))
        except (ModelList.DoesNotExist, TypeError, ValueError):
            raise NotFound(gettext("There is no such list.")) from None

    def unique_name(self, owner, name: str) -> str:
        """`name`, or `name (2)`, `name (3)`… when the owner already has a list called that."""
        taken = set(self.filter(owner=owner, name__startswith=name).values_list("name", flat=True))
        candidate, number = name, 1
        while candidate in taken:
            number += 1
            candidate = f"{name} ({number})"[:200]
        return candidate

    def create_list(self, owner, name, description="") -> ModelList:
        name = _clean_name(name)
        try:
            with transaction.atomic():
                return self.create(owner=owner, name=name, description=_clean_description(description))
        except IntegrityError:
            raise _name_taken(name) from None

    def import_document(self, owner, document) -> tuple[ModelList, dict]:
        """Recreate a list from an `export()` document, resolving each item against the hubs.

        Items whose repository or file no longer exists are left out and reported in `missing`;
        items that could not be checked (hub unreachable, source not supported) are kept and
        reported in `unverified`. A name the owner already uses gets a " (2)" suffix.
        """
        name, description, raw_items = _read_document(document)
        resolved, missing, unverified = _resolve_import_items(raw_items)
        with transaction.atomic():
            model_list = self.create(owner=owner, name=self.unique_name(owner, name), description=description)
            for entry in resolved:
                model_list.items.get_or_create(repo=entry["repo"], filename=entry["filename"],
                                               defaults={"sha256": entry["sha256"], "note": entry["note"]})
        return model_list, {"imported": len(resolved), "missing": missing, "unverified": unverified}


def _clean_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(gettext("Give the list a name."), details={"name": [gettext("This field is required.")]})
    name = name.strip()
    if len(name) > 200:
        raise InvalidInput(gettext("A list name has at most %(max)d characters.") % {"max": 200},
                           details={"name": [gettext("Too long.")]})
    return name


def _clean_description(description) -> str:
    if description is None:
        return ""
    if not isinstance(description, str):
        raise InvalidInput(gettext("The description must be text."), details={"description": [gettext("Not text.")]})
    return description.strip()[:5000]


def _name_taken(name: str) -> AlreadyExists:
    return AlreadyExists(gettext("You already have a list called “%(name)s”.") % {"name": name}, details={"name": name})


class ModelList(models.Model):
    """A user's named collection of models, downloaded or removed as a whole."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="model_lists")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ModelListQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="list_unique_name_per_owner")]
        verbose_name = _("model list")
        verbose_name_plural = _("model lists")

    def __str__(self) -> str:
        return self.name

    # --- editing --------------------------------------------------------------------------------
    def update_details(self, name=None, description=None) -> None:
        """Rename and/or describe the list; None leaves a field as it is."""
        if name is not None:
            self.name = _clean_name(name)
        if description is not None:
            self.description = _clean_description(description)
        try:
            with transaction.atomic():
                self.save()
        except IntegrityError:
            raise _name_taken(self.name) from None

    def add_item(self, repo, filename=None, note="", fetch: bool = True) -> ModelListItem:
        """Add a repository (its recommended variant) or one of its files.

        A repository the catalog does not know yet is fetched from its hub first (when `fetch`),
        so a repo that does not exist is refused (`remote_not_found`) rather than listed as
        missing; when the hub cannot be reached the item is still added.
        """
        from catalog.models import ModelRepository

        repo, linked_file = parse_reference(repo)  # a file link names its file
        if filename is not None and not isinstance(filename, str):
            raise InvalidInput(gettext("The file name must be text."), details={"filename": [gettext("Not text.")]})
        filename = (filename or "").strip() or linked_file
        note = _clean_description(note)[:500]
        repository = ModelRepository.objects.filter(repo=repo).first()
        if repository is None and fetch:
            repository = _fetch_or_none(repo)
        sha256 = ""
        if repository is not None:
            repo = repository.repo
            if filename:  # NotFound names the repo and the file
                sha256 = repository.get_variant(filename).sha256
        if self.items.filter(repo=repo, filename=filename).exists():
            raise AlreadyExists(
                gettext("%(item)s is already in the list “%(name)s”.") % {"item": _label(repo, filename), "name": self.name},
                details={"repo": repo, "filename": filename or None},
            )
        item = self.items.create(repo=repo, filename=filename, note=note, sha256=sha256)
        self.touch()
        return item

    def remove_item(self, item_id) -> None:
        deleted = self.items.filter(pk=item_id).delete()[0] if str(item_id).isdigit() else 0
        if not deleted:
            raise NotFound(gettext("This list has no such item."))
        self.touch()

    def touch(self) -> None:
        ModelList.objects.filter(pk=self.pk).update(updated_at=timezone.now())

    # --- what the list holds ----------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        return resolve_items(list(self.items.all()))

    def summary(self, entries: list[Entry] | None = None, available: int | None = None) -> dict:
        """Totals for the page and the API: total size and the storage impact of the rest."""
        entries = self.entries() if entries is None else entries
        counted = _unique_variants(entries)
        remaining = sum(e.size for e in counted if e.status == AVAILABLE)
        available = download_budget() if available is None else available
        return {
            "item_count": len(entries),
            "total_size": sum(e.size for e in counted),
            "downloaded_bytes": sum(e.size for e in counted if e.status == DOWNLOADED),
            "remaining_bytes": remaining,
            "available_bytes": available,
            "shortfall_bytes": max(0, remaining - available),
            "counts": {s: sum(1 for e in entries if e.status == s) for s in (DOWNLOADED, QUEUED, AVAILABLE, MISSING)},
        }

    # --- bulk actions -----------------------------------------------------------------------------
    def download_all(self, user=None, priority: str = "normal") -> dict:
        """Queue every item that is not downloaded yet; say which were skipped and why.

        Returns {"queued": [DownloadJob], "skipped": [{item_id, repo, filename, reason, message,
        details}], "storage": {needed_bytes, available_bytes, shortfall_bytes}}. The shortfall is
        computed against the whole batch, so the user sees how much space the rest would need.
        """
        from downloads import queue
        from downloads.models import PRIORITY_NAMES

        if priority not in PRIORITY_NAMES:
            raise InvalidInput(gettext("Unknown priority %(priority)s: use low, normal, high or urgent.")
                               % {"priority": str(priority)[:20]}, details={"priority": list(PRIORITY_NAMES)})
        entries = self.entries()
        queued, skipped, pending = [], [], []
        seen_variants = set()
        for entry in entries:
            if entry.status == MISSING:
                skipped.append(entry.skip(SKIP_MISSING, gettext("%(item)s is not in the catalog or no longer on its hub.")))
            elif entry.status == DOWNLOADED:
                skipped.append(entry.skip(SKIP_DOWNLOADED, gettext("%(item)s is already downloaded.")))
            elif entry.status == QUEUED or entry.variant.pk in seen_variants:
                skipped.append(entry.skip(SKIP_QUEUED, gettext("%(item)s is already in the download queue."),
                                          {"download_id": entry.job.pk if entry.job else None}))
            else:
                pending.append(entry)
            if entry.variant is not None:
                seen_variants.add(entry.variant.pk)
        needed = sum(e.size for e in pending)
        available = download_budget()
        storage = {"needed_bytes": needed, "available_bytes": available, "shortfall_bytes": max(0, needed - available)}
        for entry in pending:
            try:
                queued.append(queue.enqueue(entry.variant, priority=priority, user=user))
            except InsufficientStorage as exc:
                skipped.append(entry.skip(SKIP_NO_SPACE, gettext("%(item)s would not fit in the free space."),
                                          {**exc.details, **storage, "size": entry.size}))
            except AlreadyExists as exc:
                skipped.append(entry.skip(SKIP_QUEUED, gettext("%(item)s is already in the download queue."),
                                          _plain(exc.details)))
            except ModellaError as exc:  # e.g. a gated repository without access: say why, go on
                skipped.append(entry.skip(exc.code, str(exc.message), _plain(exc.details)))
        return {"queued": queued, "skipped": skipped, "storage": storage}

    def remove_local(self) -> dict:
        """Delete the downloaded files of every item; returns {"removed": [...], "freed_bytes": N}."""
        removed, freed, done = [], 0, set()
        for entry in self.entries():
            variant = entry.variant
            if variant is None or not variant.local_path or variant.pk in done:
                continue
            done.add(variant.pk)
            bytes_freed = variant.remove_local_files()
            freed += bytes_freed
            removed.append({"item_id": entry.item.pk, "repo": entry.item.repo, "filename": variant.filename,
                            "freed_bytes": bytes_freed})
        if removed:
            _take_snapshot()
        return {"removed": removed, "freed_bytes": freed}

    def export(self) -> dict:
        """A JSON document that `ModelList.objects.import_document` turns back into a list."""
        entries = self.entries()
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": timezone.now().isoformat().replace("+00:00", "Z"),
            "name": self.name,
            "description": self.description,
            "items": [
                {
                    "source": e.variant.repository.source if e.variant else source_of(e.item.repo),
                    "repo": e.item.repo,
                    "filename": e.item.filename or None,
                    "sha256": _known_sha256(e),
                    "note": e.item.note,
                }
                for e in entries
            ],
        }

    def export_filename(self) -> str:
        from django.utils.text import slugify

        return f"{slugify(self.name) or 'list'}.modella-list.json"


class ModelListItem(models.Model):
    """A repository (its recommended variant) or one specific file in a list."""

    model_list = models.ForeignKey(ModelList, on_delete=models.CASCADE, related_name="items")
    repo = models.CharField(max_length=300)
    filename = models.CharField(max_length=500, blank=True, default="", help_text=_("Blank: the recommended variant."))
    sha256 = models.CharField(max_length=64, blank=True, default="")
    note = models.CharField(max_length=500, blank=True, default="")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["model_list", "repo", "filename"], name="list_item_unique_file"),
        ]
        verbose_name = _("list item")
        verbose_name_plural = _("list items")

    def __str__(self) -> str:
        return f"{self.repo}/{self.filename or ''}"

    @property
    def label(self) -> str:
        return _label(self.repo, self.filename)


def _known_sha256(entry: Entry) -> str | None:
    """A hash pins one file: known only for items that name their file."""
    if not entry.item.filename:
        return None
    return entry.item.sha256 or (entry.variant.sha256 if entry.variant is not None else "") or None


def _label(repo: str, filename: str) -> str:
    return f"{repo} · {filename}" if filename else repo


# --- resolving items against the catalog ------------------------------------------------------------
@dataclass
class Entry:
    """A list item with what the catalog knows about it."""

    item: ModelListItem
    variant: object | None  # catalog.models.ModelVariant
    status: str
    job: object | None = None  # the live downloads.models.DownloadJob

    @property
    def size(self) -> int:
        return self.variant.size if self.variant is not None else 0

    @property
    def filename(self) -> str:
        return self.variant.filename if self.variant is not None else self.item.filename

    def skip(self, reason: str, message: str, details: dict | None = None) -> dict:
        return {"item_id": self.item.pk, "repo": self.item.repo, "filename": self.filename or None, "reason": reason,
                "message": message % {"item": _label(self.item.repo, self.filename)} if "%(item)s" in message else message,
                "details": details or {}}


def recommended_variant(variants):
    """The repository's recommended variant; without one flagged, its first model file (or None)."""
    variants = list(variants)
    flagged = [v for v in variants if v.is_recommended]
    if flagged:
        return flagged[0]
    models_only = [v for v in variants if v.role == "model"]
    return models_only[0] if models_only else None


def resolve_items(items: list[ModelListItem]) -> list[Entry]:
    """Each item with its variant and status, in a fixed number of queries for any list size."""
    from catalog.models import ModelRepository, ModelVariant
    from downloads.models import DownloadJob

    repos = {item.repo for item in items}
    repositories = {
        r.repo: r
        for r in ModelRepository.objects.filter(repo__in=repos).prefetch_related(
            models.Prefetch("variants", queryset=ModelVariant.objects.order_by("size", "pk"))
        )
    }
    chosen = []
    for item in items:
        repository = repositories.get(item.repo)
        variant = None
        if repository is not None:
            variants = list(repository.variants.all())
            if item.filename:
                variant = next((v for v in variants if v.filename == item.filename), None) or next(
                    (v for v in variants if any(f.get("path") == item.filename for f in v.files)), None)
            else:
                variant = recommended_variant(variants)
        chosen.append((item, variant))
    variant_ids = {v.pk for _, v in chosen if v is not None}
    jobs = {}
    for job in DownloadJob.objects.live().filter(variant_id__in=variant_ids).order_by("created_at"):
        jobs.setdefault(job.variant_id, job)
    entries = []
    for item, variant in chosen:
        job = jobs.get(variant.pk) if variant is not None else None
        if variant is None:
            status = MISSING
        elif job is not None:
            status = QUEUED
        elif variant.local_path:
            status = DOWNLOADED
        else:
            status = AVAILABLE
        entries.append(Entry(item=item, variant=variant, status=status, job=job))
    return entries


def _unique_variants(entries: list[Entry]) -> list[Entry]:
    """Entries counted once per file (two items can name the same variant)."""
    seen, unique = set(), []
    for entry in entries:
        if entry.variant is None or entry.variant.pk in seen:
            continue
        seen.add(entry.variant.pk)
        unique.append(entry)
    return unique


def download_budget() -> int:
    """Bytes new downloads may still use: what `downloads.queue.check_space` measures against
    (free space minus what live jobs still need minus the reserve)."""
    from downloads.queue import queued_bytes
    from storage.disk import free_bytes

    return max(0, free_bytes() - queued_bytes() - settings.STORAGE_RESERVE_BYTES)


def _fetch_or_none(repo: str):
    """Fetch a repository into the catalog; RemoteNotFound propagates, an unreachable hub gives None."""
    from catalog.sync import fetch_repository

    try:
        return fetch_repository(repo)
    except RemoteNotFound:
        raise
    except ModellaError:
        return None


def _plain(details: dict) -> dict:
    """Error details without model instances, so they can go into a JSON answer."""
    return {key: value for key, value in details.items() if not isinstance(value, models.Model)}


def _take_snapshot() -> None:
    """The storage trend shows the space freed at once, not at the next scheduled snapshot."""
    from storage.snapshots import take

    take()


# --- import ---------------------------------------------------------------------------------------
def _read_document(document) -> tuple[str, str, list]:
    if not isinstance(document, dict):
        raise InvalidInput(gettext("This is not a Modella list export: expected a JSON object."))
    if document.get("format", EXPORT_FORMAT) != EXPORT_FORMAT:
        raise InvalidInput(gettext("This is not a Modella list export (format “%(format)s”).")
                           % {"format": str(document.get("format"))[:50]}, details={"format": [gettext("Unknown format.")]})
    version = document.get("version", EXPORT_VERSION)
    if not isinstance(version, int) or version > EXPORT_VERSION or version < 1:
        raise InvalidInput(gettext("This list export has version %(version)s; Modella reads version %(supported)d.")
                           % {"version": str(version)[:20], "supported": EXPORT_VERSION},
                           details={"version": [gettext("Unsupported version.")]})
    name = _clean_name(document.get("name"))
    description = _clean_description(document.get("description", ""))
    items = document.get("items", [])
    if not isinstance(items, list):
        raise InvalidInput(gettext("“items” must be a list."), details={"items": [gettext("Not a list.")]})
    if len(items) > MAX_IMPORT_ITEMS:
        raise InvalidInput(gettext("A list can be imported with at most %(max)d items.") % {"max": MAX_IMPORT_ITEMS},
                           details={"items": [gettext("Too many items.")]})
    return name, description, items


def _resolve_import_items(raw_items: list) -> tuple[list[dict], list[dict], list[dict]]:
    """Check each item against its hub (one fetch per repository)."""
    from catalog.models import ModelRepository

    resolved, missing, unverified = [], [], []
    repositories: dict[str, object] = {}
    for index, raw in enumerate(raw_items):
        if not isinstance(raw, dict):
            raise InvalidInput(gettext("Item %(number)d is not an object.") % {"number": index + 1},
                               details={"items": {index: [gettext("Not an object.")]}})
        try:
            repo = validate_repo(raw.get("repo"))
        except InvalidInput as exc:
            raise InvalidInput(gettext("Item %(number)d has no valid repository.") % {"number": index + 1},
                               details={"items": {index: [str(exc.message)]}}) from None
        filename = raw.get("filename") or ""
        if not isinstance(filename, str):
            raise InvalidInput(gettext("Item %(number)d has a file name that is not text.") % {"number": index + 1},
                               details={"items": {index: [gettext("Not text.")]}})
        sha256 = raw.get("sha256") or ""
        note = raw.get("note") or ""
        entry = {"repo": repo, "filename": filename, "sha256": sha256 if isinstance(sha256, str) else "",
                 "note": note[:500] if isinstance(note, str) else ""}
        report = {"repo": repo, "filename": filename or None}
        if repo not in repositories:
            repositories[repo] = _fetch_for_import(repo)
        repository = repositories[repo]
        if isinstance(repository, ModellaError):
            if isinstance(repository, RemoteNotFound):
                missing.append({**report, "reason": "remote_not_found",
                                "message": gettext("%(repo)s no longer exists on its hub.") % {"repo": repo}})
                continue
            # Not checked (hub down, source not supported yet): keep it, from the local catalog if known.
            repository = ModelRepository.objects.filter(repo=repo).first()
            unverified.append({**report, "reason": repositories[repo].code, "message": str(repositories[repo].message)})
        if repository is not None and filename:
            variant = next((v for v in repository.variants.all()
                            if v.filename == filename or any(f.get("path") == filename for f in v.files)), None)
            if variant is None:
                missing.append({**report, "reason": "file_not_found",
                                "message": gettext("%(repo)s no longer has the file %(filename)s.")
                                % {"repo": repo, "filename": filename}})
                continue
            entry["sha256"] = variant.sha256 or entry["sha256"]
        resolved.append(entry)
    return resolved, missing, unverified


def _fetch_for_import(repo: str):
    from catalog.sync import fetch_repository

    try:
        return fetch_repository(repo)
    except ModellaError as exc:
        return exc
