"""The "Whole repository" choice of the model details dialog: a preview and the download.

Without JavaScript the preview is a page of its own (the form submits to it); with htmx the
pattern fields refresh the preview in place and the download reports through the notices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from catalog import whole_repo
from catalog.models import ModelRepository
from modella.errors import ModellaError
from modella.responses import action_done, error_text


def _repository(repo: str) -> ModelRepository:
    repository = ModelRepository.objects.filter(repo=repo).first()
    if repository is None or repository.source != "huggingface":
        raise Http404(_("%(repo)s is not in the catalog.") % {"repo": repo})
    return repository


@login_required
def whole_repository(request: HttpRequest, repo: str) -> HttpResponse:
    repository = _repository(repo)
    if request.method == "POST" and request.POST.get("action") != "preview":
        try:
            job = whole_repo.enqueue(repository, request.POST.get("include", ""), request.POST.get("exclude", ""),
                                     user=request.user)
        except ModellaError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("%(repo)s was added to the download queue: %(count)s files.")
                             % {"repo": repository.repo, "count": len(job.files)})
        return action_done(request)
    # Preview without JavaScript posts the form (a GET would put the CSRF token in the URL).
    data = request.POST if request.method == "POST" else request.GET
    include_text, exclude_text = data.get("include", ""), data.get("exclude", "")
    context = {"repository": repository, "include_text": include_text, "exclude_text": exclude_text}
    try:
        context["preview"] = whole_repo.preview(repository, whole_repo.parse_patterns(include_text, "include"),
                                                whole_repo.parse_patterns(exclude_text, "exclude"))
    except ModellaError as exc:
        context["preview_error"] = error_text(exc)
    if request.htmx:
        return render(request, "catalog/whole_repository.html#preview", context)
    return render(request, "catalog/whole_repository.html", {**context, "standalone": True})
