from django.db import models
from django.utils.translation import gettext_lazy as _


class StorageSnapshot(models.Model):
    """Disk and library usage at one moment, for the usage-over-time chart."""

    taken_at = models.DateTimeField(db_index=True)
    total_bytes = models.PositiveBigIntegerField()
    used_bytes = models.PositiveBigIntegerField()
    available_bytes = models.PositiveBigIntegerField()
    models_bytes = models.PositiveBigIntegerField(default=0)
    model_count = models.PositiveIntegerField(default=0)
    by_source = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-taken_at"]
        get_latest_by = "taken_at"
        verbose_name = _("storage snapshot")
        verbose_name_plural = _("storage snapshots")

    def __str__(self) -> str:
        return self.taken_at.isoformat()


class LocalFile(models.Model):
    """A model file in the models directory: downloaded by Modella, imported by a scan, or leftover."""

    class Kind(models.TextChoices):
        MODEL = "model", _("Model file")
        PARTIAL = "partial", _("Partial download")
        QUARANTINED = "quarantined", _("Failed verification")

    path = models.CharField(max_length=1000, unique=True, help_text=_("Relative to the models directory."))
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
    discovered_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-size"]
        verbose_name = _("local file")
        verbose_name_plural = _("local files")

    def __str__(self) -> str:
        return self.path
