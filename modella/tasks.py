"""Site-wide background tasks (Django-Q2 entry points)."""

from modella import health


def heartbeat() -> None:
    health.beat("worker")
