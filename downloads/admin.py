from django.contrib import admin

from downloads.models import DownloadJob


@admin.register(DownloadJob)
class DownloadJobAdmin(admin.ModelAdmin):
    list_display = ("repo", "filename", "status", "priority", "bytes_done", "size", "attempts", "created_at")
    list_filter = ("status", "source", "priority")
    search_fields = ("repo", "filename")
    raw_id_fields = ("variant", "user")
    readonly_fields = ("lease_owner", "lease_expires_at", "heartbeat_at")
