"""Run a real Django-Q2 cluster (forked worker processes) inside a test.

Tests that use it need `@pytest.mark.django_db(transaction=True)`: the workers are other
processes and only see committed rows. The SQLite test database is a file for this reason.
"""

import contextlib
import signal
import time

from django.db import connections
from django_q.brokers import Broker, get_broker
from django_q.cluster import Cluster


def redis_broker(url: str = "redis://127.0.0.1:6379/15") -> Broker:
    from django_q.brokers.redis_broker import Redis
    from django_q.conf import Conf

    broker = Redis(list_key=f"modella-test-{time.monotonic_ns()}")
    broker.connection = __import__("redis").from_url(url)
    Conf.REDIS = url  # workers fork from this process and build their own connection from Conf
    return broker


@contextlib.contextmanager
def running_cluster(broker: Broker | None = None):
    broker = broker or get_broker()
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    connections.close_all()  # forked children must not share this process's DB sockets
    cluster = Cluster(broker)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.2):
    """Poll until predicate() is truthy; return its value or raise after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
