"""Every recurring job of Modella, in one visible place.

`ensure()` runs after each `migrate` and makes the Django-Q2 Schedule rows match this table.
Functions are plain and take no arguments; minutes are the interval.
"""

from django.conf import settings

# (function path, every N minutes)
SCHEDULES: list[tuple[str, int]] = [
    ("modella.tasks.heartbeat", 1),
    ("catalog.tasks.check_updates", 6 * 60),
    ("catalog.tasks.queue_early_access_ended", 10),
    ("downloads.tasks.recover", 1),
    ("downloads.tasks.cleanup_history", 24 * 60),
    ("storage.tasks.take_snapshot", settings.SNAPSHOT_MINUTES),
    ("storage.tasks.thin_snapshots", 60),
    ("webhooks.tasks.send_due", 1),
    ("webhooks.tasks.prune", 24 * 60),
]


def ensure() -> None:
    from django_q.models import Schedule

    wanted = dict(SCHEDULES)
    for func, minutes in wanted.items():
        Schedule.objects.update_or_create(
            name=f"modella:{func}",
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
    Schedule.objects.filter(name__startswith="modella:").exclude(name__in=[f"modella:{f}" for f in wanted]).delete()
