import time

from django.conf import settings


def site(request) -> dict:
    theme = "dark"
    keyboard_shortcuts = True
    downloads_active = False
    hubs_down = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from downloads.models import DownloadJob
        from modella.health import hubs_down as _hubs_down

        hubs_down = _hubs_down()  # the circuit breakers that are open, for the page header
        from modella.models import UserSettings

        prefs = UserSettings.objects.filter(user=user).values("theme", "keyboard_shortcuts").first() or {}
        theme = prefs.get("theme") or "dark"
        keyboard_shortcuts = prefs.get("keyboard_shortcuts", True)
        # The completion notices poll only while something is queued or running.
        downloads_active = DownloadJob.objects.live().exists()
    return {"modella_version": settings.VERSION, "theme": theme, "downloads_active": downloads_active,
            "hubs_down": hubs_down, "keyboard_shortcuts": keyboard_shortcuts,
            "notices_since": f"{time.time():.3f}"}
