"""Site-wide pages: the first-run owner account, Settings, theme, language and keyboard shortcuts.

The Models page and its dialogs live in modella/pages.py."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language
from rest_framework.authtoken.models import Token

from modella.forms import OwnerCreationForm, SettingsForm
from modella.models import UserSettings
from modella.responses import safe_next


def first_run(request: HttpRequest) -> HttpResponse:
    """Create the owner account. Exists only while there is no user at all."""
    if get_user_model().objects.exists():
        return redirect("home")
    form = OwnerCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        UserSettings.objects.create(user=user, language=request.LANGUAGE_CODE)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to Modella. Your owner account is ready."))
        return redirect("home")
    return render(request, "modella/first_run.html", {"form": form})


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    user_settings = UserSettings.for_user(request.user)
    form = SettingsForm(request.POST or None, instance=user_settings)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Settings saved."))
        response = redirect("settings")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, saved.language, max_age=settings.LANGUAGE_COOKIE_AGE)
        return response
    token = Token.objects.filter(user=request.user).first()
    return render(
        request,
        "modella/settings.html",
        {
            "form": form,
            "hf_token_set": bool(user_settings.hf_token_encrypted),
            "civitai_token_set": bool(user_settings.civitai_token_encrypted),
            "env_hf_token": bool(settings.HF_TOKEN),
            "env_civitai_token": bool(settings.CIVITAI_TOKEN),
            "models_dir": settings.MODELS_DIR,
            "models_dir_problem": _models_dir_problem(settings.MODELS_DIR),
            "max_concurrent_downloads": settings.MAX_CONCURRENT_DOWNLOADS,
            "api_token": token,
            "api_curl_example": f'curl -H "Authorization: Token {token.key}" '
                                f'{request.build_absolute_uri(reverse("api:status"))}' if token else "",
        },
    )


@login_required
def api_token(request: HttpRequest) -> HttpResponse:
    """Create or regenerate the user's API token. GET asks for confirmation (the old token stops
    working at once); POST does it."""
    existing = Token.objects.filter(user=request.user).first()
    if request.method != "POST":
        return render(request, "modella/api_token_confirm.html", {"api_token": existing})
    Token.objects.filter(user=request.user).delete()
    Token.objects.create(user=request.user)
    if existing:
        messages.success(request, _("A new API token was created. The old one no longer works."))
    else:
        messages.success(request, _("Your API token was created."))
    return redirect(reverse("settings") + "#api-token-title")


def _models_dir_problem(path) -> str:
    """Why the models directory cannot be used ("" when it exists and is writable)."""
    import os

    if not path.exists():
        return _("The folder does not exist. Create it, or set MODELLA_MODELS_DIR to an existing folder.")
    if not path.is_dir():
        return _("This path is not a folder.")
    if not os.access(path, os.W_OK | os.X_OK):
        return _("Modella cannot write to this folder. Give the user that runs Modella write permission.")
    return ""


@login_required
@require_POST
def set_theme(request: HttpRequest) -> HttpResponse:
    user_settings = UserSettings.for_user(request.user)
    choice = request.POST.get("theme")
    if choice not in UserSettings.Theme.values:
        choice = "light" if user_settings.theme == "dark" else "dark"
    user_settings.theme = choice
    user_settings.save(update_fields=["theme"])
    return redirect(safe_next(request))


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie) plus the signed-in user's saved choice."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        UserSettings.objects.update_or_create(user=request.user, defaults={"language": language})
    return response


@login_required
def shortcuts(request: HttpRequest) -> HttpResponse:
    """The keyboard shortcuts as a page: what the footer link opens without JavaScript."""
    return render(request, "modella/shortcuts.html")


@login_required
@require_POST
def set_shortcuts(request: HttpRequest) -> HttpResponse:
    """Turn the single-key shortcuts on or off (WCAG 2.1.4), from the help overlay or its page."""
    user_settings = UserSettings.for_user(request.user)
    choice = request.POST.get("keyboard_shortcuts")
    enabled = choice == "on" if choice in ("on", "off") else not user_settings.keyboard_shortcuts
    user_settings.keyboard_shortcuts = enabled
    user_settings.save(update_fields=["keyboard_shortcuts"])
    if enabled:
        messages.success(request, _("Single-key keyboard shortcuts are on."))
    else:
        messages.success(request, _("Single-key keyboard shortcuts are off."))
    return redirect(safe_next(request))
