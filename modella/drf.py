"""DRF plumbing shared by every app: the error format and pagination.

Kept apart from the API views: DRF imports this module while its own settings load."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from modella.errors import ModellaError


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


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
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = _DRF_CODES.get(response.status_code, "error")
    if isinstance(exc, exceptions.ValidationError):
        message = _("The input is not valid.")
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    else:
        message = str(getattr(exc, "detail", "")) or _("Something went wrong.")
        details = {}
    response.data = {"error": {"code": code, "message": message, "details": details}}
    return response


