"""What the links app hears from the rest of Modella: finished downloads, and catalog variants
whose files were deleted (ModelVariant.remove_local_files, used by the Models page, the
modelfiles API and lists). Storage's own removals and renames call links.registry directly."""

from __future__ import annotations

import logging

from links import registry

log = logging.getLogger(__name__)


def on_download_finished(sender, job, **kwargs) -> None:
    """downloads.signals.download_finished: link a completed download's files."""
    if job.status == "completed":
        registry.safely(registry.link_library_files, [f["rel"] for f in job.files or [] if f.get("rel")])


def remember_removed_files(sender, instance, update_fields=None, **kwargs) -> None:
    """pre_save of a variant that is being marked not downloaded: note which files it had."""
    if not instance.pk or instance.local_path or not update_fields or "local_path" not in update_fields:
        return
    from storage.usage import variant_paths

    try:
        # The stored row as a whole: a whole repository's paths need its role and repository.
        old = sender.objects.select_related("repository").filter(pk=instance.pk).first()
        if old is not None and old.local_path:
            instance._links_removed_paths = variant_paths(old)
    except Exception:  # noqa: BLE001 - never fail the save; the health check shows what is left
        log.exception("app folder links: noting the files of variant %s failed", instance.pk)


def unlink_removed_files(sender, instance, **kwargs) -> None:
    """post_save: the variant's files that are really gone from disk lose their links."""
    paths = instance.__dict__.pop("_links_removed_paths", None)
    if not paths:
        return
    from storage.usage import file_size

    gone = [path for path in paths if file_size(path) is None]
    if gone:
        registry.safely(registry.files_removed, gone)
