"""A real Django-Q2 cluster runs tasks on the ORM broker and on Redis."""

import pytest
from django_q.brokers.orm import ORM
from django_q.tasks import async_task

from modella.models import Heartbeat
from tests.conftest import require_service
from tests.qcluster import redis_broker, running_cluster, wait_for


@pytest.mark.django_db(transaction=True)
def test_a_cluster_on_the_orm_broker_runs_a_task():
    broker = ORM(list_key="modella-test-orm")
    async_task("modella.tasks.heartbeat", broker=broker)
    with running_cluster(broker):
        wait_for(lambda: Heartbeat.objects.filter(name="worker").exists())


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_cluster_on_the_redis_broker_runs_a_task():
    require_service("Redis", "127.0.0.1", 6379)
    broker = redis_broker()
    async_task("modella.tasks.heartbeat", broker=broker)
    with running_cluster(broker):
        wait_for(lambda: Heartbeat.objects.filter(name="worker").exists())
