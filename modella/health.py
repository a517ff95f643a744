"""Worker liveness and hub reachability, as shown in the page header and GET /api/v1/status."""

from datetime import timedelta

from django.utils import timezone

from modella.models import Heartbeat, HubState

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
