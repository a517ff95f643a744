"""Domain errors shared by every app. Each carries the API's machine code, an HTTP status and a
translated message; the API's exception handler and the pages both show them as they are."""

from django.utils.translation import gettext_lazy as _


class ModellaError(Exception):
    code = "error"
    status = 400
    default_message = _("Something went wrong.")

    def __init__(self, message=None, details: dict | None = None):
        self.message = message if message is not None else self.default_message
        self.details = details or {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": str(self.message), "details": self.details}}


class InvalidInput(ModellaError):
    code, status = "invalid_input", 400
    default_message = _("The input is not valid.")


class NotFound(ModellaError):
    code, status = "not_found", 404
    default_message = _("Not found.")


class RemoteNotFound(ModellaError):
    code, status = "remote_not_found", 404
    default_message = _("The hub has no such repository or file.")


class RemoteUnauthorized(ModellaError):
    code, status = "remote_unauthorized", 403
    default_message = _("The hub refused access to this model.")


class AlreadyExists(ModellaError):
    code, status = "already_exists", 409
    default_message = _("This already exists.")


class InsufficientStorage(ModellaError):
    code, status = "insufficient_storage", 507
    default_message = _("There is not enough free space for this download.")


class UpstreamUnavailable(ModellaError):
    code, status = "upstream_unavailable", 502
    default_message = _("The hub cannot be reached right now. Try again in a few minutes.")


class RateLimited(ModellaError):
    code, status = "rate_limited", 429
    default_message = _("The hub is limiting requests. Try again in a few minutes.")


class InvalidFileName(ModellaError):
    code, status = "invalid_file_name", 400
    default_message = _("This file name is not allowed: it would leave the models directory or is not a valid name.")
