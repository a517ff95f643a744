"""The catalog in the Django admin: repositories and variants (search), and the owner's curation
tool for featured models: type a repo (or any link resolve accepts), it is fetched from the hub,
and the file to offer is picked from its variants (the recommended one by default)."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog import resolve, sync
from catalog.models import FeaturedModel, ModelRepository, ModelVariant
from modella.errors import ModellaError


class ModelVariantInline(admin.TabularInline):
    model = ModelVariant
    extra = 0
    fields = ("filename", "size", "quant_method", "is_recommended", "local_path")
    readonly_fields = ("local_path",)


@admin.register(ModelRepository)
class ModelRepositoryAdmin(admin.ModelAdmin):
    list_display = ("repo", "source", "model_type", "family", "likes", "synced_at")
    list_filter = ("source", "model_type", "family")
    search_fields = ("repo", "name", "description")
    inlines = [ModelVariantInline]


@admin.register(ModelVariant)
class ModelVariantAdmin(admin.ModelAdmin):
    list_display = ("filename", "repository", "size", "quant_method", "local_path")
    list_filter = ("format", "repository__source")
    search_fields = ("filename", "repository__repo")
    raw_id_fields = ("repository",)


def _variant_label(variant: ModelVariant) -> str:
    from django.template.defaultfilters import filesizeformat

    label = f"{variant.filename} ({filesizeformat(variant.size)})"
    return f"{label} ★" if variant.is_recommended else label


class FeaturedModelForm(forms.ModelForm):
    """Validates the repo against the hub and offers its variants as the file to download."""

    repo = forms.CharField(
        label=_("Repository"), max_length=300,
        help_text=_("owner/name, a Hugging Face or Civitai link, or civitai:<id>. It is fetched from the hub "
                    "when you save."))
    filename = forms.CharField(
        label=_("File to download"), required=False, widget=forms.Select,
        help_text=_("Leave “Recommended” to offer the repository's recommended file (★)."))
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))
    link_announcement = forms.URLField(label=_("Announcement link"), required=False, assume_scheme="https")
    link_paper = forms.URLField(label=_("Paper link"), required=False, assume_scheme="https")
    slug = forms.SlugField(label=_("Identifier"), required=False, max_length=100,
                           help_text=_("The id in the API; made from the title when left empty."))

    class Meta:
        model = FeaturedModel
        fields = ["repo", "filename", "title", "slug", "description", "category", "size_category", "tags",
                  "link_announcement", "link_paper", "published_at", "ends_at", "active", "order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags or [])
        self.repository = self.instance.repository if self.instance.pk else None
        repo = self.data.get(self.add_prefix("repo")) if self.is_bound else self.instance.repo
        if repo and (self.repository is None or self.repository.repo != repo):
            self.repository = ModelRepository.objects.filter(repo=repo).first()
        self._set_file_choices()

    def _set_file_choices(self) -> None:
        choices = [("", _("Recommended"))]
        if self.repository is not None:
            choices += [(v.filename, _variant_label(v)) for v in self.repository.variants.all()]
        current = self.initial.get("filename") or self.instance.filename
        if current and current not in {value for value, _label in choices}:
            choices.append((current, current))
        self.fields["filename"].widget.choices = choices

    def clean_tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]

    def clean(self):
        cleaned = super().clean()
        text = cleaned.get("repo")
        if not text:
            return cleaned
        try:
            resolved = resolve.parse(text)
            changed = self.repository is None or self.repository.repo != resolved.repo
            if changed or "repo" in self.changed_data:
                self.repository = sync.fetch_repository(resolved.repo, resolved.revision)
        except ModellaError as exc:
            self.add_error("repo", str(exc.message))
            return cleaned
        cleaned["repo"] = self.repository.repo
        # A pasted file link picks its file; otherwise the chosen one must exist in the repository.
        filename = cleaned.get("filename") or resolved.filename or ""
        if filename:
            try:
                filename = self.repository.get_variant(filename).filename
            except ModellaError as exc:
                self.add_error("filename", str(exc.message))
        cleaned["filename"] = filename
        if not cleaned.get("slug"):
            cleaned["slug"] = slugify(cleaned.get("title") or self.repository.repo.replace("/", "-"))[:100]
            if FeaturedModel.objects.filter(slug=cleaned["slug"]).exclude(pk=self.instance.pk).exists():
                self.add_error("slug", _("Another featured model has this identifier; choose another one."))
        self._set_file_choices()
        return cleaned

    def save(self, commit=True):
        self.instance.repository = self.repository
        return super().save(commit)


@admin.register(FeaturedModel)
class FeaturedModelAdmin(admin.ModelAdmin):
    form = FeaturedModelForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # the list's editable rows
    list_display = ("title", "repo", "category", "order", "active", "published_at", "ends_at", "is_published")
    list_display_links = ("title",)
    list_editable = ("order", "active")
    list_filter = ("category", "active")
    search_fields = ("title", "repo", "slug")
    ordering = ("order", "pk")
    actions = ["publish", "unpublish"]
    change_form_template = "admin/catalog/featuredmodel/change_form.html"
    fieldsets = (
        (None, {"fields": ("repo", "filename", "title", "slug", "description")}),
        (_("Card"), {"fields": ("category", "size_category", "tags", "link_announcement", "link_paper")}),
        (_("Publishing"), {"fields": ("published_at", "ends_at", "active", "order")}),
    )

    class Media:
        css = {"all": ["css/admin-featured.css"]}

    @admin.display(boolean=True, description=_("Shown now"))
    def is_published(self, obj: FeaturedModel) -> bool:
        return FeaturedModel.objects.published().filter(pk=obj.pk).exists()

    @admin.action(description=_("Publish the selected featured models now"))
    def publish(self, request, queryset):
        count = queryset.publish()
        self.message_user(request, ngettext("%(count)d featured model is published.",
                                            "%(count)d featured models are published.", count) % {"count": count},
                          messages.SUCCESS)

    @admin.action(description=_("Unpublish the selected featured models"))
    def unpublish(self, request, queryset):
        count = queryset.unpublish()
        self.message_user(request, ngettext("%(count)d featured model is hidden.",
                                            "%(count)d featured models are hidden.", count) % {"count": count},
                          messages.SUCCESS)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            from catalog.featured_api import featured_data

            context["preview"] = featured_data(obj)
            context["preview_published"] = FeaturedModel.objects.published().filter(pk=obj.pk).exists()
        return super().render_change_form(request, context, add, change, form_url, obj)
