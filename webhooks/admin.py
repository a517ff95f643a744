"""Webhooks in the admin: the webhooks (secret never shown; regenerate it from the Webhooks page)
and the delivery log, read-only, filtered by status and event."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from webhooks.models import Webhook, WebhookDelivery


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("__str__", "display_url", "events", "enabled", "created_at")
    list_filter = ("enabled",)
    # Not "url": a search for substrings of it would reveal a password in the URL piece by piece.
    search_fields = ("name",)
    # The URL can only be changed on the Webhooks page or the API, where it is validated.
    fields = ("name", "display_url", "events", "enabled", "created_by", "created_at")
    readonly_fields = ("display_url", "events", "created_by", "created_at")

    def has_add_permission(self, request) -> bool:
        return False  # a new webhook's secret is shown once, on the Webhooks page or in the API answer

    @admin.display(description=_("URL"))
    def display_url(self, webhook: Webhook) -> str:
        return webhook.display_url


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "webhook", "event", "status", "attempts", "response_status", "duration_ms",
                    "error")
    list_filter = ("status", "event", "webhook")
    search_fields = ("id",)
    date_hierarchy = "created_at"
    list_select_related = ("webhook",)
    actions = ["redeliver"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Redeliver the selected deliveries"))
    def redeliver(self, request, queryset):
        count = 0
        for delivery in queryset.select_related("webhook"):
            delivery.redeliver()
            count += 1
        self.message_user(request, ngettext("%(count)d delivery was queued again.",
                                            "%(count)d deliveries were queued again.", count) % {"count": count},
                          messages.SUCCESS)
