from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation


class FirstRunMiddleware:
    """Until the owner account exists, every page leads to the page that creates it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.has_users = False  # once true it stays true: users are not all deleted in practice

    def __call__(self, request):
        if not self.has_users:
            self.has_users = get_user_model().objects.exists()
            path = request.path_info
            exempt = (reverse("first_run"), "/" + settings.STATIC_URL.lstrip("/"), "/api/", "/i18n/")
            if not self.has_users and not path.startswith(exempt):
                return redirect("first_run")
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in user's saved language wins when the browser has no language cookie yet
    (a new browser or device); the switcher sets both the cookie and the saved choice."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and not request.path_info.startswith("/api/")
        ):
            from modella.models import UserSettings

            saved = UserSettings.objects.filter(user=user).values_list("language", flat=True).first()
            if saved and translation.check_for_language(saved):
                translation.activate(saved)
                request.LANGUAGE_CODE = saved
                response = self.get_response(request)
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, saved, max_age=settings.LANGUAGE_COOKIE_AGE)
                return response
        return self.get_response(request)
