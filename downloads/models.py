from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

PRIORITY_NAMES = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
# Statuses in which a job holds its place in the queue (one such job per file).
LIVE_STATUSES = ("queued", "downloading", "verifying", "paused")


# What a person reads when a download waits or fails; keys are set by downloads.engine.
ERROR_MESSAGES = {
    "retrying_stalled": _("The download stalled; retrying in %(seconds)s s."),
    "retrying_rate_limited": _("The hub is limiting downloads; retrying in %(seconds)s s."),
    "retrying": _("The hub did not deliver the file (%(reason)s); retrying in %(seconds)s s."),
    "deferred": _("The hub asked Modella to wait; the download is queued and tries again in %(seconds)s s."),
    "hub_down": _("The hub is unreachable; the download is queued and tries again in %(seconds)s s."),
    "connection": _("The connection to the hub failed (%(reason)s)."),
    "stalled": _("The download stalled: no data arrived for a long time."),
    "short_body": _("The hub closed the connection early: expected %(expected)s bytes, got %(actual)s."),
    "bad_range": _("The hub sent the wrong part of the file."),
    "upstream_status": _("The hub answered with HTTP status %(status)s."),
    "rate_limited": _("The hub is limiting downloads (HTTP %(status)s). Try again later."),
    "too_many_redirects": _("The hub redirected the download too many times."),
    "redirect_not_allowed": _(
        "The download was redirected to %(host)s, which is not an allowed download host. "
        "Add it to MODELLA_DOWNLOAD_HOSTS if you trust it."
    ),
    "url_expired": _("The hub's download link kept expiring."),
    "error_page": _(
        "The hub sent a web page (%(content_type)s) instead of the file; it may need you to log in."
    ),
    "size_mismatch": _("Size mismatch: expected %(expected)s bytes, got %(actual)s."),
    "size_unknown": _("The hub did not say how big %(path)s is, so it cannot be verified."),
    "source_changed": _("The file %(path)s changed at the source while it was downloading."),
    "checksum_mismatch": _(
        "The downloaded file is corrupt even after a full second download: expected SHA-256 %(expected)s, "
        "got %(actual)s."
    ),
    "blob_mismatch": _(
        "The downloaded file is corrupt even after a full second download: expected git blob SHA-1 %(expected)s, "
        "got %(actual)s."
    ),
    "disk_full": _(
        "The disk is full. Free some space and press Retry: the download continues where it stopped."
    ),
    "write_failed": _("The file could not be written: %(reason)s."),
    "not_found": _("The hub has no file %(path)s in %(repo)s."),
    "hf_gated": _(
        "Hugging Face refused access: this model is gated. Accept its licence at %(url)s and save a "
        "token in Settings."
    ),
    "hf_token_needed": _("Hugging Face needs a token for %(repo)s: save one in Settings."),
    "hf_token_rejected": _(
        "Hugging Face refused the saved token for %(repo)s: check it in Settings and that it may read this "
        "repository."
    ),
    "civitai_login": _(
        "Civitai requires you to be logged in to download this file: save an API key in Settings."
    ),
    "civitai_forbidden": _("Civitai refused the download: %(message)s"),
    "civitai_downloads_disabled": _(
        "The creator of this model has disabled downloads of %(path)s on Civitai: it cannot be downloaded."
    ),
    "civitai_key_invalid": _(
        "Civitai requires a login for %(path)s and did not accept the saved API key (it may be mistyped or "
        "revoked): save a valid key in Settings."
    ),
    "civitai_login_refused": _(
        "Civitai accepted the saved API key but still refused %(path)s: %(message)s"
    ),
    "civitai_early_access": _("This Civitai file is in Early Access until %(deadline)s."),
    "invalid_file_name": _("The file name %(name)s is not allowed: it would leave the models directory."),
}


class DownloadJobQuerySet(models.QuerySet):
    ACTIVE = ("queued", "downloading", "verifying", "paused", "failed")
    FINISHED = ("completed", "failed", "cancelled")

    def active(self):
        """Jobs shown in the queue: waiting, running, paused, or failed and not yet removed."""
        return self.filter(status__in=self.ACTIVE).exclude(dismissed=True)

    def live(self):
        """Jobs still to run or running (they hold disk space and a place in the queue)."""
        return self.filter(status__in=LIVE_STATUSES)

    def run_order(self):
        """Running first, then waiting jobs in the order they will start, then paused and failed."""
        rank = models.Case(
            models.When(status__in=("downloading", "verifying"), then=0),
            models.When(status="queued", then=1),
            models.When(status="paused", then=2),
            default=3,
            output_field=models.IntegerField(),
        )
        return self.alias(queue_rank=rank).order_by("queue_rank", "-priority", "created_at", "pk")

    def finished(self):
        return self.filter(status__in=self.FINISHED)

    def recent_completed(self):
        return self.filter(status="completed", dismissed=False).order_by("-finished_at", "-pk")

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
    # {"key": <ERROR_MESSAGES key>, **placeholders}: the message is rendered in the reader's language.
    error_details = models.JSONField(default=dict, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)

    cancel_requested = models.BooleanField(default=False)
    pause_requested = models.BooleanField(default=False)
    # Set when a run task was handed to the broker and not yet claimed (counts toward the limit).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True, default="")
    # Durable state of the file being transferred: bytes known flushed to disk (single stream) or,
    # for parallel ranges, [{"start", "end", "pos"}]. Written only after an fsync.
    offset = models.PositiveBigIntegerField(default=0)
    segments = models.JSONField(default=list, blank=True)
    refetched = models.BooleanField(default=False, help_text=_("The one automatic full re-fetch was used."))
    dismissed = models.BooleanField(default=False, help_text=_("Removed from the queue page; kept in history."))
    # An update (downloads.updates): what happens to the old file once the new one is verified,
    # and which file that is ({"variant", "paths", "tag"}).
    update_policy = models.CharField(max_length=16, blank=True, default="")
    replaces = models.JSONField(default=dict, blank=True)
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
        constraints = [
            # Two requests for the same file never make two jobs, even when they race.
            models.UniqueConstraint(
                fields=["repo", "filename"],
                condition=Q(status__in=LIVE_STATUSES) | Q(status="failed", dismissed=False),
                name="one_queued_job_per_file",
            )
        ]
        verbose_name = _("download")
        verbose_name_plural = _("downloads")

    def __str__(self) -> str:
        return f"{self.repo}/{self.filename}"

    @staticmethod
    def render_error(details: dict, english: bool = False) -> str:
        template = ERROR_MESSAGES.get((details or {}).get("key", ""))
        if template is None:
            return ""

        def render() -> str:
            text = str(template)
            try:
                return text % {k: v for k, v in details.items() if k != "key"}
            except (KeyError, TypeError, ValueError):
                return text.split("%(")[0].rstrip(" :(")

        if english:
            with translation.override("en"):
                return render()
        return render()

    @property
    def error_message(self) -> str | None:
        """The error in the current language (the stored `error` is the English text)."""
        if self.error_details:
            return self.render_error(self.error_details) or self.error
        return self.error

    # --- presentation ---------------------------------------------------------------------------
    @property
    def priority_name(self) -> str:
        return {v: k for k, v in PRIORITY_NAMES.items()}[self.priority]

    @property
    def progress(self) -> float:
        if self.status == self.Status.COMPLETED:
            return 100.0
        if not self.size:
            return 0.0
        return round(min(100.0, 100.0 * self.bytes_done / self.size), 1)

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.DOWNLOADING, self.Status.VERIFYING)

    def lease_is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return bool(self.lease_owner and self.lease_expires_at and self.lease_expires_at > now)

    # --- actions (the pages and the API both call these) --------------------------------------
    def cancel(self) -> None:
        """Cancel a queued/running job, or remove a finished one from the queue page.

        A running job gets a flag its worker checks every second; the worker then stops, removes
        the partial file and marks the job cancelled. A job nobody runs is cancelled here.
        """
        from downloads import queue

        if self.status in (self.Status.COMPLETED, self.Status.CANCELLED):
            self.dismiss()
            return
        if self.status == self.Status.FAILED:
            queue.discard_partials(self)
            self.dismiss()
            return
        with transaction.atomic():
            job = DownloadJob.objects.select_for_update().get(pk=self.pk)
            if job.lease_is_live() and job.is_running:
                DownloadJob.objects.filter(pk=self.pk).update(cancel_requested=True)
                self.refresh_from_db()
                return
            DownloadJob.objects.filter(pk=self.pk).update(
                status=self.Status.CANCELLED, cancel_requested=False, error_code="cancelled", error="",
                finished_at=timezone.now(), dispatched_at=None, lease_owner="", lease_expires_at=None,
                speed_bps=0, eta_seconds=None,
            )
        self.refresh_from_db()
        queue.forget_task(self)
        queue.discard_partials(self)
        queue.dispatch()

    def pause(self) -> None:
        """Stop a job but keep its partial file; `resume()` continues from it."""
        from downloads import queue

        if self.status not in LIVE_STATUSES or self.status == self.Status.PAUSED:
            return
        with transaction.atomic():
            job = DownloadJob.objects.select_for_update().get(pk=self.pk)
            if job.lease_is_live() and job.is_running:
                DownloadJob.objects.filter(pk=self.pk).update(pause_requested=True)
            else:
                DownloadJob.objects.filter(pk=self.pk).update(
                    status=self.Status.PAUSED, dispatched_at=None, speed_bps=0, eta_seconds=None
                )
        self.refresh_from_db()
        queue.forget_task(self)

    def resume(self) -> None:
        from downloads import queue

        if self.status != self.Status.PAUSED:
            return
        DownloadJob.objects.filter(pk=self.pk, status=self.Status.PAUSED).update(
            status=self.Status.QUEUED, pause_requested=False, error="", error_code="", retry_at=None
        )
        self.refresh_from_db()
        queue.dispatch_on_commit()

    def retry(self) -> None:
        """Queue a failed, cancelled or paused job again; it resumes from the bytes on disk."""
        from downloads import queue

        if self.status not in (self.Status.FAILED, self.Status.CANCELLED, self.Status.PAUSED):
            return
        queue.requeue(self)
        self.refresh_from_db()

    def set_priority(self, priority: str | int) -> None:
        """Change the priority; it decides the order of jobs that have not started yet."""
        from downloads import queue

        value = PRIORITY_NAMES[priority] if isinstance(priority, str) else int(priority)
        DownloadJob.objects.filter(pk=self.pk).update(priority=value)
        self.refresh_from_db()
        queue.dispatch_on_commit()

    def dismiss(self) -> None:
        DownloadJob.objects.filter(pk=self.pk).update(dismissed=True)
        self.refresh_from_db()


class UpdateRun(models.Model):
    """One "update selected" request: the policy chosen and, per variant, what was queued or why not."""

    class Policy(models.TextChoices):
        REPLACE = "replace", _("Replace the old file")
        KEEP = "keep", _("Keep both files")
        ARCHIVE = "archive", _("Move the old file to the archive folder")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    policy = models.CharField(max_length=16, choices=Policy.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("update run")
        verbose_name_plural = _("update runs")

    def __str__(self) -> str:
        return f"{self.policy} {self.created_at:%Y-%m-%d %H:%M}"


class UpdateItem(models.Model):
    """One variant of an update run: queued (with its job) or skipped (with the reason)."""

    run = models.ForeignKey(UpdateRun, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey("catalog.ModelVariant", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    job = models.ForeignKey(DownloadJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="update_items")
    repo = models.CharField(max_length=300, blank=True, default="")
    filename = models.CharField(max_length=500, blank=True, default="")
    kind = models.CharField(max_length=16, blank=True, default="")  # "commit", "file" or "version"
    # "queued" or "skipped"; `reason` is a code (early_access, already_queued, insufficient_storage...).
    outcome = models.CharField(max_length=16)
    reason = models.CharField(max_length=32, blank=True, default="")
    message = models.TextField(blank=True, default="")
    old = models.JSONField(default=dict, blank=True)
    new = models.JSONField(default=dict, blank=True)
    # Filled when the job completes: where the old file went ({"action", "path"}).
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("update item")
        verbose_name_plural = _("update items")

    def __str__(self) -> str:
        return f"{self.repo}/{self.filename}: {self.outcome}"
