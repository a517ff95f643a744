"""What the links app hears from the rest of Modella: finished downloads, and catalog variants
whose files were deleted (ModelVariant.remove_local_files, used by the Models page, the
modelfiles API and lists). Storage's own removals and renames call links.registry directly."""

from __future__ import annotations

from links import registry


def on_download_finished(sender, job, **kwargs) -> None:
    """downloads.signals.download_finished: link a completed download's files."""
    if job.status == "completed":
        registry.safely(registry.link_library_files, [f["rel"] for f in job.files or [] if f.get("rel")])


def remember_removed_files(sender, instance, update_fields=None, **kwargs) -> None:
    """pre_save of a variant that is being marked not downloaded: note which files it had."""
    if not instance.pk or instance.local_path or not update_fields or "local_path" not in update_fields:
        return
    old = sender.objects.filter(pk=instance.pk).values_list("local_path", "files").first()
    if old and old[0]:
        from storage.usage import variant_paths

        instance._links_removed_paths = variant_paths(sender(local_path=old[0], files=old[1]))


def unlink_removed_files(sender, instance, **kwargs) -> None:
    """post_save: the variant's files that are really gone from disk lose their links."""
    paths = instance.__dict__.pop("_links_removed_paths", None)
    if not paths:
        return
    from storage.usage import file_size

    gone = [path for path in paths if file_size(path) is None]
    if gone:
        registry.safely(registry.files_removed, gone)
