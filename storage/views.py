"""The Storage page: dashboard, charts, reclaimable space, the local library and its actions.

One page, one view; htmx asks for its named partials (`#dashboard`, `#library`) by target id.
Actions POST to the entry (`/storage/files/<kind>/<pk>/delete/`) and work without JavaScript
(a confirmation page); with htmx the same form opens in a <dialog> and answers with the
refreshed library plus an `HX-Trigger: storage-changed` that makes the dashboard reload itself.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from modella.errors import ModellaError
from modella.responses import error_text
from storage import charts, disk, library, reclaim, snapshots, uploads
from storage.models import MODEL_EXTENSIONS, StorageSnapshot, Upload
from storage.templatetags.storage_tags import format_size
from storage.usage import free_after_queue, known_entries, usage

CHANGED = "storage-changed"
KINDS = ("variant", "file")


def _library_context(query: str, entries=None) -> dict:
    entries = known_entries() if entries is None else entries
    return {"tree": library.build_tree(entries, query), "q": query, "entry_count": len(entries)}


def _dashboard_context(entries) -> dict:
    numbers = usage(entries)
    history = list(StorageSnapshot.objects.order_by("-taken_at")[:500])
    forecast = snapshots.forecast_full(history)
    return {
        "usage": numbers,
        "free_after_queue": free_after_queue(numbers["available_bytes"]),
        "timeline": charts.timeline(history, forecast),
        "history": sorted(history[:12], key=lambda s: s.taken_at),
        "by_source": charts.donut({str(library.SOURCE_LABELS[k]): v for k, v in numbers["by_source"].items()}),
        "by_type": charts.bars(numbers["by_type"]),
        "by_base_model": charts.bars(numbers["by_base_model"]),
        "reclaimable": {key: (reclaim.CATEGORIES[key], items, sum(i.size for i in items))
                        for key, items in reclaim.reclaimable(entries).items()},
        "largest": entries[:10],
    }


@login_required
def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    entries = known_entries()
    target = request.htmx.target if request.htmx else None
    if target == "storage-library":
        return render(request, "storage/index.html#library", _library_context(query, entries))
    context = _dashboard_context(entries)
    if target == "storage-dashboard":
        return render(request, "storage/index.html#dashboard", context)
    context.update(_library_context(query, entries))
    return render(request, "storage/index.html", context)


def _entry_or_404(kind: str, pk: int):
    if kind not in KINDS:
        raise Http404
    try:
        return library.find_entry(kind, pk)
    except ModellaError:
        raise Http404 from None


def _changed(request: HttpRequest, notice: str) -> HttpResponse:
    """After a change: htmx gets the refreshed library and the event; a plain form a redirect."""
    if request.htmx:
        context = {**_library_context(request.POST.get("q", "")), "notice": notice}
        return trigger_client_event(render(request, "storage/index.html#library", context), CHANGED)
    messages.success(request, notice)
    return redirect("storage:index")


def _form_error(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    if request.htmx:  # show the error inside the open dialog
        response = render(request, f"{template}#form", context)
        return reswap(retarget(response, "#storage-dialog-body"), "innerHTML")
    return render(request, template, context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    entry = _entry_or_404(kind, pk)
    context = {"entry": entry, "q": request.GET.get("q", request.POST.get("q", ""))}
    if request.method == "POST":
        try:
            freed = library.remove_entry(entry)
        except ModellaError as exc:
            return _form_error(request, "storage/delete.html", {**context, "error": exc.message})
        return _changed(request, _("Deleted %(name)s; %(size)s freed.") % {"name": entry.name, "size": format_size(freed)})
    template = "storage/delete.html#form" if request.htmx else "storage/delete.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def rename(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    entry = _entry_or_404(kind, pk)
    context = {"entry": entry, "q": request.GET.get("q", request.POST.get("q", "")), "name": entry.name}
    if request.method == "POST":
        context["name"] = request.POST.get("name", "")
        try:
            new_path = library.rename_entry(entry, context["name"])
        except ModellaError as exc:
            return _form_error(request, "storage/rename.html", {**context, "error": exc.message})
        return _changed(request, _("Renamed %(old)s to %(new)s.") % {"old": entry.name, "new": new_path})
    template = "storage/rename.html#form" if request.htmx else "storage/rename.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def reclaim_category(request: HttpRequest, category: str) -> HttpResponse:
    if category not in reclaim.CATEGORIES:
        raise Http404
    if request.method == "POST":
        count, freed = reclaim.remove(category)
        notice = ngettext(
            "Removed %(count)s file; %(size)s freed.", "Removed %(count)s files; %(size)s freed.", count
        ) % {"count": count, "size": format_size(freed)}
        return _changed(request, notice)
    items = reclaim.reclaimable()[category]
    context = {"category": category, "title": reclaim.CATEGORIES[category], "items": items,
               "total": sum(i.size for i in items)}
    template = "storage/reclaim.html#form" if request.htmx else "storage/reclaim.html"
    return render(request, template, context)


@login_required
@require_POST
def scan(request: HttpRequest) -> HttpResponse:
    """Start a scan of the models folder in the background (a Django-Q2 task)."""
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task("storage.tasks.scan_models_folder", task_name="storage-scan"))
    messages.success(request, _("Scanning the models folder. New files appear in the library when it is done."))
    return redirect("storage:index")


# --- Upload: a plain multipart form without JavaScript; static/js/upload.js sends the same files in
# resumable chunks through the API (and takes files dropped on any page).


def _upload_context(request: HttpRequest, errors: list[str] | None = None) -> dict:
    mine = Upload.objects.filter(user=request.user)
    return {
        "unfinished": mine.unfinished(),
        "recent": mine.filter(status=Upload.Status.COMPLETED).select_related("local_file")[:10],
        "accept": ",".join(MODEL_EXTENSIONS),
        "extensions": uploads.accepted_extensions(),
        "free_bytes": disk.free_bytes(),
        "errors": errors or [],
    }


@login_required
@csrf_exempt  # the file handler must be in place before the body is read; _receive_form checks CSRF
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "storage/upload.html", _upload_context(request))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0  # a garbled header: Django's parser then reads no body at all
    try:  # before a byte of the body is read
        uploads.check_size(length)
        uploads.check_space(length)
    except ModellaError as exc:
        return render(request, "storage/upload.html", _upload_context(request, [error_text(exc)]), status=exc.status)
    handler = uploads.FormFileHandler(request)
    request.upload_handlers = [handler]
    try:
        return _receive_form(request, handler)
    finally:  # files a refused request (bad CSRF token, an error) left in the partial folder
        for received in handler.received:
            disk.delete(received.partial)  # gone already when it was placed


@csrf_protect
def _receive_form(request: HttpRequest, handler: uploads.FormFileHandler) -> HttpResponse:
    received = request.FILES.getlist("files")  # reads the body: the handler fills `refused` meanwhile
    errors = [_("“%(name)s” is not a model file. Modella accepts %(extensions)s files.")
              % {"name": name, "extensions": uploads.accepted_extensions()} for name in handler.refused]
    if not received and not errors:
        errors.append(_("Choose one or more model files to upload."))
    for item in received:
        try:
            local = uploads.finish_form_file(item)
        except ModellaError as exc:
            errors.append(_("%(name)s: %(error)s") % {"name": item.name, "error": error_text(exc)})
            continue
        messages.success(request, _("Uploaded %(name)s to %(path)s.") % {"name": item.name, "path": local.path})
    if errors:
        return render(request, "storage/upload.html", _upload_context(request, errors), status=400)
    return redirect("storage:upload")


@login_required
@require_POST
def cancel_upload(request: HttpRequest, pk) -> HttpResponse:
    found = Upload.objects.filter(user=request.user, pk=pk).first()
    if found is None:
        raise Http404
    try:
        uploads.cancel(found)
    except ModellaError as exc:  # a chunk is being received right now
        messages.error(request, error_text(exc))
        return redirect("storage:upload")
    messages.success(request, _("Cancelled the upload of %(name)s.") % {"name": found.filename})
    return redirect("storage:upload")
