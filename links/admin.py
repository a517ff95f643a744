from django import forms
from django.contrib import admin

from links import registry
from links.models import AppFolder, Link
from modella.errors import ModellaError


class AppFolderAdminForm(forms.ModelForm):
    """The same checks as the page and the API: the root and every mapped folder are validated."""

    class Meta:
        model = AppFolder
        fields = ["name", "kind", "root", "mapping", "enabled", "link_mode"]

    def clean_root(self):
        try:
            return registry.clean_root(self.cleaned_data["root"])
        except ModellaError as error:
            raise forms.ValidationError(str(error.message)) from None

    def clean_mapping(self):
        try:
            return registry.clean_mapping(self.cleaned_data.get("mapping") or {},
                                          registry.default_mapping(self.cleaned_data.get("kind", "")))
        except ModellaError as error:
            raise forms.ValidationError(str(error.message)) from None


class LinkInline(admin.TabularInline):
    model = Link
    extra = 0
    can_delete = False  # removing a link goes through links.registry (it checks the file is ours)
    fields = ("link_path", "source_path", "kind", "created_at")
    readonly_fields = fields


@admin.register(AppFolder)
class AppFolderAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "root", "enabled", "link_mode")
    list_filter = ("kind", "enabled", "link_mode")
    search_fields = ("name", "root")
    inlines = [LinkInline]
    form = AppFolderAdminForm

    def save_model(self, request, obj, form, change) -> None:
        if change and "root" in form.changed_data:
            registry.unlink_all(AppFolder.objects.get(pk=obj.pk))  # the links under the old root go
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj) -> None:
        registry.remove_app(obj)  # its links go first (only those still ours)

    def delete_queryset(self, request, queryset) -> None:
        for app in queryset:
            registry.remove_app(app)


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    list_display = ("link_path", "app", "source_path", "kind", "created_at")
    list_filter = ("app", "kind")
    search_fields = ("link_path", "source_path")
    readonly_fields = ("app", "source_path", "link_path", "kind", "target", "device", "inode", "own_dirs",
                       "created_at")

    def has_add_permission(self, request) -> bool:
        return False  # links are made by Modella, never typed in
