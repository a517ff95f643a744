"""The Lists pages. Thin views: the work is in lists.models, which the API calls too.

Every page works without JavaScript: the bulk actions have confirm pages (GET shows, POST does);
with JavaScript the same confirm form opens in a native <dialog> on the list page, and the
"Add to list" menu posts with htmx and swaps itself.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from lists.api import read_upload
from lists.models import ModelList, download_budget, resolve_items
from lists.templatetags.lists_tags import forget_user_lists
from modella.errors import ModellaError, NotFound

CONFIRM_ACTIONS = ("download", "remove_local", "delete")


class ListForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    description = forms.CharField(label=gettext_lazy("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))


class ItemForm(forms.Form):
    repo = forms.CharField(label=gettext_lazy("Repository"), max_length=300,
                           help_text=gettext_lazy("owner/name, a Hugging Face link or civitai:<id>"))
    filename = forms.CharField(label=gettext_lazy("File (optional)"), max_length=500, required=False,
                               help_text=gettext_lazy("Leave empty for the recommended variant."))
    note = forms.CharField(label=gettext_lazy("Note (optional)"), max_length=500, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("List export (JSON)"),
                           widget=forms.ClearableFileInput(attrs={"accept": "application/json,.json"}))


def _get_list(request: HttpRequest, pk: int) -> ModelList:
    """The user's list; another user's list is a 404 like a missing one."""
    try:
        return ModelList.objects.get_owned(request.user, pk)
    except NotFound:
        raise Http404 from None


def _next_url(request: HttpRequest) -> str:
    """Back to the page the menu was on (only on this site), else the Lists page."""
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("lists:index")


def _form_error(form: forms.Form, error: ModellaError, field: str | None = None) -> None:
    form.add_error(field if field in form.fields else None, str(error.message))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The user's lists with item count and total size; POST creates a list."""
    form = ListForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            model_list = ModelList.objects.create_list(request.user, **form.cleaned_data)
        except ModellaError as error:
            _form_error(form, error, "name")
        else:
            messages.success(request, _("The list “%(name)s” was created.") % {"name": model_list.name})
            return redirect("lists:detail", pk=model_list.pk)
    model_lists = list(ModelList.objects.owned_by(request.user).prefetch_related("items"))
    entries = resolve_items([item for ml in model_lists for item in ml.items.all()])
    available = download_budget()
    rows = [(ml, ml.summary([e for e in entries if e.item.model_list_id == ml.pk], available)) for ml in model_lists]
    return render(request, "lists/index.html", {"rows": rows, "form": form, "import_form": ImportForm()},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def import_list(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            model_list, report = ModelList.objects.import_document(request.user, read_upload(form.cleaned_data["file"]))
        except ModellaError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, ngettext(
                "The list “%(name)s” was imported with %(count)d item.",
                "The list “%(name)s” was imported with %(count)d items.", report["imported"],
            ) % {"name": model_list.name, "count": report["imported"]})
            for problem in report["missing"] + report["unverified"]:
                messages.warning(request, problem["message"])
            return redirect("lists:detail", pk=model_list.pk)
    else:
        messages.error(request, _("Choose a list export file (JSON) to import."))
    return redirect("lists:index")


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A list's items with their status, the totals and the bulk actions; POST renames/describes."""
    model_list = _get_list(request, pk)
    form = ListForm(request.POST or None, initial={"name": model_list.name, "description": model_list.description})
    if request.method == "POST" and form.is_valid():
        try:
            model_list.update_details(**form.cleaned_data)
        except ModellaError as error:
            _form_error(form, error, "name")
        else:
            messages.success(request, _("The list was saved."))
            return redirect("lists:detail", pk=model_list.pk)
        model_list.refresh_from_db()
    return _render_detail(request, model_list, form=form)


def _render_detail(request: HttpRequest, model_list: ModelList, form=None, item_form=None) -> HttpResponse:
    entries = model_list.entries()
    context = {
        "model_list": model_list,
        "entries": entries,
        "summary": model_list.summary(entries),
        "form": form or ListForm(initial={"name": model_list.name, "description": model_list.description}),
        "item_form": item_form or ItemForm(),
        "confirm_actions": CONFIRM_ACTIONS,
    }
    invalid = (form is not None and form.errors) or (item_form is not None and item_form.errors)
    return render(request, "lists/detail.html", context, status=400 if invalid else 200)


@login_required
@require_POST
def add_item(request: HttpRequest, pk: int) -> HttpResponse:
    model_list = _get_list(request, pk)
    form = ItemForm(request.POST)
    if form.is_valid():
        try:
            item = model_list.add_item(form.cleaned_data["repo"], form.cleaned_data["filename"],
                                       form.cleaned_data["note"])
        except ModellaError as error:
            _form_error(form, error, "filename" if "filename" in error.details else "repo")
        else:
            messages.success(request, _("%(item)s was added.") % {"item": item.label})
            return redirect("lists:detail", pk=model_list.pk)
    return _render_detail(request, model_list, item_form=form)


@login_required
@require_POST
def remove_item(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    model_list = _get_list(request, pk)
    try:
        model_list.remove_item(item_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The item was removed from the list."))
    return redirect("lists:detail", pk=model_list.pk)


@login_required
def confirm(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The bulk actions: GET asks for confirmation (the page without JS), POST does it."""
    if action not in CONFIRM_ACTIONS:
        raise Http404
    model_list = _get_list(request, pk)
    if request.method != "POST":
        return render(request, "lists/confirm.html",
                      {"model_list": model_list, "summary": model_list.summary(), "action": action})
    if action == "delete":
        model_list.delete()
        messages.success(request, _("The list “%(name)s” was deleted.") % {"name": model_list.name})
        return redirect("lists:index")
    if action == "download":
        _report_download(request, model_list.download_all(request.user))
    else:
        result = model_list.remove_local()
        messages.success(request, ngettext(
            "Removed %(count)d downloaded file and freed %(size)s.",
            "Removed %(count)d downloaded files and freed %(size)s.", len(result["removed"]),
        ) % {"count": len(result["removed"]), "size": filesizeformat(result["freed_bytes"])})
    return redirect("lists:detail", pk=model_list.pk)


def _report_download(request: HttpRequest, result: dict) -> None:
    count = len(result["queued"])
    messages.success(request, ngettext("%(count)d download was queued.", "%(count)d downloads were queued.", count)
                     % {"count": count})
    for skipped in result["skipped"]:
        messages.warning(request, skipped["message"])
    if result["storage"]["shortfall_bytes"]:
        messages.warning(request, _("Downloading the whole list needs %(shortfall)s more free space.")
                         % {"shortfall": filesizeformat(result["storage"]["shortfall_bytes"])})


@login_required
def export(request: HttpRequest, pk: int) -> HttpResponse:
    model_list = _get_list(request, pk)
    response = JsonResponse(model_list.export(), json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{model_list.export_filename()}"'
    return response


@login_required
@require_POST
def add_to_list(request: HttpRequest) -> HttpResponse:
    """The "Add to list" menu's target: add `repo` (+ `filename`) to a list, or to a new one.

    Without htmx it redirects back to `next` with a message; with htmx it answers the menu itself
    (templates/lists/_add_to_list.html), showing the result in its status line."""
    repo, filename = request.POST.get("repo", ""), request.POST.get("filename", "")
    choice, ok = request.POST.get("list", ""), False
    try:
        with transaction.atomic():  # a new list is kept only if the item could be added to it
            if choice == "new":
                model_list = ModelList.objects.create_list(request.user, request.POST.get("new_name"))
            else:
                model_list = ModelList.objects.get_owned(request.user, choice)
            item = model_list.add_item(repo, filename)
    except ModellaError as error:
        message = str(error.message)
    else:
        ok = True
        message = _("Added %(item)s to “%(name)s”.") % {"item": item.label, "name": model_list.name}
    if request.htmx:
        forget_user_lists(request)
        return render(request, "lists/_add_to_list.html",
                      {"repo": repo, "filename": filename, "atl_message": message, "atl_ok": ok,
                       "next_url": _next_url(request)})
    (messages.success if ok else messages.error)(request, message)
    return redirect(_next_url(request))
