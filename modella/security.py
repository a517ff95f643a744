"""Security headers and login throttling.

Content-Security-Policy: scripts only from our own origin (no inline scripts, no eval), so
HTML that slipped through sanitising cannot run. Styles allow inline attributes because htmx
adds its indicator styles at runtime; that cannot run code.
"""

import functools

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext_lazy as _

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https: http:",  # hub thumbnails come from the hubs' image hosts
        "connect-src 'self'",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class RejectNulMiddleware:
    """A NUL character in the query string is never meaningful, and PostgreSQL cannot store or
    compare it: refuse such a request here, once, instead of failing deep inside a query.
    (Form and JSON fields are already checked by Django's and DRF's CharField validators.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
            message = _("The address contains a NUL character, which is never valid here.")
            if request.path_info.startswith("/api/"):
                error = {"error": {"code": "invalid_input", "message": str(message), "details": {}}}
                return JsonResponse(error, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


# --- Login throttling ----------------------------------------------------------------------------
LOCKOUT_MESSAGE = _("Too many failed attempts. Wait %(minutes)d minutes, then try again.")


def _key(username: str, ip: str) -> str:
    return f"login-failures:{username.lower()}:{ip}"


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def is_locked_out(username: str, ip: str) -> bool:
    return cache.get(_key(username, ip), 0) >= settings.LOGIN_MAX_FAILURES


def clear_failures(username: str, ip: str) -> None:
    cache.delete(_key(username, ip))


@receiver(user_login_failed)
def count_failure(sender, credentials, request=None, **kwargs) -> None:
    key = _key(credentials.get("username", ""), client_ip(request))
    cache.add(key, 0, settings.LOGIN_LOCKOUT_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, settings.LOGIN_LOCKOUT_SECONDS)



def staff_required(reason):
    """Decorator for pages only an administrator (a staff account) may use: sign-in first, then
    403 with `reason`, shown on the error page in the user's language."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_staff:
                raise PermissionDenied(reason)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator
