from django.contrib import admin

from storage.models import LocalFile, StorageSnapshot


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
