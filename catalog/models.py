import functools
import posixpath

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from modella.errors import NotFound

# Variant size buckets of the catalog's `size` filter (bytes, by the variant's size).
GB = 10**9
SIZE_BUCKETS = {"xs": (0, 2 * GB), "s": (2 * GB, 5 * GB), "m": (5 * GB, 10 * GB), "l": (10 * GB, 30 * GB), "xl": (30 * GB, None)}
VARIANT_STATUSES = ("downloaded", "downloading", "queued", "failed", "available")
# DownloadJob statuses as the catalog shows them on a variant.
_JOB_STATUS = {"queued": "queued", "paused": "queued", "downloading": "downloading", "verifying": "downloading",
               "failed": "failed"}


class Source(models.TextChoices):
    HUGGINGFACE = "huggingface", "Hugging Face"
    CIVITAI = "civitai", "Civitai"
    LOCAL = "local", _("Local")


class Access(models.TextChoices):
    """Whether the configured token may download a repository's files (gated/private repos)."""

    GRANTED = "granted", _("Granted")
    TOKEN_REQUIRED = "token_required", _("A token is required")
    TOKEN_INVALID = "token_invalid", _("The token is invalid")
    LICENCE_NOT_ACCEPTED = "licence_not_accepted", _("The licence is not accepted yet")
    PENDING = "pending", _("Access request pending")


class RepoType(models.TextChoices):
    """What kind of Hugging Face repository: a model or a dataset (`datasets/owner/name`)."""

    MODEL = "model", _("Model")
    DATASET = "dataset", _("Dataset")


class ModelRepositoryQuerySet(models.QuerySet):
    def search(self, text: str):
        """Full-text search over repo id, name, description and tags (SQLite FTS5 / PostgreSQL)."""
        from catalog.search import full_text

        return full_text(self, text)

    def with_downloads(self):
        return self.filter(Exists(ModelVariant.objects.filter(repository=OuterRef("pk")).downloaded()))


class ModelRepository(models.Model):
    """A repository on a hub (or a folder of imported local files), as last fetched."""

    source = models.CharField(max_length=16, choices=Source.choices, default=Source.HUGGINGFACE)
    # `owner/name` for Hugging Face, `datasets/owner/name` for a Hugging Face dataset (so it never
    # collides with a model of the same name), `civitai:<model id>` for Civitai: the API's `repo`.
    repo = models.CharField(max_length=300, unique=True)
    repo_type = models.CharField(max_length=16, choices=RepoType.choices, default=RepoType.MODEL, db_index=True)
    name = models.CharField(max_length=300, blank=True, default="")
    author = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    license = models.CharField(max_length=100, blank=True, default="")
    tags = models.JSONField(default=list, blank=True)
    likes = models.PositiveIntegerField(default=0)
    downloads = models.PositiveBigIntegerField(default=0)
    family = models.CharField(max_length=64, blank=True, default="", db_index=True)
    model_type = models.CharField(max_length=64, blank=True, default="", db_index=True)
    base_model = models.CharField(max_length=300, blank=True, default="", db_index=True)
    nsfw = models.BooleanField(default=False)
    gated = models.CharField(max_length=16, blank=True, default="", help_text='"", "auto" or "manual"')
    private = models.BooleanField(default=False)
    access = models.CharField(max_length=24, choices=Access.choices, default=Access.GRANTED)
    remote_revision = models.CharField(max_length=64, blank=True, default="")
    remote_last_modified = models.DateTimeField(null=True, blank=True)
    links = models.JSONField(default=dict, blank=True)
    extra = models.JSONField(default=dict, blank=True, help_text=_("Source-specific data (card data, Civitai versions)."))
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ModelRepositoryQuerySet.as_manager()

    class Meta:
        ordering = ["repo"]
        verbose_name = _("model repository")
        verbose_name_plural = _("model repositories")
        indexes = [models.Index(fields=["-likes"], name="repo_likes"),
                   models.Index(fields=["remote_last_modified"], name="repo_modified"),
                   # The catalog's default sort is case-insensitive by repo id.
                   models.Index(Lower("repo"), name="repo_lower")]

    def __str__(self) -> str:
        return self.repo

    @property
    def hub_url(self) -> str:
        if self.source == Source.HUGGINGFACE:
            return f"{settings.HF_ENDPOINT}/{self.repo}"
        if self.source == Source.CIVITAI:
            return f"{settings.CIVITAI_ENDPOINT}/models/{self.repo.split(':', 1)[-1]}"
        return ""

    def access_help(self) -> str:
        """What the user must do to download this repository's files ("" when nothing)."""
        messages = {
            Access.TOKEN_REQUIRED: _("This repository is gated: save a Hugging Face token in Settings, then accept "
                                     "its licence at %(url)s."),
            Access.TOKEN_INVALID: _("The Hugging Face token was refused: save a valid token in Settings."),
            Access.LICENCE_NOT_ACCEPTED: _("Accept the licence of this repository at %(url)s while logged in to "
                                           "the account of your token, then try again."),
            Access.PENDING: _("Your access request is waiting for the authors' approval (%(url)s); try again "
                              "once it is granted."),
        }
        message = messages.get(self.access)
        return str(message) % {"url": self.hub_url} if message else ""

    def get_variant(self, filename: str) -> "ModelVariant":
        """The variant a file name names: its own file or one part of a split set."""
        variant = self.variants.filter(filename=filename).first()
        if variant is None:
            # A part of a split set; never the whole-repository unit, which holds every file.
            variant = next((v for v in self.variants.all() if v.role != ModelVariant.Role.REPOSITORY
                            and any(f.get("path") == filename for f in v.files)), None)
        if variant is None:
            raise NotFound(_("%(repo)s has no file named %(filename)s.") % {"repo": self.repo, "filename": filename})
        return variant


class ModelVariantQuerySet(models.QuerySet):
    def downloaded(self):
        # `> ''` rather than `!= ''`: the same rows, but it can use the local_path index.
        return self.filter(local_path__gt="")

    def matching(self, sizes=(), statuses=()) -> "ModelVariantQuerySet":
        return self.filter(variant_filter(sizes, statuses))


def variant_filter(sizes=(), statuses=()) -> Q:
    """The catalog's variant-level filters as one Q: OR within a category, AND between them."""
    from downloads.models import DownloadJob

    q = Q()
    if sizes:
        size_q = Q()
        for key in sizes:
            low, high = SIZE_BUCKETS[key]
            size_q |= Q(size__gte=low, size__lt=high) if high else Q(size__gte=low)
        q &= size_q
    if statuses:
        # The same jobs the variant's own status reads: active() = in flight, or failed and not dismissed.
        jobs = DownloadJob.objects.active().filter(variant=OuterRef("pk"))
        in_flight = Exists(jobs.filter(status__in=["queued", "paused", "downloading", "verifying"]))
        conditions = {
            "downloaded": Q(local_path__gt=""),
            "downloading": Exists(jobs.filter(status__in=["downloading", "verifying"])),
            "queued": Exists(jobs.filter(status__in=["queued", "paused"])),
            "failed": Q(local_path="") & Exists(jobs.filter(status="failed")) & ~in_flight,
            "available": Q(local_path="") & ~Exists(jobs),
        }
        status_q = Q()
        for key in statuses:
            status_q |= conditions[key]
        q &= status_q
    return q


class ModelVariant(models.Model):
    """One downloadable unit of a repository: a file, or a split set of files downloaded together."""

    class Role(models.TextChoices):
        MODEL = "model", _("Model")
        MMPROJ = "mmproj", _("Multimodal projector")
        # Every file of the repository matching `selection` (catalog.whole_repo).
        REPOSITORY = "repository", _("Whole repository")

    repository = models.ForeignKey(ModelRepository, on_delete=models.CASCADE, related_name="variants")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MODEL)
    # The file name (path inside the repo), or for a split set the first part's name.
    filename = models.CharField(max_length=500)
    # Every file of the unit: [{"path": ..., "size": ..., "sha256": ...}]; one entry for a plain file.
    files = models.JSONField(default=list, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    format = models.CharField(max_length=32, blank=True, default="")
    quant_bits = models.FloatField(null=True, blank=True)
    quant_method = models.CharField(max_length=32, blank=True, default="")
    parameters = models.PositiveBigIntegerField(null=True, blank=True)
    architecture = models.CharField(max_length=64, blank=True, default="")
    context_length = models.PositiveIntegerField(null=True, blank=True)
    model_type = models.CharField(max_length=64, blank=True, default="")
    base_model = models.CharField(max_length=300, blank=True, default="")
    civitai_version_id = models.PositiveBigIntegerField(null=True, blank=True)
    civitai_file_id = models.PositiveBigIntegerField(null=True, blank=True)
    is_recommended = models.BooleanField(default=False)
    # Set once a verified file is at its final place (relative to the models directory).
    local_path = models.CharField(max_length=1000, blank=True, default="")
    downloaded_at = models.DateTimeField(null=True, blank=True)
    downloaded_revision = models.CharField(max_length=64, blank=True, default="")
    update_available = models.BooleanField(default=False)
    update_details = models.JSONField(default=dict, blank=True)
    probed = models.JSONField(default=dict, blank=True, help_text=_("What the file's own header says."))
    # Whole-repository variants: {"include": [globs], "exclude": [globs]} that chose `files`.
    selection = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ModelVariantQuerySet.as_manager()

    class Meta:
        ordering = ["repository", "size"]
        constraints = [models.UniqueConstraint(fields=["repository", "filename"], name="variant_unique_file")]
        indexes = [models.Index(fields=["size"], name="variant_size"),
                   # "Downloaded" = local_path > '': a range scan instead of reading every variant.
                   models.Index(fields=["local_path"], name="variant_local_path")]
        verbose_name = _("model variant")
        verbose_name_plural = _("model variants")

    def __str__(self) -> str:
        return f"{self.repository.repo}/{self.filename}"

    @property
    def is_downloaded(self) -> bool:
        return bool(self.local_path)

    @functools.cached_property
    def fit(self):
        """Will it fit: the memory this variant needs to run vs this machine's (catalog.fit)."""
        from catalog import fit

        return fit.estimate(self)

    def mark_downloaded(self, path: str, revision: str = "") -> None:
        """A verified file is at `path` (relative to the models directory); set by downloads."""
        self.local_path = path
        self.downloaded_at = timezone.now()
        self.downloaded_revision = revision or ""
        # A finished update: the file on disk is the remote's again.
        self.update_available = False
        self.update_details = {k: v for k, v in self.update_details.items() if k == "projectors"}
        self.save(update_fields=["local_path", "downloaded_at", "downloaded_revision", "update_available",
                                 "update_details", "updated_at"])

    def mark_removed(self) -> None:
        self.local_path = ""
        self.downloaded_at = None
        self.downloaded_revision = ""
        self.save(update_fields=["local_path", "downloaded_at", "downloaded_revision", "updated_at"])

    @property
    def paths(self) -> list[str]:
        """Every file of the unit, as paths inside the repository."""
        return [f["path"] for f in self.files] or [self.filename]

    def current_job(self):
        """The download in flight or failed for this variant, if any.

        Uses `active_jobs` when the caller prefetched it (the catalog list does), so a page of
        variants costs one query rather than one per variant."""
        jobs = getattr(self, "active_jobs", None)
        if jobs is None:
            from downloads.models import DownloadJob

            jobs = list(DownloadJob.objects.active().filter(variant=self).order_by("-created_at")[:1])
        return jobs[0] if jobs else None

    def status_and_job(self):
        job = self.current_job()
        status = _JOB_STATUS.get(job.status) if job else None
        if status in ("queued", "downloading"):
            return status, job
        if self.local_path:
            return "downloaded", None
        if status == "failed":
            return "failed", job
        return "available", None

    def remove_local_files(self) -> int:
        """Delete the downloaded file (every part of a split set) and mark the variant available.

        Returns the bytes freed. Paths go through storage.disk.safe_path: nothing outside the
        models directory is ever touched, whatever the stored path says."""
        from storage import disk

        if not self.local_path:
            raise NotFound(_("%(filename)s is not downloaded.") % {"filename": self.filename})
        if self.role == self.Role.REPOSITORY:
            from catalog.whole_repo import local_paths

            names = local_paths(self)  # the repository's own relative paths, subfolders included
        else:
            folder = posixpath.dirname(self.local_path)
            # The parts of a split set sit beside the first one, under their own base names.
            names = [self.local_path] + [posixpath.join(folder, posixpath.basename(p)) for p in self.paths[1:]]
        freed = sum(disk.delete(name) for name in names)
        self.update_available = False
        self.update_details = {k: v for k, v in self.update_details.items() if k == "projectors"}
        self.save(update_fields=["update_available", "update_details", "updated_at"])
        self.mark_removed()
        return freed

    def forget_upstream(self) -> None:
        """The hub no longer has this file: a downloaded copy stays (flagged), the rest goes."""
        if self.local_path:
            self.is_recommended = False
            self.update_details = {**self.update_details, "removed_upstream": True}
            self.save(update_fields=["is_recommended", "update_details", "updated_at"])
        else:
            self.delete()

    def start_update(self, user=None):
        """Download the newer remote file (or Civitai version); the old one stays until the new one
        is verified (downloads.updates holds the rules, shared with "update selected")."""
        from downloads import updates

        return updates.update_one(self, "replace", user)


class FeaturedModelQuerySet(models.QuerySet):
    def published(self, now=None):
        """What the carousel (and GET /featured-models) shows: active, started, not ended, in order."""
        now = now or timezone.now()
        return (self.filter(active=True, published_at__lte=now)
                .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).order_by("order", "pk"))

    def publish(self, now=None) -> int:
        """Show these now: active, started (a future start moves to now) and not ended."""
        now = now or timezone.now()
        self.filter(published_at__gt=now).update(published_at=now)
        self.filter(ends_at__lte=now).update(ends_at=None)
        return self.update(active=True, updated_at=now)

    def unpublish(self) -> int:
        return self.update(active=False, updated_at=timezone.now())


class FeaturedModel(models.Model):
    """A model the owner curates in the admin for the carousel and the Discover packages tree."""

    class Category(models.TextChoices):
        CHAT = "chat", _("Chat LLMs")
        CODE = "code", _("Code LLMs")
        VISION = "vision", _("Vision")
        SDXL = "sdxl", _("SDXL checkpoints")
        FLUX = "flux", _("Flux")
        LORA = "lora", _("LoRAs")
        VAE = "vae", _("VAEs")
        CONTROLNET = "controlnet", _("ControlNet")
        UPSCALER = "upscaler", _("Upscalers")
        OTHER = "other", _("Other")

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    tags = models.JSONField(default=list, blank=True)
    size_category = models.CharField(max_length=32, blank=True, default="")
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.CHAT)
    repo = models.CharField(max_length=300)
    filename = models.CharField(max_length=500, blank=True, default="")
    repository = models.ForeignKey(ModelRepository, null=True, blank=True, on_delete=models.SET_NULL)
    link_announcement = models.URLField(blank=True, default="")
    link_paper = models.URLField(blank=True, default="")
    published_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    order = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FeaturedModelQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("featured model")
        verbose_name_plural = _("featured models")

    def __str__(self) -> str:
        return self.title

    @property
    def hub_url(self) -> str:
        if self.repo.startswith("civitai:"):
            return f"{settings.CIVITAI_ENDPOINT}/models/{self.repo.split(':', 1)[-1]}"
        return f"{settings.HF_ENDPOINT}/{self.repo}"

    def chosen_variant(self) -> "ModelVariant | None":
        """The variant this entry offers, from the catalog as it is (no hub request): the curated
        file, else the repository's recommended one."""
        if self.repository is None:
            return None
        variants = list(self.repository.variants.all())
        if self.filename:
            return next((v for v in variants if v.filename == self.filename), None)
        return next((v for v in variants if v.is_recommended), None) or next(
            (v for v in variants if v.role == ModelVariant.Role.MODEL), None)

    def fetch_variant(self) -> "ModelVariant":
        """The variant to download, fetching the repository from its hub when the catalog lacks it.

        Raises the source's errors (RemoteNotFound, UpstreamUnavailable...) or NotFound."""
        if self.repository is None:
            from catalog.sync import fetch_repository

            self.repository = fetch_repository(self.repo)
            FeaturedModel.objects.filter(pk=self.pk).update(repository=self.repository)
        if self.filename:
            return self.repository.get_variant(self.filename)
        variant = self.chosen_variant()
        if variant is None:
            raise NotFound(_("%(repo)s has no file to download.") % {"repo": self.repo})
        return variant

    def download(self, user=None, priority: str = "normal"):
        """Queue the offered file (the one-click download of the carousel and the packages tree)."""
        from downloads import queue

        return queue.enqueue(self.fetch_variant(), priority=priority, user=user)
