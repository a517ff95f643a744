"""The App folders pages. Thin views: the rules are in links.registry, which the API calls too.

Every page works without JavaScript: forms POST and redirect with a message; "Use this app's
folders" re-renders the form with the chosen app's default mapping (static/js/links.js fills the
fields as soon as the app is chosen).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from links import registry
from links.models import AppFolder
from modella.errors import ModellaError
from modella.security import staff_required

MAPPING_PREFIX = "map_"
staff_only = staff_required(registry.STAFF_ONLY)


class AppFolderForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("App"), choices=AppFolder.Kind.choices)
    root = forms.CharField(label=gettext_lazy("Folder"), max_length=1000, help_text=gettext_lazy(
        "The app's own folder as an absolute path: ComfyUI's or the WebUI's install folder, InvokeAI's root "
        "(which holds autoimport/), or LM Studio's models folder."))
    link_mode = forms.ChoiceField(label=gettext_lazy("Links"), choices=AppFolder.LinkMode.choices)
    enabled = forms.BooleanField(label=gettext_lazy("Link new downloads and imports into this app"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in registry.CATEGORIES.items():
            self.fields[MAPPING_PREFIX + key] = forms.CharField(label=label, max_length=300, required=False)

    def mapping_fields(self):
        return [self[MAPPING_PREFIX + key] for key in registry.CATEGORIES]

    def main_fields(self):
        return [self[name] for name in ("name", "kind", "root", "link_mode", "enabled")]

    def clean(self):
        data = super().clean()
        for key in registry.CATEGORIES:
            name = MAPPING_PREFIX + key
            if name in data:
                try:
                    data[name] = registry.clean_folder(data[name])
                except ModellaError as error:
                    self.add_error(name, str(error.message))
        return data

    def values(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "kind": data["kind"], "root": data["root"], "link_mode": data["link_mode"],
                "enabled": data["enabled"],
                "mapping": {key: data[MAPPING_PREFIX + key] for key in registry.CATEGORIES}}


def initial_for(app: AppFolder | None = None, kind: str = AppFolder.Kind.COMFYUI) -> dict:
    if app is not None:
        kind, mapping = app.kind, {**registry.default_mapping(""), **app.mapping}
        initial = {"name": app.name, "kind": kind, "root": app.root, "link_mode": app.link_mode,
                   "enabled": app.enabled}
    else:
        mapping = registry.default_mapping(kind)
        initial = {"kind": kind, "link_mode": AppFolder.LinkMode.AUTO, "enabled": True}
    initial.update({MAPPING_PREFIX + key: value for key, value in mapping.items()})
    return initial


def _with_defaults(request: HttpRequest) -> AppFolderForm:
    """The submitted form with the chosen app's default folders in place of the mapping."""
    data = request.POST.copy()
    kind = data.get("kind") if data.get("kind") in AppFolder.Kind.values else AppFolder.Kind.CUSTOM
    for key, value in registry.default_mapping(kind).items():
        data[MAPPING_PREFIX + key] = value
    return AppFolderForm(initial=data.dict())


def _save(request: HttpRequest, form: AppFolderForm, app: AppFolder | None) -> AppFolder | None:
    if not form.is_valid():
        return None
    try:
        return registry.save_app(app, form.values())
    except ModellaError as error:
        field = error.details.get("field")
        form.add_error(field if field in form.fields else None, str(error.message))
        return None


def _render_form(request: HttpRequest, form: AppFolderForm, app: AppFolder | None) -> HttpResponse:
    defaults = {kind: registry.default_mapping(kind) for kind in AppFolder.Kind.values}
    return render(request, "links/form.html", {"form": form, "app": app, "defaults_json": json.dumps(defaults),
                                               "mapping_prefix": MAPPING_PREFIX},
                  status=400 if form.errors else 200)


@staff_only
def index(request: HttpRequest) -> HttpResponse:
    apps = AppFolder.objects.annotate(link_count=Count("links")).order_by("name")
    return render(request, "links/index.html", {"apps": apps})


@staff_only
def add(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and "use_defaults" in request.POST:
        return _render_form(request, _with_defaults(request), None)
    if request.method == "POST":
        form = AppFolderForm(request.POST)
        app = _save(request, form, None)
        if app is not None:
            messages.success(request, _("The app folder “%(name)s” was added. Check it, then link your "
                                        "models.") % {"name": app.name})
            return redirect("links:health", pk=app.pk)
        return _render_form(request, form, None)
    kind = request.GET.get("kind") if request.GET.get("kind") in AppFolder.Kind.values else AppFolder.Kind.COMFYUI
    return _render_form(request, AppFolderForm(initial=initial_for(kind=kind)), None)


@staff_only
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(AppFolder, pk=pk)
    if request.method == "POST" and "use_defaults" in request.POST:
        return _render_form(request, _with_defaults(request), app)
    if request.method == "POST":
        form = AppFolderForm(request.POST)
        if _save(request, form, app) is not None:
            messages.success(request, _("The app folder “%(name)s” was saved.") % {"name": app.name})
            return redirect("links:health", pk=app.pk)
        app.refresh_from_db()
        return _render_form(request, form, app)
    return _render_form(request, AppFolderForm(initial=initial_for(app)), app)


@staff_only
def health(request: HttpRequest, pk: int) -> HttpResponse:
    """The app's links: what the health check finds, with Repair and Link all now."""
    app = get_object_or_404(AppFolder, pk=pk)
    findings = registry.check(app)
    return render(request, "links/health.html", {
        "app": app, "findings": findings, "link_count": app.links.count(),
        "repairable": sum(f.repairable for f in findings), "kinds": registry.FINDING_KINDS,
    })


@staff_only
@require_POST
def repair(request: HttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(AppFolder, pk=pk)
    try:
        result = registry.repair(app)
    except ModellaError as error:
        messages.error(request, str(error.message))
        return redirect("links:health", pk=app.pk)
    messages.success(request, ngettext("Repaired %(count)d problem.", "Repaired %(count)d problems.", result.fixed)
                     % {"count": result.fixed})
    _report_problems(request, result.report)
    if result.remaining:
        messages.warning(request, ngettext(
            "%(count)d finding is left for you: Modella never touches files it did not make.",
            "%(count)d findings are left for you: Modella never touches files it did not make.",
            len(result.remaining)) % {"count": len(result.remaining)})
    return redirect("links:health", pk=app.pk)


@staff_only
@require_POST
def link_all(request: HttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(AppFolder, pk=pk)
    report = registry.link_all(app)
    messages.success(request, ngettext("Linked %(count)d file.", "Linked %(count)d files.", len(report.linked))
                     % {"count": len(report.linked)})
    _report_problems(request, report)
    return redirect("links:health", pk=app.pk)


def _report_problems(request: HttpRequest, report: registry.Report) -> None:
    for outcome in (report.conflicts + report.errors)[:10]:
        messages.warning(request, outcome.message)


@staff_only
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation, POST removes the app's links (ours only) and the app."""
    app = get_object_or_404(AppFolder, pk=pk)
    if request.method != "POST":
        return render(request, "links/confirm_delete.html", {"app": app, "link_count": app.links.count()})
    removed = registry.remove_app(app)
    messages.success(request, ngettext(
        "The app folder “%(name)s” was removed with %(count)d link.",
        "The app folder “%(name)s” was removed with %(count)d links.", removed) % {"name": app.name, "count": removed})
    return redirect("links:index")
