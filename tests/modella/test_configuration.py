"""Settings come from the environment, fail loudly on bad values, and keep long tasks single."""

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from modella.settings import envbool, envint


def test_bad_booleans_and_integers_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "maybe")
    monkeypatch.setenv("X_INT", "two")
    with pytest.raises(ImproperlyConfigured):
        envbool("X_BOOL", False)
    with pytest.raises(ImproperlyConfigured):
        envint("X_INT", 1)


def test_integers_below_their_minimum_are_refused(monkeypatch):
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ImproperlyConfigured):
        envint("X_INT", 2, minimum=1)


def test_the_broker_never_redelivers_a_task_while_it_may_still_run():
    q = settings.Q_CLUSTER
    assert q["retry"] > q["timeout"]
    assert q["max_attempts"] > 0
    assert q["catch_up"] is False


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
