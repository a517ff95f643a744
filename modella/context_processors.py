from django.conf import settings


def site(request) -> dict:
    theme = "dark"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from modella.models import UserSettings

        theme = UserSettings.objects.filter(user=user).values_list("theme", flat=True).first() or "dark"
    return {"modella_version": settings.VERSION, "theme": theme}
