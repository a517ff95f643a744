"""Discover → Hugging Face packages: the curated featured models as a tree by category, each
downloadable in one click (the same `FeaturedModel.download()` the carousel's Try now runs)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.featured_api import featured_data
from catalog.models import FeaturedModel
from modella.errors import ModellaError
from modella.responses import action_done, error_text


@login_required
def packages(request: HttpRequest) -> HttpResponse:
    entries = [featured_data(f) for f in FeaturedModel.objects.published().select_related("repository")
               .prefetch_related("repository__variants")]
    # Categories in the order of their definition, each with its entries in the admin's order.
    tree = [(value, label, [e for e in entries if e["category"] == value])
            for value, label in FeaturedModel.Category.choices]
    return render(request, "catalog/packages.html", {"tree": [branch for branch in tree if branch[2]]})


@login_required
@require_POST
def package_download(request: HttpRequest, slug: str) -> HttpResponse:
    featured = get_object_or_404(FeaturedModel.objects.published(), slug=slug)
    try:
        job = featured.download(user=request.user)
    except ModellaError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("%(filename)s was added to the download queue.") % {"filename": job.filename})
    return action_done(request, fallback="catalog:packages")
