"""How every page action ends, the same for every app: htmx gets the notices fragment and an
event that refreshes the page's lists; without JavaScript, a redirect back where the user was."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or fallback
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
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
    return redirect(safe_next(request, reverse(fallback)))

