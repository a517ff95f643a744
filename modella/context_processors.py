import time

from django.conf import settings


def site(request) -> dict:
    theme = "dark"
    downloads_active = False
    hubs_down = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from downloads.models import DownloadJob
        from modella.health import hubs_down as _hubs_down

        hubs_down = _hubs_down()  # the circuit breakers that are open, for the page header
        from modella.models import UserSettings

        theme = UserSettings.objects.filter(user=user).values_list("theme", flat=True).first() or "dark"
        # The completion notices poll only while something is queued or running.
        downloads_active = DownloadJob.objects.live().exists()
    return {"modella_version": settings.VERSION, "theme": theme, "downloads_active": downloads_active,
            "hubs_down": hubs_down,
            "notices_since": f"{time.time():.3f}"}
