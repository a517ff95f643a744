"""Worker liveness and hub reachability, as shown in the page header and GET /api/v1/status.

Hub reachability is a circuit breaker per hub, kept in HubState so that web and workers share it:
after HUB_FAILURE_THRESHOLD failures in a row (connection errors, timeouts, 5xx) the hub is
"down since T, retrying at T + backoff". Until then catalog calls fail fast with
upstream_unavailable (`guard`) and downloads are queued again for `retry_at` (downloads.engine);
after it, one call goes through, and the first success closes the breaker (`record_success`).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modella.errors import UpstreamUnavailable
from modella.models import Heartbeat, HubState

log = logging.getLogger(__name__)
MAX_RETRY_SECONDS = 30 * 60
HUB_NAMES = {"huggingface": gettext_lazy("Hugging Face"), "civitai": gettext_lazy("Civitai")}

WORKER_STALE_AFTER = timedelta(minutes=3)
HUBS = ("huggingface", "civitai")


def beat(name: str = "worker") -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})


def worker_status() -> dict:
    row = Heartbeat.objects.filter(name="worker").first()
    alive = bool(row and timezone.now() - row.at < WORKER_STALE_AFTER)
    return {"alive": alive, "last_heartbeat": row.at.isoformat().replace("+00:00", "Z") if row else None}


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def hub_status() -> dict:
    states = {s.hub: s for s in HubState.objects.filter(hub__in=HUBS)}
    result = {}
    for hub in HUBS:
        state = states.get(hub)
        down = bool(state and state.down_since)
        result[hub] = {
            "reachable": not down,
            "since": _iso(state.down_since) if down else None,
            "retry_at": _iso(state.retry_at) if down else None,
        }
    return result


# --- the circuit breaker ------------------------------------------------------------------------
def _threshold() -> int:
    return max(1, int(getattr(settings, "HUB_FAILURE_THRESHOLD", 3)))


def record_failure(hub: str) -> None:
    """One more failure in a row; at the threshold the hub is down until `retry_at`.

    Bookkeeping never replaces the real error: a database problem here is logged and ignored."""
    try:
        now = timezone.now()
        state, _created = HubState.objects.get_or_create(hub=hub)
        state.failures += 1
        if state.failures >= _threshold():
            if state.down_since is None:
                log.warning("%s unreachable after %s failures in a row", hub, state.failures)
            state.down_since = state.down_since or now
            extra = state.failures - _threshold()
            seconds = min(MAX_RETRY_SECONDS, int(getattr(settings, "HUB_RETRY_SECONDS", 180)) * 2 ** min(extra, 10))
            state.retry_at = now + timedelta(seconds=seconds)
        state.save()
    except DatabaseError:
        log.debug("could not record a failure of %s", hub, exc_info=True)


def record_success(hub: str) -> None:
    """The hub answered: the breaker closes (a no-op write-free query when it was closed)."""
    try:
        closed = HubState.objects.filter(hub=hub, failures__gt=0).update(failures=0, down_since=None, retry_at=None)
        if closed:
            log.info("%s reachable again", hub)
    except DatabaseError:
        log.debug("could not record %s as reachable", hub, exc_info=True)


def open_until(hub: str) -> datetime | None:
    """`retry_at` while the breaker is open (calls must not go out), else None."""
    try:
        state = HubState.objects.filter(hub=hub, down_since__isnull=False).only("retry_at").first()
    except DatabaseError:
        return None
    if state is None or state.retry_at is None or state.retry_at <= timezone.now():
        return None
    return state.retry_at


def guard(hub: str) -> None:
    """Raise upstream_unavailable at once while the hub's breaker is open (no call goes out)."""
    retry_at = open_until(hub)
    if retry_at is None:
        return
    state = HubState.objects.filter(hub=hub).first()
    since = state.down_since if state else None
    raise UpstreamUnavailable(
        _("%(hub)s is unreachable since %(since)s; Modella will try again at %(retry_at)s.") % {
            "hub": HUB_NAMES.get(hub, hub),
            "since": formats.time_format(timezone.localtime(since)) if since else "?",
            "retry_at": formats.time_format(timezone.localtime(retry_at)),
        },
        details={"hub": hub, "reason": "circuit_open", "since": _iso(since), "retry_at": _iso(retry_at)},
    )


def hubs_down() -> list[dict]:
    """The hubs currently marked down, for the page header: [{"name", "since", "retry_at"}]."""
    try:
        states = list(HubState.objects.filter(hub__in=HUBS, down_since__isnull=False).order_by("hub"))
    except DatabaseError:
        return []
    return [{"hub": s.hub, "name": HUB_NAMES.get(s.hub, s.hub), "since": s.down_since, "retry_at": s.retry_at}
            for s in states]
