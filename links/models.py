"""App folders (ComfyUI, A1111/Forge, InvokeAI, LM Studio, ...) and the registry of every link
Modella made into them. The rules for making, checking and removing links are in links/registry.py."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppFolder(models.Model):
    """An app that reads models from its own folder tree; Modella links library files into it."""

    class Kind(models.TextChoices):
        COMFYUI = "comfyui", "ComfyUI"
        A1111 = "a1111", "Stable Diffusion WebUI (A1111)"
        FORGE = "forge", "Stable Diffusion WebUI Forge"
        INVOKEAI = "invokeai", "InvokeAI"
        LMSTUDIO = "lmstudio", "LM Studio"
        CUSTOM = "custom", _("Other app")

    class LinkMode(models.TextChoices):
        AUTO = "auto", _("Hard link on the same filesystem, else symbolic link")
        HARDLINK = "hardlink", _("Hard links only")
        SYMLINK = "symlink", _("Symbolic links only")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("app"), max_length=16, choices=Kind.choices, default=Kind.CUSTOM)
    root = models.CharField(_("folder"), max_length=1000,
                            help_text=_("The app's own folder (absolute path); the mapping is relative to it."))
    # {model category: folder template relative to root ("" = not linked)}; see registry.CATEGORIES.
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    link_mode = models.CharField(_("link mode"), max_length=16, choices=LinkMode.choices, default=LinkMode.AUTO)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("app folder")
        verbose_name_plural = _("app folders")

    def __str__(self) -> str:
        return self.name


class Link(models.Model):
    """One link Modella made: `link_path` (inside the app's root) stands for `source_path` (inside
    the models directory). `device`/`inode` (hard links) and `target` (symbolic links) prove that
    what sits at the link path is still ours before Modella ever removes it."""

    class Kind(models.TextChoices):
        HARD = "hard", _("hard link")
        SYM = "sym", _("symbolic link")

    app = models.ForeignKey(AppFolder, on_delete=models.CASCADE, related_name="links")
    source_path = models.CharField(max_length=1000, db_index=True, help_text=_("Relative to the models directory."))
    link_path = models.CharField(max_length=1000, help_text=_("Relative to the app's folder."))
    kind = models.CharField(max_length=4, choices=Kind.choices)
    target = models.CharField(max_length=4096, blank=True, default="")
    device = models.PositiveBigIntegerField(default=0)
    inode = models.PositiveBigIntegerField(default=0)
    # How many of the link's parent folders Modella created from {publisher}/{repo} (pruned when empty).
    own_dirs = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["app", "link_path"]
        constraints = [models.UniqueConstraint(fields=["app", "link_path"], name="link_unique_path")]
        verbose_name = _("link")
        verbose_name_plural = _("links")

    def __str__(self) -> str:
        return f"{self.app.name}: {self.link_path}"
