from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    HUGGINGFACE = "huggingface", "Hugging Face"
    CIVITAI = "civitai", "Civitai"
    LOCAL = "local", _("Local")


class ModelRepository(models.Model):
    """A repository on a hub (or a folder of imported local files), as last fetched."""

    source = models.CharField(max_length=16, choices=Source.choices, default=Source.HUGGINGFACE)
    # `owner/name` for Hugging Face, `civitai:<model id>` for Civitai: the API's `repo`.
    repo = models.CharField(max_length=300, unique=True)
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
    remote_revision = models.CharField(max_length=64, blank=True, default="")
    remote_last_modified = models.DateTimeField(null=True, blank=True)
    links = models.JSONField(default=dict, blank=True)
    extra = models.JSONField(default=dict, blank=True, help_text=_("Source-specific data (card data, Civitai versions)."))
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["repo"]
        verbose_name = _("model repository")
        verbose_name_plural = _("model repositories")

    def __str__(self) -> str:
        return self.repo


class ModelVariant(models.Model):
    """One downloadable unit of a repository: a file, or a split set of files downloaded together."""

    repository = models.ForeignKey(ModelRepository, on_delete=models.CASCADE, related_name="variants")
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["repository", "size"]
        constraints = [models.UniqueConstraint(fields=["repository", "filename"], name="variant_unique_file")]
        verbose_name = _("model variant")
        verbose_name_plural = _("model variants")

    def __str__(self) -> str:
        return f"{self.repository.repo}/{self.filename}"

    @property
    def is_downloaded(self) -> bool:
        return bool(self.local_path)


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

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("featured model")
        verbose_name_plural = _("featured models")

    def __str__(self) -> str:
        return self.title
