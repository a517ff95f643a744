"""Bulk updates: "update all selected" with one policy per run, and what each update changed.

The policy says what happens to the old file, always only after the new one is verified (a failed
update leaves the old, working file where it was):

* replace: the new file takes the old one's place (the same name: renamed over it; a new Civitai
  version under another name: the old file is deleted).
* keep: both stay in the library. The new file gets the usual name, so apps that load it by name
  get the update; the old one, when it would be overwritten, is renamed beside it with its version
  in the name (`name.<old short commit or version id>.ext`; split sets `stem.<tag>-00001-of-00003.gguf`,
  so llama.cpp still finds the parts).
* archive: the old file moves to `<models dir>/archive/<its relative path>` with its version in
  the name; it is never deleted.

Every path goes through storage.disk. The engine calls `before_final_rename` just before it
renames a verified file into place; `queue.complete` calls `after_complete`.
"""

from __future__ import annotations

import logging
import posixpath
import re

from django.db import transaction
from django.utils.translation import gettext as _

from catalog import updates as catalog_updates
from catalog.models import ModelVariant
from downloads.models import DownloadJob, UpdateItem, UpdateRun
from modella.errors import AlreadyExists, InsufficientStorage, InvalidInput, ModellaError, RemoteUnauthorized
from storage import disk

log = logging.getLogger(__name__)

POLICIES = ("replace", "keep", "archive")
ARCHIVE_DIR = "archive"
MAX_ID = 2**63  # database ids are signed 64-bit integers
SPLIT = re.compile(r"^(?P<stem>.+)(?P<suffix>-\d{5}-of-\d{5}\.[A-Za-z0-9]+)$")


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise InvalidInput(
            _("Unknown update policy %(policy)s: use replace, keep or archive.") % {"policy": policy or "—"},
            details={"policy": list(POLICIES)},
        )
    return policy


# --- names -------------------------------------------------------------------------------------------
def tagged(rel: str, tag: str) -> str:
    """`dir/name.ext` → `dir/name.<tag>.ext` (split parts keep their `-0000N-of-0000M.ext` ending)."""
    folder, name = posixpath.split(rel)
    tag = disk.sanitize_filename(tag, default="old")
    match = SPLIT.match(name)
    if match:
        name = f"{match['stem']}.{tag}{match['suffix']}"
    else:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem}.{tag}.{ext}" if dot and stem else f"{name}.{tag}"
    return posixpath.join(folder, name) if folder else name


def aside_path(policy: str, rel: str, tag: str) -> str:
    """Where the old file goes under `policy` (keep: beside it; archive: the archive folder)."""
    return tagged(f"{ARCHIVE_DIR}/{rel}" if policy == "archive" else rel, tag)


def _free(rel: str) -> str:
    """`rel`, or `rel` with -2, -3... before the extension when a file of that name exists."""
    if not disk.safe_path(rel).exists():
        return rel
    stem, dot, ext = rel.rpartition(".")
    for number in range(2, 1000):
        candidate = f"{stem}-{number}.{ext}" if dot else f"{rel}-{number}"
        if not disk.safe_path(candidate).exists():
            return candidate
    raise FileExistsError(rel)


def version_tag(variant: ModelVariant) -> str:
    """What names the downloaded version: short commit (HF), version id (Civitai), else short hash."""
    if variant.downloaded_revision:
        return variant.downloaded_revision[:7]
    if variant.civitai_version_id:
        return f"v{variant.civitai_version_id}"
    return (variant.sha256 or "old")[:8]


def replaced_files(variant: ModelVariant) -> dict:
    """The old file(s) an update replaces, captured before the variant describes the new ones."""
    from storage.usage import variant_paths

    by_name = {posixpath.basename(f.get("path", "")): f for f in variant.files or []}
    files = [{"path": p, "sha256": (by_name.get(posixpath.basename(p)) or {}).get("sha256") or "",
              "size": (by_name.get(posixpath.basename(p)) or {}).get("size") or 0}
             for p in variant_paths(variant)]
    return {"variant": variant.pk, "files": files, "tag": version_tag(variant)}


# --- the engine and the queue call these ---------------------------------------------------------------
def before_final_rename(job: DownloadJob, entry: dict, rel: str) -> None:
    """The verified new file is about to be renamed onto `rel`: under keep or archive, move the old
    file there aside first (recorded in the entry, which the job's completion saves)."""
    if job.update_policy not in ("keep", "archive") or not disk.safe_path(rel).is_file():
        return
    target = _free(aside_path(job.update_policy, rel, (job.replaces or {}).get("tag") or "old"))
    entry["moved_aside"] = disk.rename(rel, target)
    log.info("job %s: old %s moved to %s (%s)", job.pk, rel, entry["moved_aside"], job.update_policy)


def after_complete(job: DownloadJob) -> None:
    """Apply the policy to old files the engine did not already move, and say what happened."""
    from storage.models import LocalFile, links_hook

    if job.update_policy not in POLICIES:
        return
    replaces = job.replaces or {}
    new_paths = {f["rel"] for f in job.files if f.get("rel")}
    moved = {f["rel"]: f["moved_aside"] for f in job.files if f.get("moved_aside")}
    old = ModelVariant.objects.filter(pk=replaces.get("variant")).first()
    results = []
    for file in replaces.get("files", []):
        path = file["path"]
        if path in new_paths:  # renamed over (replace) or moved aside by before_final_rename
            results.append({"path": path, "action": "moved" if path in moved else "replaced",
                            "to": moved.get(path, "")})
        elif not disk.safe_path(path).is_file():
            continue
        elif job.update_policy == "replace":
            disk.delete(path)
            LocalFile.objects.filter(path=path).delete()
            results.append({"path": path, "action": "deleted", "to": ""})
        elif job.update_policy == "archive":
            moved[path] = disk.rename(path, _free(aside_path("archive", path, replaces.get("tag") or "old")))
            LocalFile.objects.filter(path=path).delete()
            results.append({"path": path, "action": "moved", "to": moved[path]})
        else:
            results.append({"path": path, "action": "kept", "to": path})
        if path in moved:
            # The old file stays in the library (Storage page) under its new name.
            stat = disk.safe_path(moved[path]).stat()
            LocalFile.objects.update_or_create(path=moved[path], defaults={
                "kind": LocalFile.Kind.MODEL, "size": stat.st_size, "sha256": file.get("sha256", ""),
                "variant": old, "source": job.source, "mtime": stat.st_mtime, "inode": stat.st_ino})
    if old is not None and old.pk == job.variant_id:
        # The same file, newer: the variant now describes what was just verified.
        files = [{"path": f["path"], "size": f["size"], "sha256": f.get("sha256", ""), "blob_id": f.get("blob_id")}
                 for f in job.files]
        ModelVariant.objects.filter(pk=old.pk).update(
            files=files, size=sum(f["size"] for f in files), sha256=files[0]["sha256"] if len(files) == 1 else "")
    if old is not None and old.pk != job.variant_id:
        # A new Civitai version: the old variant is gone from disk, or stays without an update.
        if any(r["action"] in ("deleted", "moved") for r in results):
            old.mark_removed()
        catalog_updates.clear_version_update(old)
    # Links in app folders still lead to the old files (a hard link even keeps their bytes): drop
    # them; the new files are linked when the download's completion is announced.
    links_hook("files_removed", [r["path"] for r in results if r["action"] != "kept"])
    UpdateItem.objects.filter(job=job).update(result={"policy": job.update_policy, "files": results})


# --- "update selected" ------------------------------------------------------------------------------
def _skip_text(reason: str, update=None, variant: ModelVariant | None = None) -> str:
    name = variant.filename if variant is not None else ""
    if reason == "not_found":
        return _("This file is not in the catalog.")
    if reason == "not_downloaded":
        return _("%(file)s is not downloaded, so there is nothing to update.") % {"file": name}
    if reason == "no_update":
        return _("%(file)s has no update available.") % {"file": name}
    if reason == "already_queued":
        return _("The update of %(file)s is already in the download queue.") % {"file": name}
    if reason == "early_access":
        date = (update.early_access_until or "")[:10] if update is not None else ""
        if date:
            return _("Only an Early Access version is newer: it can be downloaded after %(date)s.") % {"date": date}
        return _("Only an Early Access version is newer: it can be downloaded once Early Access ends.")
    return ""


def _queue(update, policy: str, user) -> DownloadJob:
    from downloads import queue

    variant = update.variant
    replaces = replaced_files(variant)
    if update.kind == "version":
        from catalog.sources import civitai

        target = update.target
        # Ask Civitai now, so "Early Access", "log in" and "invalid key" are said before queueing.
        civitai.resolve_download(target.civitai_version_id, {"id": target.civitai_file_id,
                                                            "primary": (target.files or [{}])[0].get("primary")})
        return queue.enqueue(target, user=user, policy=policy, replaces=replaces)
    new = variant.update_details["new"]
    on_disk = {"sha256": variant.sha256, "size": variant.size, "files": variant.files}
    with transaction.atomic():  # a refused download (no space, queued) leaves the variant as it was
        # The job is built from the variant's description of the file: the new one...
        variant.sha256 = new.get("sha256", variant.sha256)
        variant.size = new.get("size", variant.size)
        variant.files = new.get("files", variant.files)
        variant.save(update_fields=["sha256", "size", "files", "updated_at"])
        job = queue.enqueue(variant, user=user, replace=True, policy=policy, replaces=replaces)
        # ... but until it is verified the variant describes the file on disk (a failed update
        # leaves both as they were, and the next check still sees the update).
        ModelVariant.objects.filter(pk=variant.pk).update(**on_disk)
    return job


def update_one(variant: ModelVariant, policy: str = "replace", user=None) -> DownloadJob:
    """Queue one downloaded variant's update now; raises what `apply` records as a skip reason."""
    check_policy(policy)
    update = catalog_updates.describe(variant)
    if update is None or update.early_access:
        raise InvalidInput(_skip_text("early_access" if update else "no_update", update, variant))
    return _queue(update, policy, user)


def _unique_ids(variant_ids) -> list[int]:
    ids = []
    for value in variant_ids:
        try:
            number = int(value)
            if not 0 < number < MAX_ID:
                raise ValueError(value)
        except (TypeError, ValueError):
            raise InvalidInput(_("“%(value)s” is not a variant id: give positive whole numbers.") % {"value": str(value)[:50]},
                               details={"variants": "integers"}) from None
        if number not in ids:
            ids.append(number)
    return ids


def apply(variant_ids, policy: str, user=None) -> UpdateRun:
    """Queue the updates of the given downloaded variants under `policy`; returns the run, with an
    item per variant: queued (with its download) or skipped (with the reason)."""
    check_policy(policy)
    ids = _unique_ids(variant_ids)
    if not ids:
        raise InvalidInput(_("Select at least one file to update."), details={"variants": []})
    run = UpdateRun.objects.create(user=user if user is not None and user.is_authenticated else None, policy=policy)
    variants = {v.pk: v for v in ModelVariant.objects.filter(pk__in=ids).select_related("repository")}
    for pk in ids:
        variant = variants.get(pk)
        item = UpdateItem(run=run, variant=variant, outcome="skipped",
                          repo=variant.repository.repo if variant else "", filename=variant.filename if variant else "")
        update = catalog_updates.describe(variant) if variant is not None else None
        if update is not None:
            item.kind, item.old, item.new = update.kind, update.old, update.new
        if variant is None:
            item.reason = "not_found"
        elif not variant.local_path:
            item.reason = "not_downloaded"
        elif update is None:
            item.reason = "no_update"
        elif update.early_access:
            item.reason = "early_access"
        if item.reason:
            item.message = _skip_text(item.reason, update, variant)
            item.save()
            continue
        try:
            item.job = _queue(update, policy, user)
            item.outcome = "queued"
        except AlreadyExists:
            item.reason, item.message = "already_queued", _skip_text("already_queued", update, variant)
        except InsufficientStorage as exc:
            from modella.responses import error_text

            item.reason, item.message = "insufficient_storage", error_text(exc)
        except RemoteUnauthorized as exc:
            early = (exc.details or {}).get("reason") == "early_access"
            item.reason, item.message = ("early_access" if early else "remote_unauthorized"), str(exc.message)
        except ModellaError as exc:
            item.reason, item.message = exc.code, str(exc.message)
        item.save()
    return run


def check_later() -> None:
    """Hand the update check (catalog.tasks.check_updates, also scheduled) to a worker."""
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task("catalog.tasks.check_updates", task_name="check-updates"))
