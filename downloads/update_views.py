"""The Updates page: every downloaded file with something newer, "update selected" with a policy,
"check now", and the summary of the last run (polled with htmx while its downloads run).

Plain form POSTs that redirect back, so it works without JavaScript; the work is in
catalog.updates and downloads.updates, which the API calls too."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from catalog import updates as catalog_updates
from downloads import updates
from downloads.models import UpdateRun
from modella.errors import ModellaError
from modella.ids import parse_id

FINISHED = ("completed", "failed", "cancelled")


def _run(request: HttpRequest) -> UpdateRun | None:
    run_id = parse_id(request.GET.get("run", ""))
    return UpdateRun.objects.filter(pk=run_id).first() if run_id is not None else None


@login_required
def index(request: HttpRequest) -> HttpResponse:
    run = _run(request)
    items = list(run.items.select_related("job")) if run else []
    live = any(i.job and i.job.status not in FINISHED for i in items)
    if request.htmx and run:
        return render(request, "downloads/updates.html#summary", {"run": run, "items": items, "polling": live})
    return render(request, "downloads/updates.html", {
        "updates": catalog_updates.pending(), "policies": UpdateRun.Policy.choices,
        "policy": run.policy if run else "replace", "run": run, "items": items, "polling": live,
    })


@login_required
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    """"Update selected" (or "Update all"): queue the updates with the chosen policy."""
    if request.POST.get("scope") == "all":
        chosen = [u.variant.pk for u in catalog_updates.pending()]
    else:
        chosen = request.POST.getlist("variant")
    try:
        run = updates.apply(chosen, request.POST.get("policy", ""), user=request.user)
    except ModellaError as exc:
        messages.error(request, exc.message)
        return redirect("downloads:updates")
    queued = run.items.filter(outcome="queued").count()
    skipped = run.items.filter(outcome="skipped").count()
    if queued:
        messages.success(request, ngettext("%(count)s update is queued.", "%(count)s updates are queued.", queued)
                         % {"count": queued})
    if skipped:
        messages.warning(request, ngettext("%(count)s file was skipped: the summary says why.",
                                           "%(count)s files were skipped: the summary says why.", skipped)
                         % {"count": skipped})
    return redirect(f"{reverse('downloads:updates')}?run={run.pk}")


@login_required
@require_POST
def check(request: HttpRequest) -> HttpResponse:
    """"Check now": the same check the schedule runs, while the user waits."""
    found = catalog_updates.check_all()
    messages.info(request, ngettext("Update check done: %(count)s repository has updates.",
                                    "Update check done: %(count)s repositories have updates.", found)
                  % {"count": found})
    return redirect("downloads:updates")
