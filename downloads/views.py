"""The Downloads page: the queue with live progress, and the same actions as the API.

One page, one view; the htmx poll renders only its `queue` partial. Every action is a plain
form POST to /downloads/<id>/<action>/ that redirects back, so the page works without JS."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from downloads.api import stats
from downloads.models import PRIORITY_NAMES, DownloadJob
from modella.errors import ModellaError

RECENT = 10


@login_required
def index(request: HttpRequest) -> HttpResponse:
    active = list(DownloadJob.objects.active().run_order())
    running = [j for j in active if j.is_running]
    waiting = [j for j in active if j.status in ("queued", "paused")]
    failed = [j for j in active if j.status == "failed"]
    context = {
        "running": running,
        "waiting": waiting,
        "failed": failed,
        "completed": DownloadJob.objects.recent_completed()[:RECENT],
        "polling": bool(running or any(j.status == "queued" for j in waiting)),
        "priorities": list(PRIORITY_NAMES),
        "stats": stats(),
    }
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
    return redirect("downloads:index")


@login_required
@require_POST
def cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    return _act(request, job_id, DownloadJob.cancel, _("Cancelled or removed %(file)s."))


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
        return redirect("downloads:index")
    return _act(request, job_id, lambda job: job.set_priority(value), _("Priority of %(file)s changed."))
