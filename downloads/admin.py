"""Download jobs in the admin: filters, and the queue's actions calling the job's own methods
(the same ones the pages and the API call)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from downloads.models import DownloadJob, UpdateItem, UpdateRun
from modella.errors import ModellaError


@admin.register(DownloadJob)
class DownloadJobAdmin(admin.ModelAdmin):
    list_display = ("repo", "filename", "status", "priority", "bytes_done", "size", "attempts", "created_at")
    list_filter = ("status", "source", "priority")
    search_fields = ("repo", "filename")
    raw_id_fields = ("variant", "user")
    readonly_fields = ("lease_owner", "lease_expires_at", "heartbeat_at")
    actions = ["retry_jobs", "cancel_jobs", "raise_priority"]

    def _report(self, request, done: int, failures: list[str], message) -> None:
        if done:
            self.message_user(request, message % {"count": done}, messages.SUCCESS)
        for failure in failures:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description=_("Retry the selected downloads"))
    def retry_jobs(self, request, queryset):
        done, failures = 0, []
        for job in queryset.filter(status__in=("failed", "cancelled", "paused")):
            try:
                job.retry()
            except ModellaError as exc:
                failures.append(f"{job}: {exc.message}")
            else:
                done += 1
        self._report(request, done, failures, ngettext(
            "%(count)d download was queued again.", "%(count)d downloads were queued again.", done))

    @admin.action(description=_("Cancel the selected downloads"))
    def cancel_jobs(self, request, queryset):
        done = 0
        for job in queryset.exclude(status__in=("completed", "cancelled")):
            job.cancel()
            done += 1
        self._report(request, done, [], ngettext(
            "%(count)d download was cancelled.", "%(count)d downloads were cancelled.", done))

    @admin.action(description=_("Raise the priority of the selected downloads"))
    def raise_priority(self, request, queryset):
        done = 0
        for job in queryset.exclude(priority=DownloadJob.Priority.URGENT):
            job.set_priority(job.priority + 1)
            done += 1
        self._report(request, done, [], ngettext(
            "%(count)d download was moved up.", "%(count)d downloads were moved up.", done))


class UpdateItemInline(admin.TabularInline):
    model = UpdateItem
    fields = ("repo", "filename", "kind", "outcome", "reason", "message", "job")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(UpdateRun)
class UpdateRunAdmin(admin.ModelAdmin):
    """The summaries of "update selected" runs, as the Updates page shows them."""

    list_display = ("created_at", "policy", "user")
    list_filter = ("policy",)
    readonly_fields = ("created_at", "policy", "user")
    inlines = [UpdateItemInline]

    def has_add_permission(self, request):
        return False
