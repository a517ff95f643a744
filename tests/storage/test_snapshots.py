"""Storage snapshots: taken on a schedule and after changes, thinned hourly for a week then daily."""

import datetime as dt

import pytest
from django.utils import timezone
from django_q.models import Schedule

from modella import schedules
from storage import library, snapshots
from storage.models import StorageSnapshot
from storage.usage import known_entries
from tests.factories import StorageSnapshotFactory

pytestmark = pytest.mark.django_db

MB = 1024**2


def test_take_records_the_current_usage(downloaded_variant):
    downloaded_variant("a/b/model.gguf", 3 * MB)
    snapshot = snapshots.take()
    assert snapshot.model_count == 1 and snapshot.models_bytes == 3 * MB
    assert snapshot.total_bytes > 0 and snapshot.available_bytes > 0
    assert snapshot.by_source["huggingface"] == 3 * MB


def test_the_snapshot_task_is_scheduled_every_configured_interval(settings):
    schedules.ensure()
    row = Schedule.objects.get(func="storage.tasks.take_snapshot")
    assert row.schedule_type == Schedule.MINUTES and row.minutes == settings.SNAPSHOT_MINUTES == 60
    assert Schedule.objects.filter(func="storage.tasks.thin_snapshots").exists()


def test_the_scheduled_task_takes_a_snapshot():
    from storage import tasks

    tasks.take_snapshot()
    assert StorageSnapshot.objects.count() == 1


def test_deleting_a_model_takes_a_snapshot(downloaded_variant):
    downloaded_variant("a/b/model.gguf", 3 * MB)
    library.remove_entry(known_entries()[0])
    assert StorageSnapshot.objects.latest().model_count == 0


def test_thinning_keeps_the_latest_of_each_hour_for_a_week_then_of_each_day():
    now = timezone.now().replace(minute=30, second=0, microsecond=0)
    recent = [now - dt.timedelta(hours=2, minutes=m) for m in (0, 10, 20)]  # one hour bucket
    old = [now - dt.timedelta(days=10, hours=h) for h in (0, 1, 2)]  # possibly two days
    for moment in recent + old:
        StorageSnapshotFactory(taken_at=moment)
    StorageSnapshotFactory(taken_at=now)

    snapshots.thin(now)

    kept = set(StorageSnapshot.objects.values_list("taken_at", flat=True))
    assert now in kept
    assert recent[0] in kept and recent[1] not in kept and recent[2] not in kept
    old_kept = [t for t in kept if t < now - dt.timedelta(days=7)]
    assert len(old_kept) == len({t.date() for t in old})
    assert old[0] in kept  # the latest of its day


def test_thinning_twice_changes_nothing_more():
    now = timezone.now()
    for minutes in range(0, 600, 7):
        StorageSnapshotFactory(taken_at=now - dt.timedelta(minutes=minutes))
    snapshots.thin(now)
    count = StorageSnapshot.objects.count()
    assert 10 <= count <= 12
    assert snapshots.thin(now) == 0


def test_the_forecast_says_when_the_disk_fills_at_the_recent_rate():
    now = timezone.now()
    series = [
        StorageSnapshot(taken_at=now - dt.timedelta(days=d), total_bytes=1000, used_bytes=500 - 10 * d,
                        available_bytes=500 + 10 * d)
        for d in (3, 2, 1, 0)
    ]
    forecast = snapshots.forecast_full(series)
    assert forecast["rate_per_day"] == pytest.approx(10)
    assert forecast["full_at"] == pytest.approx(now + dt.timedelta(days=50), abs=dt.timedelta(minutes=1))


def test_no_forecast_without_growth_or_history():
    now = timezone.now()
    flat = [StorageSnapshot(taken_at=now - dt.timedelta(days=d), total_bytes=10, used_bytes=5, available_bytes=5)
            for d in (1, 0)]
    assert snapshots.forecast_full(flat)["full_at"] is None
    assert snapshots.forecast_full(flat[:1]) is None
