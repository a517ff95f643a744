from __future__ import annotations

import posixpath
import uuid

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from modella.errors import InvalidInput, NotFound

# Extensions of model files a scan picks up (lower case, with the dot).
MODEL_EXTENSIONS = (".gguf", ".safetensors", ".ckpt", ".pt", ".bin")


def links_hook(name: str, *args) -> None:
    """Tell the links app (app folders) that a library file went or was renamed."""
    from links import registry

    registry.safely(getattr(registry, name), *args)


class StorageSnapshotQuerySet(models.QuerySet):
    def since(self, moment):
        return self.filter(taken_at__gte=moment) if moment else self

    def chronological(self):
        return self.order_by("taken_at", "pk")


class StorageSnapshot(models.Model):
    """Disk and library usage at one moment, for the usage-over-time chart."""

    taken_at = models.DateTimeField(db_index=True)
    total_bytes = models.PositiveBigIntegerField()
    used_bytes = models.PositiveBigIntegerField()
    available_bytes = models.PositiveBigIntegerField()
    models_bytes = models.PositiveBigIntegerField(default=0)
    model_count = models.PositiveIntegerField(default=0)
    by_source = models.JSONField(default=dict, blank=True)

    objects = StorageSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_at"]
        get_latest_by = "taken_at"
        verbose_name = _lazy("storage snapshot")
        verbose_name_plural = _lazy("storage snapshots")

    def __str__(self) -> str:
        return self.taken_at.isoformat()


class LocalFileQuerySet(models.QuerySet):
    def model_files(self):
        return self.filter(kind=LocalFile.Kind.MODEL)

    def quarantined(self):
        return self.filter(kind=LocalFile.Kind.QUARANTINED)


class LocalFile(models.Model):
    """A model file in the models directory: downloaded by Modella, imported by a scan, or leftover.

    `size`, `mtime` and `inode` double as the hash cache key: a scan rehashes a file only when
    one of them (or its path) changed.
    """

    class Kind(models.TextChoices):
        MODEL = "model", _lazy("Model file")
        PARTIAL = "partial", _lazy("Partial download")
        QUARANTINED = "quarantined", _lazy("Failed verification")

    path = models.CharField(max_length=1000, unique=True, help_text=_lazy("Relative to the models directory."))
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MODEL)
    size = models.PositiveBigIntegerField(default=0)
    mtime = models.FloatField(default=0)
    inode = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, default="", db_index=True)
    variant = models.ForeignKey(
        "catalog.ModelVariant", null=True, blank=True, on_delete=models.SET_NULL, related_name="local_files"
    )
    source = models.CharField(max_length=16, default="local")
    model_type = models.CharField(max_length=64, blank=True, default="")
    base_model = models.CharField(max_length=300, blank=True, default="")
    header = models.JSONField(default=dict, blank=True)
    # When Civitai was last asked about this file's hash (None: not yet, or the hub was unreachable).
    identified_at = models.DateTimeField(null=True, blank=True)
    discovered_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LocalFileQuerySet.as_manager()

    class Meta:
        ordering = ["-size"]
        verbose_name = _lazy("local file")
        verbose_name_plural = _lazy("local files")

    def __str__(self) -> str:
        return self.path

    @property
    def name(self) -> str:
        return posixpath.basename(self.path)

    def rename(self, name: str) -> None:
        """Rename the file on disk and here. A bare name stays in the same folder.

        Refuses names that leave the models directory (InvalidFileName) and names of files that
        exist already (InvalidInput).
        """
        from storage import disk

        name = (name or "").strip()
        new_path = name if "/" in name else posixpath.join(posixpath.dirname(self.path), name)
        if new_path == self.path:
            return
        old_path = self.path
        try:
            new_path = disk.rename(self.path, new_path)
        except FileExistsError:
            raise InvalidInput(
                _("A file named “%(name)s” already exists there.") % {"name": name}, details={"name": name}
            ) from None
        except FileNotFoundError:
            raise NotFound(_("The file “%(name)s” is no longer on disk.") % {"name": self.path}) from None
        with transaction.atomic():
            if self.variant_id and self.variant.local_path == self.path:
                type(self.variant).objects.filter(pk=self.variant_id).update(local_path=new_path)
            self.path = new_path
            info = disk.safe_path(new_path).stat()
            self.mtime, self.inode = info.st_mtime, info.st_ino
            self.save(update_fields=["path", "mtime", "inode", "updated_at"])
        links_hook("file_renamed", old_path, new_path)

    def remove(self) -> int:
        """Delete the file from disk and forget it; returns the bytes freed.

        A catalog variant whose verified file this was becomes available again (the repository
        stays in the catalog).
        """
        from storage import disk

        freed = disk.delete(self.path)
        with transaction.atomic():
            if self.variant_id:
                type(self.variant).objects.filter(pk=self.variant_id, local_path=self.path).update(
                    local_path="", downloaded_at=None
                )
            self.delete()
        links_hook("files_removed", [self.path])
        return freed


class UploadQuerySet(models.QuerySet):
    def unfinished(self):
        return self.filter(status=Upload.Status.UPLOADING)


class Upload(models.Model):
    """A model file being sent from the user's computer in chunks (storage.uploads holds the rules).

    The bytes received so far live in a hidden partial file inside the models directory
    (`.modella-uploads/<id>.part`, ignored by scans); `offset` is how many of them are durable,
    the point where the next chunk must start.
    """

    class Status(models.TextChoices):
        UPLOADING = "uploading", _lazy("Uploading")
        COMPLETED = "completed", _lazy("Completed")
        FAILED = "failed", _lazy("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    filename = models.CharField(max_length=255, help_text=_lazy("The sanitised name the file will get."))
    size = models.PositiveBigIntegerField()
    offset = models.PositiveBigIntegerField(default=0)
    expected_sha256 = models.CharField(max_length=64, blank=True, default="")
    sha256 = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADING)
    error_code = models.CharField(max_length=32, blank=True, default="")
    error = models.TextField(blank=True, default="")
    path = models.CharField(max_length=1000, blank=True, default="", help_text=_lazy("Where the finished file is, relative to the models directory."))
    local_file = models.ForeignKey(LocalFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UploadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _lazy("upload")
        verbose_name_plural = _lazy("uploads")

    def __str__(self) -> str:
        return self.filename

    @property
    def progress(self) -> float:
        return round(100 * self.offset / self.size, 1) if self.size else 100.0
