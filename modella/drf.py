"""DRF plumbing shared by every app: the error format, pagination, throttling and the schema hook.

Kept apart from the API views: DRF imports this module while its own settings load."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

from modella.errors import ModellaError


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


_PAGES: dict = {}


def paginated(serializer_class, name: str | None = None):
    """The OpenAPI shape of a paginated list of `serializer_class`, for function views'
    `@extend_schema(responses=...)` (drf-spectacular adds pagination only to list views)."""
    from drf_spectacular.utils import inline_serializer
    from rest_framework import serializers

    name = name or f"Paginated{serializer_class.__name__.removesuffix('Serializer')}List"
    if name not in _PAGES:  # one class per name, or the schema has clashing components
        _PAGES[name] = type(inline_serializer(name, {
            "count": serializers.IntegerField(), "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True), "results": serializer_class(many=True),
        }))
    return _PAGES[name]()


_DRF_CODES = {
    400: "invalid_input",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def exception_handler(exc, context):
    """Every API error as {"error": {"code", "message", "details"}}, in the request's language."""
    if isinstance(exc, ModellaError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    # Imported here: rest_framework.views reads DRF's settings, which import this module (a cycle
    # that breaks `manage.py migrate` when DRF's system checks load first).
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = _DRF_CODES.get(response.status_code, "error")
    if isinstance(exc, exceptions.ValidationError):
        message = _("The input is not valid.")
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    else:
        message = str(getattr(exc, "detail", "")) or _("Something went wrong.")
        details = {"retry_after_seconds": exc.wait} if isinstance(exc, exceptions.Throttled) and exc.wait else {}
    response.data = {"error": {"code": code, "message": message, "details": details}}
    return response


class WriteRateThrottle(UserRateThrottle):
    """Throttles the writing methods (POST/PATCH/PUT/DELETE) per user; reads are never throttled.

    The rate is read from settings.API_WRITE_RATE (MODELLA_API_WRITE_RATE) on each request, so a
    deployment (or a test) can change it without touching DRF's rate table."""

    scope = "write"

    def get_rate(self) -> str | None:
        return settings.API_WRITE_RATE or None

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        # Rates are parsed in __init__ from get_rate(); read them again for the current settings.
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


# --- Errors outside DRF views: Django's 400/403/404/500 handlers (modella/urls.py) ---------------
def is_api_path(path: str) -> bool:
    return path.startswith("/api/")


def error_response(code: str, message: str, status: int, details: dict | None = None) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": str(message), "details": details or {}}}, status=status)


def bad_request(request, exception=None):
    if is_api_path(request.path):
        return error_response("invalid_input", _("The request is not valid."), 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api_path(request.path):
        return error_response("permission_denied", _("You do not have permission to perform this action."), 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    """Django's 404 handler: the API's error format under /api/, the HTML page elsewhere."""
    if is_api_path(request.path):
        return error_response("not_found", _("There is no API endpoint at %(path)s.") % {"path": request.path}, 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_path(request.path):
        return error_response("server_error", _("Something went wrong on the server. The error was logged."), 500)
    return defaults.server_error(request)


def postprocess_schema(result, generator, request, public):
    """drf-spectacular hook: every operation documents the error format as its `default` response."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "details": {"type": "object", "additionalProperties": True}},
        }},
    }
    error = {"description": "An error: see the `code` (invalid_input, not_found, remote_not_found, "
                            "remote_unauthorized, already_exists, insufficient_storage, upstream_unavailable, "
                            "rate_limited, not_authenticated, permission_denied, method_not_allowed).",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("default", error)
    return result
