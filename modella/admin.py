from django.contrib import admin

from modella.models import Heartbeat, HubState, UserSettings


@admin.register(UserSettings)
class UserSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "language", "theme", "show_featured", "onboarding_done")
    # Encrypted tokens are never shown, not even as cipher text.
    exclude = ("hf_token_encrypted", "civitai_token_encrypted")


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "at")


@admin.register(HubState)
class HubStateAdmin(admin.ModelAdmin):
    list_display = ("hub", "failures", "down_since", "retry_at")
