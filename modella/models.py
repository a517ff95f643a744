from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from modella import crypto


class UserSettings(models.Model):
    """Per-user preferences and the hub tokens (encrypted; never shown back in clear)."""

    class Theme(models.TextChoices):
        DARK = "dark", _("Dark")
        LIGHT = "light", _("Light")

    class NsfwLevel(models.TextChoices):
        PG = "pg", "PG"
        PG13 = "pg13", "PG-13"
        R = "r", "R"
        X = "x", "X"
        XXX = "xxx", "XXX"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="modella_settings")
    theme = models.CharField(max_length=8, choices=Theme.choices, default=Theme.DARK)
    language = models.CharField(max_length=10, blank=True, default="")
    show_featured = models.BooleanField(default=True)
    featured_dismissed_at = models.DateTimeField(null=True, blank=True)
    onboarding_done = models.BooleanField(default=False)
    onboarding_step = models.PositiveSmallIntegerField(default=0)
    nsfw_level = models.CharField(max_length=4, choices=NsfwLevel.choices, default=NsfwLevel.PG13)
    nsfw_blur = models.BooleanField(default=True, help_text=_("Blur images above the level instead of hiding them."))
    # WCAG 2.1.4: single-key shortcuts must be possible to turn off (speech input, tremors).
    keyboard_shortcuts = models.BooleanField(default=True, help_text=_("Single-key shortcuts (/, d, q, ?) work on the pages."))
    model_filters = models.JSONField(default=dict, blank=True)
    hf_token_encrypted = models.TextField(blank=True, default="")
    civitai_token_encrypted = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("user settings")
        verbose_name_plural = _("user settings")

    def __str__(self) -> str:
        return str(self.user)

    @classmethod
    def for_user(cls, user) -> "UserSettings":
        obj, _created = cls.objects.get_or_create(user=user)
        return obj

    @property
    def hf_token(self) -> str:
        return crypto.decrypt(self.hf_token_encrypted)

    @hf_token.setter
    def hf_token(self, value: str) -> None:
        self.hf_token_encrypted = crypto.encrypt(value)

    @property
    def civitai_token(self) -> str:
        return crypto.decrypt(self.civitai_token_encrypted)

    @civitai_token.setter
    def civitai_token(self, value: str) -> None:
        self.civitai_token_encrypted = crypto.encrypt(value)


def hub_token(source: str) -> str:
    """The token to use for a hub: the environment's, else the one saved by any user in Settings.

    Modella is single-tenant, so a token saved by the owner serves every download."""
    env = settings.HF_TOKEN if source == "huggingface" else settings.CIVITAI_TOKEN
    if env:
        return env
    field = "hf_token_encrypted" if source == "huggingface" else "civitai_token_encrypted"
    for row in UserSettings.objects.exclude(**{field: ""}).order_by("user__is_superuser", "pk").reverse():
        token = crypto.decrypt(getattr(row, field))
        if token:
            return token
    return ""


class Heartbeat(models.Model):
    """Last sign of life of a background process (the Django-Q2 workers write "worker")."""

    name = models.CharField(max_length=50, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.at.isoformat()}"


class HubState(models.Model):
    """Reachability of one hub: the circuit breaker's memory, shared by web and workers."""

    hub = models.CharField(max_length=16, unique=True)
    failures = models.PositiveIntegerField(default=0)
    down_since = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.hub
