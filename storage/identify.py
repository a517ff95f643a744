"""Identify a file on disk by its SHA-256 on Civitai and link it to the catalog.

`civitai_version_by_hash` is the one outbound call; it goes through catalog/sources/civitai.py.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from catalog.models import ModelRepository, ModelVariant
from storage.models import LocalFile

log = logging.getLogger(__name__)


def civitai_version_by_hash(sha256: str) -> dict | None:
    """The Civitai model version holding a file with this hash, or None when Civitai has none."""
    from catalog.sources import civitai  # the one Civitai client (throttled, cached, key in a header)

    return civitai.version_by_hash(sha256)


def _file_of(version: dict, sha256: str) -> dict | None:
    for file in version.get("files") or []:
        hashes = {k.upper(): str(v).upper() for k, v in (file.get("hashes") or {}).items()}
        if hashes.get("SHA256") == sha256.upper():
            return file
    return None


def _variant_for(version: dict, file: dict, sha256: str) -> ModelVariant:
    """The catalog variant of this Civitai file, created (with its repository) when missing."""
    model = version.get("model") or {}
    repository, _ = ModelRepository.objects.get_or_create(
        repo=f"civitai:{version['modelId']}",
        defaults={
            "source": "civitai",
            "name": model.get("name") or "",
            "model_type": model.get("type") or "",
            "base_model": version.get("baseModel") or "",
            "nsfw": bool(model.get("nsfw")),
        },
    )
    variant = repository.variants.filter(civitai_file_id=file.get("id")).first() if file.get("id") else None
    if variant is None:
        variant = repository.variants.filter(civitai_version_id=version["id"], filename=file.get("name")).first()
    if variant is None:
        name = file.get("name") or f"{version['id']}.safetensors"
        if repository.variants.filter(filename=name).exists():
            name = f"{version['id']}-{name}"
        size = round(float(file.get("sizeKB") or 0) * 1024)
        variant = ModelVariant.objects.create(
            repository=repository,
            filename=name,
            files=[{"path": name, "size": size, "sha256": sha256.lower()}],
            size=size,
            sha256=sha256.lower(),
            format=((file.get("metadata") or {}).get("format") or "").lower(),
            model_type=model.get("type") or "",
            base_model=version.get("baseModel") or "",
            civitai_version_id=version["id"],
            civitai_file_id=file.get("id"),
        )
    return variant


def identify(local: LocalFile) -> bool:
    """Ask Civitai about one hashed local file; link it to the catalog when found.

    Returns True when identified. Hub errors propagate (the caller decides whether to go on);
    a file Civitai does not know is marked as asked so later scans do not ask again.
    """
    version = civitai_version_by_hash(local.sha256)
    file = _file_of(version, local.sha256) if version else None
    with transaction.atomic():
        local.identified_at = timezone.now()
        if file is None:
            local.save(update_fields=["identified_at", "updated_at"])
            return False
        variant = _variant_for(version, file, local.sha256)
        if not variant.local_path:
            # The verified file is on disk: the catalog entry now counts as downloaded.
            variant.local_path = local.path
            variant.downloaded_at = timezone.now()
            variant.save(update_fields=["local_path", "downloaded_at", "updated_at"])
        local.variant = variant
        local.source = "civitai"
        local.model_type = variant.model_type or variant.repository.model_type
        local.base_model = variant.base_model or variant.repository.base_model
        local.save(update_fields=["identified_at", "variant", "source", "model_type", "base_model", "updated_at"])
    log.info("identified %s as %s", local.path, variant)
    return True
