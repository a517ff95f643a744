"""The Models page and everything that opens from it: the Download model dialog, the details
overlay, the queue overlay, the featured carousel, the onboarding tour and the completion notices.

Views are thin: the catalog's own listing (catalog.api.catalog_queryset) filters and sorts, the
queue (downloads.queue.enqueue) and the job's methods do the work. Each page is one view and one
template; for htmx the view renders the template's named partial. Every action is a POST form
that works without JavaScript (redirect back) and, with htmx, answers with the notices fragment
plus an `HX-Trigger` that makes the page refresh what changed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import quant, resolve, sync
from catalog.api import SORTS, catalog_queryset, storage_block
from catalog.models import SIZE_BUCKETS, VARIANT_STATUSES, FeaturedModel, ModelRepository, ModelVariant
from downloads import queue
from downloads.models import DownloadJob
from downloads.views import queue_context
from modella import fragments
from modella.errors import ModellaError
from modella.forms import DownloadForm, LookupForm
from modella.models import UserSettings
from modella.responses import action_done, error_text
from storage import disk
from storage.templatetags.storage_tags import format_size

PAGE_SIZE = 20
FILTER_KEYS = ("family", "size", "status", "search", "sort")
DEFAULT_SORT = "repo"
TOUR_STEPS = 4


# --- helpers ---------------------------------------------------------------------------------------
def _families() -> list[str]:
    # order_by(): the model's default ordering would add `repo` to the DISTINCT (one row a repository).
    rows = ModelRepository.objects.exclude(family="").order_by().values_list("family", flat=True).distinct()
    return sorted({f.lower() for f in rows})


def _read_filters(params: QueryDict, families: list[str]) -> dict:
    """The request's filters with unknown values dropped: a stale bookmark never gets an error page."""
    return {
        "family": [v for v in dict.fromkeys(params.getlist("family")) if v in families],
        "size": [v for v in dict.fromkeys(params.getlist("size")) if v in SIZE_BUCKETS],
        "status": [v for v in dict.fromkeys(params.getlist("status")) if v in VARIANT_STATUSES],
        "search": params.get("search", "").strip()[:200],
        "sort": params.get("sort") if params.get("sort") in SORTS else DEFAULT_SORT,
    }


def _is_default(filters: dict) -> bool:
    return not any(filters[k] for k in ("family", "size", "status", "search")) and filters["sort"] == DEFAULT_SORT


def _as_query(filters: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        values = filters.get(key) or []
        query.setlist(key, values if isinstance(values, list) else [values])
    return query


def decorate(variants) -> list[ModelVariant]:
    """Attach what the variants table shows: status, job and speed/memory/quality ratings."""
    variants = list(variants)
    for variant in variants:
        variant.ui_status, variant.ui_job = variant.status_and_job()
        kind = quant.QUANTS.get(variant.quant_method, (0, ""))[1]
        variant.ui_ratings = quant.ratings(variant.quant_bits, kind)
    return variants


def _with_variants(repositories) -> list[ModelRepository]:
    for repository in repositories:
        repository.ui_variants = decorate(repository.variants.all())
    return repositories


def _repository_variants(repository: ModelRepository) -> list[ModelVariant]:
    jobs = DownloadJob.objects.active().order_by("-created_at")
    return decorate(repository.variants.order_by("role", "size", "filename").prefetch_related(
        Prefetch("download_jobs", queryset=jobs, to_attr="active_jobs")))


def space_available() -> int:
    """What a new download may use: free space minus queued bytes minus the reserve (the queue's rule)."""
    return max(0, disk.free_bytes() - queue.queued_bytes() - settings.STORAGE_RESERVE_BYTES)




def _queue_counts() -> dict:
    counts = DownloadJob.objects.active().status_counts()
    running = counts.get("downloading", 0) + counts.get("verifying", 0)
    waiting = counts.get("queued", 0) + counts.get("paused", 0)
    return {"running": running, "waiting": waiting, "failed": counts.get("failed", 0),
            "total": running + waiting + counts.get("failed", 0), "live": running + waiting > 0}


def _featured(user_settings: UserSettings) -> list[FeaturedModel]:
    """Published featured models, unless the user dismissed them and nothing newer has appeared."""
    if not user_settings.show_featured:
        return []
    items = list(FeaturedModel.objects.published().select_related("repository"))
    dismissed = user_settings.featured_dismissed_at
    if dismissed and not any(item.published_at > dismissed for item in items):
        return []
    return items



def _enqueue(request: HttpRequest, variant: ModelVariant, priority: str = "normal") -> bool:
    try:
        queue.enqueue(variant, priority=priority, user=request.user)
    except ModellaError as exc:
        messages.error(request, error_text(exc))
        return False
    messages.success(request, _("%(filename)s was added to the download queue.") % {"filename": variant.filename})
    return True


# --- the Models page -------------------------------------------------------------------------------
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The Models page: storage strip, featured carousel, filters and the repository cards."""
    user_settings = UserSettings.for_user(request.user)
    if request.GET.get("clear"):
        user_settings.model_filters = {}
        user_settings.save(update_fields=["model_filters"])
        return redirect("home")
    families = _families()
    if any(key in request.GET for key in FILTER_KEYS):
        filters = _read_filters(request.GET, families)
        remembered = {} if _is_default(filters) else filters
        if remembered != user_settings.model_filters:
            user_settings.model_filters = remembered
            user_settings.save(update_fields=["model_filters"])
    elif user_settings.model_filters:
        # Last visit's filters, put into the URL so it can be bookmarked and reloaded as shown.
        query = _as_query(_read_filters(_as_query(user_settings.model_filters), families))
        if "page" in request.GET:
            query["page"] = request.GET["page"]
        return redirect(f"{reverse('home')}?{query.urlencode()}")
    else:
        filters = _read_filters(QueryDict(), families)
    repositories = catalog_queryset(SimpleNamespace(query_params=_as_query(filters)))
    page = Paginator(repositories, PAGE_SIZE).get_page(request.GET.get("page"))
    _with_variants(page.object_list)
    fragments.card_keys(request, page.object_list)  # the cards' cache keys (modella.fragments)
    context = {
        "page": page, "filters": filters, "families": families, "sizes": SIZE_CHOICES(),
        "statuses": STATUS_CHOICES(), "sorts": SORT_CHOICES(), "queue_counts": _queue_counts(),
        "filter_count": sum(len(filters[k]) for k in ("family", "size", "status")),
    }
    if request.htmx and request.htmx.target == "results":
        return render(request, "modella/home.html#results", context)
    context.update({
        # The strip needs four numbers: storage_block() counts them with indexed queries, where
        # disk.usage() reads every downloaded variant (and its header) and stats its files.
        "storage": storage_block(), "featured": _featured(user_settings), "user_settings": user_settings,
        "tour_step": user_settings.onboarding_step if not user_settings.onboarding_done else 0,
        "show_welcome": not user_settings.onboarding_done and user_settings.onboarding_step == 0,
        "tour_steps": TOUR_STEPS,
    })
    return render(request, "modella/home.html", context)


def SIZE_CHOICES() -> list[tuple[str, str]]:  # noqa: N802 - a constant that needs the active language
    return [("xs", _("XS · under 2 GB")), ("s", _("S · 2–5 GB")), ("m", _("M · 5–10 GB")),
            ("l", _("L · 10–30 GB")), ("xl", _("XL · over 30 GB"))]


def STATUS_CHOICES() -> list[tuple[str, str]]:  # noqa: N802
    return [("downloaded", _("Downloaded")), ("downloading", _("Downloading")), ("queued", _("Queued")),
            ("failed", _("Failed")), ("available", _("Available"))]


def SORT_CHOICES() -> list[tuple[str, str]]:  # noqa: N802
    return [("repo", _("Name, A to Z")), ("-repo", _("Name, Z to A")), ("-likes", _("Most liked")),
            ("likes", _("Least liked")), ("-size", _("Largest first")), ("size", _("Smallest first")),
            ("-updated", _("Recently updated")), ("updated", _("Least recently updated"))]


@login_required
def storage_strip(request: HttpRequest) -> HttpResponse:
    """The dashboard strip alone (refreshed after downloads start, finish or are deleted)."""
    return render(request, "modella/home.html#strip", {"storage": storage_block(), "queue_counts": _queue_counts()})


# --- the Download model dialog ---------------------------------------------------------------------
@login_required
def add_model(request: HttpRequest) -> HttpResponse:
    """Download model: look up a repo name or link, preview it, pick a variant and queue it.

    A dialog on the Models page (htmx loads `#dialog`, typing refreshes `#result`) and a full page
    at the same URL without JavaScript."""
    lookup = LookupForm(request.POST if request.method == "POST" else (request.GET or None))
    download = DownloadForm(request.POST) if request.method == "POST" else None
    repository, selected, error = None, None, ""
    if download is not None and download.is_valid():
        variant = download.cleaned_data["variant"]
        try:
            queue.enqueue(variant, priority=download.cleaned_data["priority"], user=request.user)
        except ModellaError as exc:
            error = error_text(exc)  # shown in the dialog, beside the choice it refuses
            repository, selected = variant.repository, variant.filename
        else:
            messages.success(request, _("%(filename)s was added to the download queue.")
                             % {"filename": variant.filename})
            return action_done(request, close_dialog=True)
    elif lookup.is_bound and lookup.is_valid():
        resolved = lookup.cleaned_data["input"]
        try:
            repository = sync.fetch_repository(resolved.repo, resolved.revision)
        except ModellaError as exc:
            lookup.add_error("input", error_text(exc))
        selected = resolved.filename
    context = {"lookup": lookup, "download": download, "error": error, "space_available": space_available(),
               "priorities": DownloadForm.PRIORITIES}
    if repository is not None:
        variants = _repository_variants(repository)
        repository.ui_variants = variants
        chosen = (next((v for v in variants if v.filename == selected), None)
                  or next((v for v in variants if v.is_recommended), None) or next(iter(variants), None))
        context.update({"repository": repository, "chosen": chosen})
    target = request.htmx.target if request.htmx else None
    if target == "add-result":
        return render(request, "modella/add_model.html#result", context)
    if target == "add-body":
        return render(request, "modella/add_model.html#dialog", context)
    return render(request, "modella/add_model.html", context)


@login_required
@require_POST
def download_variant(request: HttpRequest, pk: int) -> HttpResponse:
    """[Download] in a variants table: queue this file at normal priority."""
    _enqueue(request, get_object_or_404(ModelVariant.objects.select_related("repository"), pk=pk))
    return action_done(request)


@login_required
@require_POST
def delete_variant(request: HttpRequest, pk: int) -> HttpResponse:
    variant = get_object_or_404(ModelVariant, pk=pk)
    try:
        freed = variant.remove_local_files()
    except ModellaError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("%(filename)s was deleted; %(size)s freed.")
                         % {"filename": variant.filename, "size": format_size(freed)})
    return action_done(request)



# --- queue overlay -------------------------------------------------------------------------------
@login_required
def queue_overlay(request: HttpRequest) -> HttpResponse:
    """The queue: running, waiting (in run order), failed and recently completed downloads.

    Polls itself every 1.5 s only while something is queued or running."""
    context = queue_context(recent=5)
    context["priorities"] = DownloadForm.PRIORITIES
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "modella/queue.html#queue", context)
    return render(request, "modella/queue.html", context)


# --- details overlay -------------------------------------------------------------------------------
@login_required
def model_details(request: HttpRequest, repo: str) -> HttpResponse:
    """Everything about one repository: metadata, ratings, variants, links. An overlay with htmx."""
    repository = ModelRepository.objects.filter(repo=repo).first()
    if repository is None:
        try:
            repository = sync.fetch_repository(resolve.parse(repo).repo)
        except ModellaError as exc:
            raise Http404(str(exc.message)) from exc
    variants = _repository_variants(repository)
    repository.ui_variants = variants
    recommended = next((v for v in variants if v.is_recommended), None) or next(iter(variants), None)
    links = {k: v for k, v in (repository.links or {}).items() if v}
    links.setdefault("huggingface" if repository.source == "huggingface" else repository.source, repository.hub_url)
    context = {"repository": repository, "recommended": recommended, "links": links,
               "parameters": quant.size_label(recommended.parameters) if recommended else ""}
    if request.htmx and request.htmx.target == "details-body":
        return render(request, "modella/details.html#details", context)
    return render(request, "modella/details.html", context)


# --- featured models -------------------------------------------------------------------------------

@login_required
@require_POST
def featured_dismiss(request: HttpRequest) -> HttpResponse:
    UserSettings.objects.filter(pk=UserSettings.for_user(request.user).pk).update(featured_dismissed_at=timezone.now())
    messages.info(request, _("Featured models are hidden until a new one is published. Settings can show them again."))
    return action_done(request, remove=("featured",))


# --- onboarding ------------------------------------------------------------------------------------
@login_required
@require_POST
def onboarding(request: HttpRequest) -> HttpResponse:
    """The welcome banner and the 4-step tour: dismiss, start, next, back, skip, finish, restart."""
    user_settings = UserSettings.for_user(request.user)
    action = request.POST.get("action")
    step = user_settings.onboarding_step
    if action in ("start", "restart"):
        user_settings.onboarding_done, step = False, 1
    elif action == "next" and step < TOUR_STEPS:
        step += 1
    elif action == "back" and step > 1:
        step -= 1
    else:  # dismiss, skip, finish
        user_settings.onboarding_done = True
    user_settings.onboarding_step = step if not user_settings.onboarding_done else 0
    user_settings.save(update_fields=["onboarding_done", "onboarding_step"])
    target = reverse("home")
    if not user_settings.onboarding_done:
        target += f"#tour-step-{step}"
    return redirect(target)


# --- completion notices ----------------------------------------------------------------------------
@login_required
def notices(request: HttpRequest) -> HttpResponse:
    """Downloads that finished or failed since `since`: polled by every page while any is live."""
    try:
        since = datetime.fromtimestamp(float(request.GET.get("since", "")), tz=UTC)
    except (ValueError, OverflowError, OSError):
        since = timezone.now()
    finished = list(DownloadJob.objects.filter(status__in=("completed", "failed"), finished_at__gt=since)
                    .order_by("finished_at")[:10])
    response = render(request, "modella/_notices.html", {"finished_jobs": finished, "poller_oob": True,
                                                           "notices_since": f"{time.time():.3f}"})
    if finished:
        response["HX-Trigger"] = "modella:changed"
    return response

