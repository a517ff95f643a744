"""Civitai models in Modella: storing them in the catalog, showing them within the user's content
level, and queueing their files (now, or when Early Access ends).

The Civitai client (catalog.sources.civitai) fetches and shapes; this module decides what the
catalog keeps and what a person sees. The pages and the API call the same functions here.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from catalog.models import ModelRepository, ModelVariant, Source
from catalog.sources import civitai
from modella.errors import AlreadyExists, InvalidInput, NotFound, RemoteUnauthorized
from modella.ids import parse_id

log = logging.getLogger(__name__)

VERSIONS_PER_PAGE = 10


def model_id_of(repo: str) -> int:
    prefix, _sep, number = (repo or "").partition(":")
    model_id = parse_id(number) if prefix == "civitai" else None
    if model_id is None:
        raise InvalidInput(_("“%(repo)s” is not a Civitai model (civitai:<id>).") % {"repo": repo})
    return model_id


# --- the catalog ----------------------------------------------------------------------------------
def fetch_repository(repo: str) -> ModelRepository:
    """Fetch `civitai:<id>` from Civitai, store it and its files, and return it (catalog.sync's seam)."""
    return store(civitai.get_model(model_id_of(repo)))


def _datetime(value) -> datetime | None:
    parsed = parse_datetime(str(value).replace("Z", "+00:00")) if value else None
    return parsed if parsed is None or timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _file_entry(file: dict, filename: str) -> dict:
    # `file_id` and `primary` tell the download engine which file of the version to ask for.
    return {"path": filename, "size": file["size"], "sha256": file["sha256"], "file_id": file["id"],
            "primary": file["primary"]}


@transaction.atomic
def store(model: dict) -> ModelRepository:
    """Write a shaped Civitai model into the catalog: the repository and one variant per file of
    every version. The primary file of the newest version is the recommended one."""
    repo = model["repo"]
    repository = ModelRepository.objects.select_for_update().filter(repo=repo).first()
    if repository is None:
        repository = ModelRepository(repo=repo, source=Source.CIVITAI)
    versions = model["versions"]
    newest = versions[0] if versions else None
    repository.source = Source.CIVITAI
    repository.name = model["name"][:300]
    repository.author = model["creator"]["username"][:200]
    repository.description = model["description"]  # sanitised by the client
    repository.tags = model["tags"][:50]
    repository.likes = model["stats"]["likes"]
    repository.downloads = model["stats"]["downloads"]
    repository.model_type = model["type"][:64]
    repository.base_model = model["base_model"][:300]
    repository.nsfw = model["nsfw"] or not civitai.level_allowed(model["nsfw_level"], "pg13")
    repository.remote_revision = str(newest["id"]) if newest else ""
    repository.remote_last_modified = _datetime(newest["published_at"]) if newest else None
    repository.links = {"civitai": model["url"], "homepage": None, "paper": None}
    repository.extra = {"civitai": {
        "mode": model["mode"], "nsfw_level": model["nsfw_level"], "creator": model["creator"],
        "stats": model["stats"], "licence": model["licence"],
        "versions": [{k: v[k] for k in ("id", "name", "base_model", "published_at", "nsfw_level", "availability",
                                        "early_access_ends_at", "trained_words", "images")} for v in versions],
    }}
    repository.synced_at = timezone.now()
    repository.save()

    existing = {v.civitai_file_id: v for v in repository.variants.all() if v.civitai_file_id}
    taken = set(repository.variants.values_list("filename", flat=True))
    seen = set()
    for version in versions:
        for file in version["files"]:
            variant = existing.get(file["id"])
            if variant is None:
                filename = file["filename"]
                if filename in taken:  # two versions may ship files of the same name
                    filename = f"{version['id']}-{filename}"
                variant = ModelVariant(repository=repository, filename=filename)
                taken.add(filename)
            seen.add(file["id"])
            entry = _file_entry(file, variant.filename)
            if variant.local_path and variant.sha256 and file["sha256"] and variant.sha256 != file["sha256"]:
                variant.update_available = True
                variant.update_details = {**variant.update_details, "new": {
                    "sha256": file["sha256"], "size": file["size"], "files": [entry]}}
            elif not variant.local_path:
                variant.files = [entry]
                variant.size = file["size"]
                variant.sha256 = file["sha256"]
            variant.format = civitai.FILE_FORMATS.get(file["format"], file["format"].lower())[:32]
            variant.model_type = model["type"][:64]
            variant.base_model = version["base_model"][:300]
            variant.civitai_version_id = version["id"]
            variant.civitai_file_id = file["id"]
            variant.is_recommended = bool(version is newest and file["primary"])
            variant.save()
    # Files gone upstream (or an archived model): forget them unless a copy is on disk.
    for file_id, variant in existing.items():
        if file_id not in seen:
            variant.forget_upstream()
    return repository


# --- what a person sees -----------------------------------------------------------------------------
def preferences(user) -> tuple[str, bool]:
    """The user's content level (pg … xxx) and whether content above it is blurred (else hidden)."""
    from modella.models import UserSettings

    row = UserSettings.objects.filter(user=user).values("nsfw_level", "nsfw_blur").first() if user and \
        user.is_authenticated else None
    if row is None:
        return "pg13", True
    return row["nsfw_level"] or "pg13", row["nsfw_blur"]


def _images(images: list[dict], level: str, blur: bool) -> tuple[list[dict], int]:
    shown, hidden = [], 0
    for image in images:
        allowed = civitai.level_allowed(image["nsfw_level"], level)
        if allowed or blur:
            shown.append({**image, "blurred": not allowed})
        else:
            hidden += 1
    return shown, hidden


def present(model: dict, level: str, blur: bool) -> dict:
    """A copy of a shaped model filtered by NSFW level, per version and per image (a model marked
    safe can carry adult versions and images). Above the level: images blurred or removed,
    trigger words removed. Adds `thumbnail` (the first image to show, or None)."""
    versions = []
    first_allowed = first_blurred = None
    for version in model["versions"]:
        allowed = civitai.level_allowed(version["nsfw_level"], level)
        images, hidden = _images(version["images"], level, blur)
        ends = civitai.parse_deadline(version["early_access_ends_at"])
        versions.append({
            **version,
            "published": _datetime(version["published_at"]),
            "early_access_until": ends if ends and ends > timezone.now() else None,
            "above_level": not allowed,
            "trained_words": version["trained_words"] if allowed else [],
            "trained_words_hidden": bool(version["trained_words"]) and not allowed,
            "images": images,
            "hidden_images": hidden,
        })
        for image in images:
            if not image["blurred"] and first_allowed is None:
                first_allowed = image
            if image["blurred"] and first_blurred is None:
                first_blurred = image
    return {**model, "versions": versions, "thumbnail": first_allowed or first_blurred}


def default_file(model: dict) -> tuple[dict | None, dict | None]:
    """(version, file) queued by default: the primary file of the newest version with files."""
    for version in model["versions"]:
        if version["files"]:
            return version, next((f for f in version["files"] if f["primary"]), version["files"][0])
    return None, None


def versions_page(model: dict, page) -> dict:
    """One page of versions (10 a page) and the page numbers."""
    versions = model["versions"]
    pages = max(1, -(-len(versions) // VERSIONS_PER_PAGE))
    try:
        page = min(max(1, int(page or 1)), pages)
    except (TypeError, ValueError):
        page = 1
    start = (page - 1) * VERSIONS_PER_PAGE
    return {"versions": versions[start:start + VERSIONS_PER_PAGE], "page": page, "pages": pages,
            "count": len(versions), "has_previous": page > 1, "has_next": page < pages}


def find_file(model: dict, file_id) -> tuple[dict, dict]:
    for version in model["versions"]:
        for file in version["files"]:
            if str(file["id"]) == str(file_id):
                return version, file
    raise NotFound(_("%(model)s has no file %(file)s.") % {"model": model["name"], "file": file_id})


# --- queueing ---------------------------------------------------------------------------------------
def _variant(model: dict, file_id) -> tuple[ModelVariant, dict, dict]:
    version, file = find_file(model, file_id)
    repository = store(model)
    return repository.variants.get(civitai_file_id=file["id"]), version, file


def queue_file(model_id: int, file_id, user=None, priority: str = "normal"):
    """Queue one file of a Civitai model. Civitai is asked first whether the file can be
    downloaded, so "log in", "invalid key" and "Early Access until …" are said now, not after a
    failed download."""
    from downloads import queue

    model = civitai.get_model(model_id)
    variant, version, file = _variant(model, file_id)
    if variant.local_path:
        raise AlreadyExists(_("%(file)s is already downloaded.") % {"file": variant.filename},
                            details={"repo": model["repo"], "filename": variant.filename})
    civitai.resolve_download(version["id"], file)
    return queue.enqueue(variant, priority=priority, user=user)


def queue_when_early_access_ends(model_id: int, file_id, user=None, priority: str = "normal") -> datetime:
    """Remember to queue a file when its Early Access ends; returns that date.

    The deadline is stored on the variant (`update_details["early_access"]`) and the scheduled
    task `catalog.tasks.queue_early_access_ended` queues it once the date has passed."""
    model = civitai.get_model(model_id)
    variant, version, file = _variant(model, file_id)
    deadline = None
    try:
        civitai.resolve_download(version["id"], file)
    except RemoteUnauthorized as error:
        if error.details.get("reason") != "early_access":
            raise
        deadline = civitai.parse_deadline(error.details.get("deadline"))
    else:
        raise InvalidInput(_("This file is not in Early Access: it can be queued now."))
    deadline = deadline or civitai.parse_deadline(version["early_access_ends_at"])
    if deadline is None:
        raise InvalidInput(_("Civitai did not say when Early Access ends, so it cannot be scheduled."))
    variant.update_details = {**variant.update_details, "early_access": {
        "deadline": deadline.isoformat(), "auto_queue": True, "priority": priority,
        "user_id": user.pk if user is not None and user.is_authenticated else None}}
    variant.save(update_fields=["update_details", "updated_at"])
    return deadline


def queue_early_access_ended(now: datetime | None = None) -> int:
    """Queue every file whose Early Access has ended and that a user asked for; returns how many."""
    from django.contrib.auth import get_user_model

    from downloads import queue
    from modella.errors import ModellaError

    now = now or timezone.now()
    queued = 0
    for variant in ModelVariant.objects.filter(repository__source=Source.CIVITAI,
                                               update_details__has_key="early_access"):
        wish = variant.update_details.get("early_access") or {}
        deadline = civitai.parse_deadline(wish.get("deadline"))
        if not wish.get("auto_queue") or deadline is None or deadline > now:
            continue
        user = get_user_model().objects.filter(pk=wish.get("user_id")).first() if wish.get("user_id") else None
        try:
            queue.enqueue(variant, priority=wish.get("priority") or "normal", user=user)
            queued += 1
        except AlreadyExists:
            pass
        except ModellaError as error:  # e.g. no space now: keep the wish and try again next time
            log.warning("could not queue %s after Early Access: %s", variant, error)
            continue
        variant.update_details = {k: v for k, v in variant.update_details.items() if k != "early_access"}
        variant.save(update_fields=["update_details", "updated_at"])
    return queued
