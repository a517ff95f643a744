"""How every page action ends, the same for every app: htmx gets the notices fragment and an
event that refreshes the page's lists; without JavaScript, a redirect back where the user was."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from modella.errors import InsufficientStorage, ModellaError
from storage.templatetags.storage_tags import format_size


def safe_next(request: HttpRequest, fallback: str = "/") -> str:
    """Where to go back to: `next` or the Referer, when it is a path or a URL on this host."""
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or fallback
    # A bare word ("abc") passes the host check as a relative URL but is no page to return to.
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) and \
            (target.startswith("/") or target.startswith(("http://", "https://"))):
        return target
    return fallback


def action_done(request: HttpRequest, fallback: str = "home", close_dialog: bool = False,
                remove: tuple[str, ...] = ()) -> HttpResponse:
    """The end of every action: htmx gets the notices fragment (swapped into the #notices live
    region, whatever element posted) and an event that refreshes the page's lists; `remove` names
    elements to delete out of band. Without JavaScript, a redirect back."""
    if request.htmx:
        response = render(request, "modella/_notices.html", {"poller_oob": True, "remove_ids": remove})
        events = ["modella:changed"] + (["modella:close-dialog"] if close_dialog else [])
        response["HX-Trigger"] = ", ".join(events)
        response["HX-Retarget"] = "#notices"
        response["HX-Reswap"] = "innerHTML"
        return response
    return HttpResponseRedirect(safe_next(request, reverse(fallback)))  # a URL, never a view name


def refusal_text(exc: InsufficientStorage) -> str:
    details = exc.details or {}
    if "required_bytes" not in details:
        return str(exc.message)
    return _("This file needs %(needed)s, but only %(available)s can be used: %(free)s free, %(queued)s "
             "still to come for queued downloads, %(reserve)s kept in reserve.") % {
        "needed": format_size(details["required_bytes"]), "available": format_size(details["available_bytes"]),
        "free": format_size(details["free_bytes"]), "queued": format_size(details["queued_bytes"]),
        "reserve": format_size(details["reserve_bytes"])}


def error_text(exc: ModellaError) -> str:
    """A domain error as a person reads it (sizes in their locale for a storage refusal)."""
    return refusal_text(exc) if isinstance(exc, InsufficientStorage) else str(exc.message)

