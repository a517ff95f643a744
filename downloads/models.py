from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DownloadJobQuerySet(models.QuerySet):
    ACTIVE = ("queued", "downloading", "verifying", "paused", "failed")
    FINISHED = ("completed", "failed", "cancelled")

    def active(self):
        return self.filter(status__in=self.ACTIVE)

    def status_counts(self) -> dict[str, int]:
        rows = self.order_by().values_list("status").annotate(n=models.Count("pk"))
        return dict(rows)


class DownloadJob(models.Model):
    """One download: a file (or a split set) of a repository, from queued to a verified file.

    This row, not the Django-Q2 broker, is the source of truth: a worker runs a job only while it
    holds the job's lease (`lease_owner` / `lease_expires_at`, renewed by its heartbeat).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DOWNLOADING = "downloading", _("Downloading")
        VERIFYING = "verifying", _("Verifying")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Priority(models.IntegerChoices):
        LOW = 0, _("Low")
        NORMAL = 1, _("Normal")
        HIGH = 2, _("High")
        URGENT = 3, _("Urgent")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    variant = models.ForeignKey(
        "catalog.ModelVariant", null=True, blank=True, on_delete=models.SET_NULL, related_name="download_jobs"
    )
    # The stable source, kept even if the catalog entry goes away (history).
    source = models.CharField(max_length=16, default="huggingface")
    repo = models.CharField(max_length=300, db_index=True)
    filename = models.CharField(max_length=500)
    revision = models.CharField(max_length=64, blank=True, default="", help_text=_("Pinned commit."))
    civitai_version_id = models.PositiveBigIntegerField(null=True, blank=True)
    # [{"path", "size", "sha256", "done"}]: one entry per file of the unit (split GGUF parts).
    files = models.JSONField(default=list, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    etag = models.CharField(max_length=200, blank=True, default="")
    dest_path = models.CharField(max_length=1000, blank=True, default="", help_text=_("Relative to the models directory."))

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    bytes_done = models.PositiveBigIntegerField(default=0)
    speed_bps = models.PositiveBigIntegerField(default=0)
    eta_seconds = models.PositiveIntegerField(null=True, blank=True)
    current_file = models.CharField(max_length=500, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    error_code = models.CharField(max_length=32, blank=True, default="")
    retry_at = models.DateTimeField(null=True, blank=True)

    cancel_requested = models.BooleanField(default=False)
    pause_requested = models.BooleanField(default=False)
    lease_owner = models.CharField(max_length=100, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DownloadJobQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "created_at", "pk"]
        indexes = [models.Index(fields=["status", "-priority", "created_at"], name="job_run_order")]
        verbose_name = _("download")
        verbose_name_plural = _("downloads")

    def __str__(self) -> str:
        return f"{self.repo}/{self.filename}"
