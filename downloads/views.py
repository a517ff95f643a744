"""The Downloads page: the queue with live progress, and the same actions as the API.

One page, one view; the htmx poll renders only its `queue` partial. Every action is a plain
form POST to /downloads/<id>/<action>/ that redirects back, so the page works without JS."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from downloads.api import stats
from downloads.models import PRIORITY_NAMES, DownloadJob, DownloadJobQuerySet
from modella.errors import ModellaError
from modella.responses import action_done

RECENT = 10


def queue_context(recent: int = RECENT) -> dict:
    """The queue as the Downloads page and the Models page's queue overlay show it."""
    active = list(DownloadJob.objects.active().run_order())
    running = [j for j in active if j.is_running]
    waiting = [j for j in active if j.status in ("queued", "paused")]
    live = bool(running or any(j.status == "queued" for j in waiting))
    return {
        "running": running,
        "waiting": waiting,
        "failed": [j for j in active if j.status == "failed"],
        "completed": list(DownloadJob.objects.recent_completed()[:recent]),
        "polling": live,
        "live": live,
    }


@login_required
def index(request: HttpRequest) -> HttpResponse:
    context = {**queue_context(), "priorities": list(PRIORITY_NAMES), "stats": stats()}
    template = "downloads/index.html#queue" if request.htmx else "downloads/index.html"
    return render(request, template, context)


def _act(request: HttpRequest, job_id: int, action, done: str) -> HttpResponse:
    job = get_object_or_404(DownloadJob, pk=job_id)
    try:
        action(job)
    except ModellaError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"file": job.filename})
    return action_done(request, fallback="downloads:index")


@login_required
@require_POST
def cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    """Cancel a queued or running download, or take a finished one off the queue."""
    finished = get_object_or_404(DownloadJob, pk=job_id).status in DownloadJobQuerySet.FINISHED
    done = _("%(file)s was removed from the queue.") if finished else _("The download of %(file)s was cancelled.")
    return _act(request, job_id, DownloadJob.cancel, done)


@login_required
@require_POST
def retry(request: HttpRequest, job_id: int) -> HttpResponse:
    return _act(request, job_id, DownloadJob.retry, _("%(file)s is queued again."))


@login_required
@require_POST
def pause(request: HttpRequest, job_id: int) -> HttpResponse:
    return _act(request, job_id, DownloadJob.pause, _("%(file)s is paused."))


@login_required
@require_POST
def resume(request: HttpRequest, job_id: int) -> HttpResponse:
    return _act(request, job_id, DownloadJob.resume, _("%(file)s is queued again."))


@login_required
@require_POST
def priority(request: HttpRequest, job_id: int) -> HttpResponse:
    value = request.POST.get("priority", "")
    if value not in PRIORITY_NAMES:
        messages.error(request, _("Choose a priority: low, normal, high or urgent."))
        return action_done(request, fallback="downloads:index")
    return _act(request, job_id, lambda job: job.set_priority(value), _("Priority of %(file)s changed."))
