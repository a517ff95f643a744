"""Discover → Civitai: the model grid and a model's details, and queueing a file.

Thin views: the client (catalog.sources.civitai) fetches, catalog.civitai_store filters by the
user's content level and queues. Every page works without JavaScript; htmx swaps the named
partials (`#cards` for infinite scroll, `#version` for switching versions).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from catalog import civitai_store
from catalog.models import ModelVariant
from catalog.sources import civitai
from modella.errors import ModellaError, RemoteNotFound, RemoteUnauthorized

SORT_LABELS = {"Highest Rated": gettext_lazy("Highest rated"), "Most Downloaded": gettext_lazy("Most downloaded"),
               "Newest": gettext_lazy("Newest")}
PERIOD_LABELS = {"AllTime": gettext_lazy("All time"), "Year": gettext_lazy("Past year"),
                 "Month": gettext_lazy("Past month"), "Week": gettext_lazy("Past week"),
                 "Day": gettext_lazy("Past day")}
SEARCH_BY = {"keyword": gettext_lazy("Keyword"), "tag": gettext_lazy("Tag"), "creator": gettext_lazy("Creator")}


def search_params(get, level: str) -> dict:
    """The grid's query string as the client's search arguments (also used by the API)."""
    text = get.get("q", "").strip()
    by = get.get("by", "keyword")
    nsfw = get.get("nsfw") or ("show" if level in ("r", "x", "xxx") else "hide")
    return {
        "query": text if by not in ("tag", "creator") else "",
        "tag": text if by == "tag" else "",
        "username": text if by == "creator" else "",
        "types": [t for t in get.getlist("type") if t],
        "base_models": [b for b in get.getlist("base_model") if b],
        "sort": get.get("sort") if get.get("sort") in SORT_LABELS else "Highest Rated",
        "period": get.get("period") if get.get("period") in PERIOD_LABELS else "AllTime",
        "nsfw": nsfw == "show",
        "cursor": get.get("cursor", ""),
    }


def _level_label(level: str) -> str:
    from modella.models import UserSettings

    return dict(UserSettings.NsfwLevel.choices).get(level, level)


@login_required
def browse(request: HttpRequest) -> HttpResponse:
    level, blur = civitai_store.preferences(request.user)
    params = search_params(request.GET, level)
    items, next_cursor, error, overloaded = [], None, None, False
    try:
        page = civitai.search(limit=getattr(settings, "CIVITAI_PAGE_SIZE", 24), **params)
        items = [civitai_store.present(m, level, blur) for m in page["items"]]
        next_cursor = page["next_cursor"]
    except ModellaError as exc:
        error = exc.message
        overloaded = exc.details.get("reason") == "search_overloaded"
    next_url = None
    if next_cursor:
        query = request.GET.copy()
        query["cursor"] = next_cursor
        next_url = f"{reverse('catalog:civitai')}?{query.urlencode()}"
    context = {
        "items": items, "next_url": next_url, "error": error, "overloaded": overloaded,
        "first_page": not params["cursor"], "q": request.GET.get("q", ""), "by": request.GET.get("by", "keyword"),
        "search_by": SEARCH_BY, "sorts": SORT_LABELS, "periods": PERIOD_LABELS, "types": civitai.MODEL_TYPES,
        "base_models": civitai.base_models(fetch=error is None) if not params["cursor"] else [],
        "params": params, "level": level, "blur": blur, "level_label": _level_label(level),
    }
    if request.htmx and params["cursor"]:
        return render(request, "catalog/civitai_browse.html#cards", context)
    return render(request, "catalog/civitai_browse.html", context)


def _file_states(repo: str, model: dict) -> dict[int, dict]:
    """{file id: {"status", "job"}} for the files the catalog already knows."""
    ids = [f["id"] for v in model["versions"] for f in v["files"]]
    states = {}
    for variant in ModelVariant.objects.filter(repository__repo=repo, civitai_file_id__in=ids):
        status, job = variant.status_and_job()
        wish = variant.update_details.get("early_access") or {}
        states[variant.civitai_file_id] = {"status": status, "job": job, "filename": variant.filename,
                                           "auto_queue": wish.get("deadline") if wish.get("auto_queue") else None}
    return states


@login_required
def model_detail(request: HttpRequest, model_id: int) -> HttpResponse:
    try:
        model = civitai.get_model(model_id)
    except RemoteNotFound as exc:
        return render(request, "catalog/civitai_missing.html", {"error": exc.message, "model_id": model_id},
                      status=404)
    except ModellaError as exc:
        return render(request, "catalog/civitai_missing.html", {"error": exc.message, "model_id": model_id},
                      status=exc.status if exc.status >= 400 else 502)
    level, blur = civitai_store.preferences(request.user)
    shown = civitai_store.present(model, level, blur)
    states = _file_states(shown["repo"], shown)
    for each in shown["versions"]:
        for file in each["files"]:
            file["state"] = states.get(file["id"])
    default_version, default_file = civitai_store.default_file(shown)
    wanted = request.GET.get("version", "")
    version = next((v for v in shown["versions"] if str(v["id"]) == wanted), None)
    page_number = request.GET.get("versions_page")
    if page_number is None and version is not None:
        page_number = shown["versions"].index(version) // civitai_store.VERSIONS_PER_PAGE + 1
    pages = civitai_store.versions_page(shown, page_number)
    if version is None:  # the newest version, or the first of the page asked for
        version = pages["versions"][0] if pages["versions"] else None
    context = {
        "model": shown, "version": version, "pages": pages, "default_version": default_version,
        "default_file": default_file, "level": level, "blur": blur,
        "early_access_file": request.GET.get("early_access", ""),
        "priorities": [("low", _("Low")), ("normal", _("Normal")), ("high", _("High")), ("urgent", _("Urgent"))],
    }
    if request.htmx and request.htmx.target == "version-panel":
        return render(request, "catalog/civitai_model.html#version", context)
    return render(request, "catalog/civitai_model.html", context)


def _back(model_id: int, **params) -> str:
    url = reverse("catalog:civitai_model", args=[model_id])
    params = {k: v for k, v in params.items() if v}
    return f"{url}?{urlencode(params)}" if params else url


@login_required
@require_POST
def queue(request: HttpRequest, model_id: int) -> HttpResponse:
    """Queue one file (the form's `file_id`) of a model; Early Access answers with an offer to
    queue it automatically when it ends."""
    file_id, version = request.POST.get("file_id", ""), request.POST.get("version", "")
    try:
        job = civitai_store.queue_file(model_id, file_id, user=request.user,
                                       priority=request.POST.get("priority") or "normal")
    except RemoteUnauthorized as exc:
        messages.error(request, exc.message)
        if exc.details.get("reason") == "early_access":
            return redirect(_back(model_id, version=version, early_access=file_id) + f"#file-{file_id}")
        return redirect(_back(model_id, version=version))
    except ModellaError as exc:
        messages.error(request, exc.message)
        return redirect(_back(model_id, version=version))
    messages.success(request, _("%(file)s was added to the download queue.") % {"file": job.filename})
    return redirect(_back(model_id, version=version) + f"#file-{file_id}")


@login_required
@require_POST
def queue_later(request: HttpRequest, model_id: int) -> HttpResponse:
    """Queue a file automatically when its Early Access ends."""
    file_id, version = request.POST.get("file_id", ""), request.POST.get("version", "")
    try:
        deadline = civitai_store.queue_when_early_access_ends(model_id, file_id, user=request.user,
                                                              priority=request.POST.get("priority") or "normal")
    except ModellaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Modella will queue this file when Early Access ends (%(date)s).")
                         % {"date": date_format(deadline, "DATETIME_FORMAT")})
    return redirect(_back(model_id, version=version) + f"#file-{file_id}")
