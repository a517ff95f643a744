"""Update checks: is there something newer than the file on disk, and what exactly?

Three kinds of update, all shown as `update_available` on the downloaded variant:

* "commit" (Hugging Face): fetching the repository again (catalog.sync) compares each downloaded
  variant's SHA-256 (or git blob id) with the remote's and puts the old and new commit, hash and
  size in `update_details["old"/"new"]`.
* "file" (Civitai): the same file id now has another hash (catalog.civitai_store, same keys).
* "version" (Civitai): a newer version of the same model *on the same base model* (a new SDXL
  version for an SDXL LoRA, never a Flux one). It is another file, so another variant; this
  module puts it in `update_details["civitai_version"]`. When only Early Access versions are
  newer, the update is listed but marked: it cannot be downloaded before the date.

`check_all()` refreshes every repository with a download; `pending()` lists what can be updated
(the Updates page and `GET /api/v1/updates` show it; downloads.updates applies it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone

from catalog.models import ModelRepository, ModelVariant, Source
from catalog.sources import civitai
from catalog.sync import fetch_repository
from modella.errors import ModellaError

logger = logging.getLogger(__name__)

VERSION_KEY = "civitai_version"


def check_all() -> int:
    """Check every repository (both hubs) with a downloaded variant; returns how many have updates."""
    found = 0
    repos = ModelRepository.objects.with_downloads().values_list("repo", flat=True)
    for repo in list(repos):
        try:
            if repo.startswith("civitai:"):
                _forget_cached_model(repo)
            repository = fetch_repository(repo)
        except ModellaError as exc:
            # One unreachable or deleted repository must not stop the others.
            logger.info("Update check of %s failed: %s", repo, exc)
            continue
        if repository.source == Source.CIVITAI:
            mark_civitai_versions(repository)
        if repository.variants.filter(update_available=True).exists():
            found += 1
    return found


# --- Civitai: newer versions on the same base model -------------------------------------------------
def _forget_cached_model(repo: str) -> None:
    # The Civitai client caches model answers for minutes (browsing); a check must see the hub now.
    from django.core.cache import cache

    path = f"/api/v1/models/{repo.split(':', 1)[1]}"
    cache.delete(civitai._cache_key("model", [path, None], civitai.token()))


def _order(version: dict) -> tuple[str, int]:
    return str(version.get("published_at") or ""), int(version.get("id") or 0)


def early_access_until(version: dict) -> datetime | None:
    """The end of a version's Early Access, or None when anyone may download it now."""
    deadline = civitai.parse_deadline(version.get("early_access_ends_at"))
    if deadline is not None:
        return deadline if deadline > timezone.now() else None
    # Early Access without an announced end: it is not downloadable, and no date can be said.
    return datetime.max.replace(tzinfo=UTC) if version.get("availability") == "EarlyAccess" else None


def _matching_file(variant: ModelVariant, candidates: list[ModelVariant]) -> ModelVariant | None:
    """The file of the newer version that takes this one's place: the primary file for a primary
    file, else one of the same format, else the primary file."""
    def primary(v: ModelVariant) -> bool:
        return bool((v.files or [{}])[0].get("primary"))

    if not candidates:
        return None
    if not primary(variant):
        same_format = [c for c in candidates if c.format == variant.format and not primary(c)]
        if same_format:
            return same_format[0]
    return next((c for c in candidates if primary(c)), candidates[0])


def newer_civitai_version(variant: ModelVariant) -> dict | None:
    """The Civitai update of a downloaded variant, or None (see the module docstring)."""
    versions = ((variant.repository.extra or {}).get("civitai") or {}).get("versions") or []
    current = next((v for v in versions if v.get("id") == variant.civitai_version_id), None)
    if current is None:
        return None
    base = current.get("base_model") or variant.base_model
    newer = sorted((v for v in versions if v.get("base_model") == base and _order(v) > _order(current)),
                   key=_order, reverse=True)
    siblings = list(variant.repository.variants.filter(civitai_version_id__in=[v["id"] for v in newer]))
    if any(s.local_path for s in siblings):
        return None  # a newer version on this base is on disk already
    public = [v for v in newer if early_access_until(v) is None]
    for version in public or newer:
        target = _matching_file(variant, [s for s in siblings if s.civitai_version_id == version["id"]])
        if target is None:
            continue
        ends = early_access_until(version)
        return {
            "version_id": version["id"], "version_name": version.get("name") or "",
            "base_model": base, "published_at": version.get("published_at"),
            "early_access_until": ends.isoformat() if ends and ends.year < 9999 else None,
            "early_access": ends is not None,
            "variant": target.pk, "filename": target.filename, "size": target.size, "sha256": target.sha256,
            "old_version_id": current["id"], "old_version_name": current.get("name") or "",
        }
    return None


def mark_civitai_versions(repository: ModelRepository) -> None:
    """Set or clear the "version" update of every downloaded variant of a Civitai repository."""
    for variant in repository.variants.downloaded().select_related("repository"):
        found = newer_civitai_version(variant)
        details = {k: v for k, v in variant.update_details.items() if k != VERSION_KEY}
        if found:
            details[VERSION_KEY] = found
        variant.update_details = details
        # A changed hash of the same file ("new", set by civitai_store) is an update too.
        variant.update_available = bool(found) or "new" in details
        variant.save(update_fields=["update_details", "update_available", "updated_at"])


def clear_version_update(variant: ModelVariant) -> None:
    """The newer version was downloaded: this file has no version update any more."""
    details = {k: v for k, v in variant.update_details.items() if k != VERSION_KEY}
    type(variant).objects.filter(pk=variant.pk).update(update_details=details, update_available="new" in details)


# --- what can be updated ------------------------------------------------------------------------------
@dataclass
class Update:
    """One downloaded variant with something newer, as the Updates page and the API show it."""

    variant: ModelVariant
    kind: str  # "commit" | "file" | "version"
    old: dict
    new: dict
    target: ModelVariant  # the variant whose download brings the update (the same one, or the new version's)
    early_access_until: str | None = None
    early_access: bool = False
    job: object | None = None  # the update's download, when it is queued already

    @property
    def size_change(self) -> int:
        return int(self.new.get("size") or 0) - int(self.old.get("size") or 0)


def describe(variant: ModelVariant) -> Update | None:
    """The update of one downloaded variant, or None."""
    details = variant.update_details or {}
    if not variant.local_path or not variant.update_available:
        return None
    if "new" in details:
        old, new = details.get("old") or {}, details["new"]
        kind = "commit" if variant.repository.source == Source.HUGGINGFACE else "file"
        return Update(
            variant=variant, kind=kind, target=variant,
            old={"revision": old.get("revision") or variant.downloaded_revision, "size": old.get("size", variant.size),
                 "sha256": old.get("sha256", variant.sha256), "filename": variant.filename,
                 "version_id": variant.civitai_version_id},
            new={"revision": new.get("revision") or "", "size": new.get("size", 0), "sha256": new.get("sha256", ""),
                 "filename": variant.filename, "version_id": variant.civitai_version_id},
        )
    found = details.get(VERSION_KEY)
    if not found:
        return None
    target = ModelVariant.objects.filter(pk=found.get("variant")).select_related("repository").first()
    if target is None:
        return None
    return Update(
        variant=variant, kind="version", target=target,
        old={"version_id": found.get("old_version_id"), "version_name": found.get("old_version_name", ""),
             "size": variant.size, "sha256": variant.sha256, "filename": variant.filename,
             "base_model": found.get("base_model", "")},
        new={"version_id": found.get("version_id"), "version_name": found.get("version_name", ""),
             "size": target.size, "sha256": target.sha256, "filename": target.filename,
             "base_model": found.get("base_model", ""), "published_at": found.get("published_at")},
        early_access_until=found.get("early_access_until"), early_access=bool(found.get("early_access")),
    )


def pending() -> list[Update]:
    """Every downloaded variant with an update, by repository; with the update's download if queued."""
    from downloads.models import DownloadJob

    variants = (ModelVariant.objects.downloaded().filter(update_available=True)
                .select_related("repository").order_by("repository__repo", "filename"))
    updates = [u for u in (describe(v) for v in variants) if u is not None]
    live = {(j.repo, j.filename): j for j in DownloadJob.objects.live()}
    for update in updates:
        update.job = live.get((update.target.repository.repo, update.target.filename))
    return updates
