from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ModelList(models.Model):
    """A user's named collection of models, downloaded or removed as a whole."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="model_lists")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="list_unique_name_per_owner")]
        verbose_name = _("model list")
        verbose_name_plural = _("model lists")

    def __str__(self) -> str:
        return self.name


class ModelListItem(models.Model):
    """A repository (its recommended variant) or one specific file in a list."""

    model_list = models.ForeignKey(ModelList, on_delete=models.CASCADE, related_name="items")
    repo = models.CharField(max_length=300)
    filename = models.CharField(max_length=500, blank=True, default="", help_text=_("Blank: the recommended variant."))
    sha256 = models.CharField(max_length=64, blank=True, default="")
    note = models.CharField(max_length=500, blank=True, default="")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = _("list item")
        verbose_name_plural = _("list items")

    def __str__(self) -> str:
        return f"{self.repo}/{self.filename or ''}"
