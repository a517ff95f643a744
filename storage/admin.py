from django.contrib import admin

from storage.models import LocalFile, StorageSnapshot, Upload


@admin.register(StorageSnapshot)
class StorageSnapshotAdmin(admin.ModelAdmin):
    list_display = ("taken_at", "used_bytes", "available_bytes", "models_bytes", "model_count")
    date_hierarchy = "taken_at"


@admin.register(LocalFile)
class LocalFileAdmin(admin.ModelAdmin):
    list_display = ("path", "kind", "size", "source", "model_type", "variant")
    list_filter = ("kind", "source", "model_type")
    search_fields = ("path", "sha256")
    raw_id_fields = ("variant",)


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    """Read-only: uploads change through the uploads protocol only (Cancel on the Upload page also
    removes an unfinished upload's partial file, which deleting the row here would leave behind)."""

    list_display = ("filename", "user", "status", "offset", "size", "updated_at")
    list_filter = ("status",)
    search_fields = ("filename", "sha256", "path")
    readonly_fields = [field.name for field in Upload._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
