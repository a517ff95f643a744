"""Catalog pages: Discover (add a model by name or link, search the Hub). Minimal by design:
the full ModelFiles UI is the web UI issue's; these pages call the same functions as the API."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import resolve, sync
from catalog.models import ModelRepository
from catalog.sources import huggingface
from modella.errors import ModellaError


@login_required
def discover(request: HttpRequest) -> HttpResponse:
    """Add a model by any accepted input, or search the Hub (`?q=`)."""
    query = request.GET.get("q", "").strip()
    results, error = [], None
    if query:
        try:
            results = huggingface.search(q=query, limit=20)["results"]
        except ModellaError as exc:
            error = exc.message
    repository = ModelRepository.objects.filter(repo=request.GET.get("repo", "")).first()
    return render(request, "catalog/discover.html", {
        "query": query, "results": results, "error": error, "repository": repository,
        "variants": repository.variants.order_by("role", "size") if repository else [],
        "accepted_forms": resolve.ACCEPTED_FORMS,
    })


@login_required
@require_POST
def add(request: HttpRequest) -> HttpResponse:
    """Resolve the pasted input, fetch the repository and show it on the Discover page."""
    try:
        resolved = resolve.parse(request.POST.get("input", ""))
        repository = sync.fetch_repository(resolved.repo, resolved.revision)
    except ModellaError as exc:
        messages.error(request, exc.message)
        return redirect("catalog:discover")
    messages.success(request, _("%(repo)s is in your catalog.") % {"repo": repository.repo})
    return redirect(f"{reverse('catalog:discover')}?{urlencode({'repo': repository.repo})}")


