"""Storage snapshots: the usage-over-time series behind the Storage page's chart.

`take()` records one now; the schedule calls it every SNAPSHOT_MINUTES, and deletions and
finished downloads call it too, so the chart shows steps where they happen. `thin()` keeps the
series small: every snapshot's hour keeps its latest snapshot for a week, then each day keeps
its latest.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from storage.models import StorageSnapshot
from storage.usage import usage

HOURLY_FOR = dt.timedelta(days=7)


def take() -> StorageSnapshot:
    """Record the current disk and library usage."""
    numbers = usage()
    return StorageSnapshot.objects.create(
        taken_at=timezone.now(),
        total_bytes=numbers["total_bytes"],
        used_bytes=numbers["used_bytes"],
        available_bytes=numbers["available_bytes"],
        models_bytes=numbers["models_bytes"],
        model_count=numbers["model_count"],
        by_source=numbers["by_source"],
    )


def _bucket(taken_at: dt.datetime, now: dt.datetime) -> tuple:
    moment = taken_at.astimezone(dt.UTC)
    if now - taken_at <= HOURLY_FOR:
        return ("hour", moment.replace(minute=0, second=0, microsecond=0))
    return ("day", moment.date())


def thin(now: dt.datetime | None = None) -> int:
    """Delete all but the latest snapshot of each hour (last week) or day (older); returns how many."""
    now = now or timezone.now()
    seen: set[tuple] = set()
    doomed: list[int] = []
    rows = StorageSnapshot.objects.order_by("-taken_at", "-pk").values_list("pk", "taken_at")
    for pk, taken_at in rows.iterator():
        bucket = _bucket(taken_at, now)
        if bucket in seen:
            doomed.append(pk)
        else:
            seen.add(bucket)
    # Chunks keep the IN (...) list under SQLite's variable limit.
    for start in range(0, len(doomed), 500):
        StorageSnapshot.objects.filter(pk__in=doomed[start : start + 500]).delete()
    return len(doomed)


def forecast_full(snapshots: list[StorageSnapshot], window: dt.timedelta = dt.timedelta(days=7)) -> dict | None:
    """When the disk fills at the recent rate: a least-squares line through `used_bytes`.

    Uses the snapshots of the last `window` before the newest one. Returns None without enough
    data (two points at least an hour apart), else {"rate_per_day", "full_at" (None when usage is
    flat or falling)}.
    """
    if len(snapshots) < 2:
        return None
    newest = max(s.taken_at for s in snapshots)
    recent = sorted((s for s in snapshots if newest - s.taken_at <= window), key=lambda s: s.taken_at)
    if len(recent) < 2 or (recent[-1].taken_at - recent[0].taken_at) < dt.timedelta(hours=1):
        return None
    origin = recent[0].taken_at
    xs = [(s.taken_at - origin).total_seconds() for s in recent]
    ys = [float(s.used_bytes) for s in recent]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread  # bytes/second
    last = recent[-1]
    result = {"rate_per_day": slope * 86400, "full_at": None}
    if slope > 0 and last.total_bytes > last.used_bytes:
        seconds = (last.total_bytes - last.used_bytes) / slope
        if seconds < 100 * 365 * 86400:
            result["full_at"] = last.taken_at + dt.timedelta(seconds=seconds)
    return result
