"""GET /api/v1/status reports each hub's reachability from the circuit breaker's state (HubState)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from modella.models import HubState

pytestmark = pytest.mark.django_db


def test_a_hub_that_is_down_is_reported_with_since_and_retry_at(api_client):
    since = timezone.now() - timedelta(minutes=3)
    HubState.objects.create(hub="civitai", failures=4, down_since=since, retry_at=since + timedelta(minutes=5))
    hubs = api_client.get("/api/v1/status").json()["hubs"]
    assert hubs["huggingface"] == {"reachable": True, "since": None, "retry_at": None}
    assert hubs["civitai"]["reachable"] is False
    assert hubs["civitai"]["since"] == since.isoformat().replace("+00:00", "Z")
    assert hubs["civitai"]["retry_at"] == (since + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")


def test_a_hub_that_recovered_is_reachable_again(api_client):
    HubState.objects.create(hub="huggingface", failures=0, down_since=None)
    assert api_client.get("/api/v1/status").json()["hubs"]["huggingface"]["reachable"] is True


def test_running_and_verifying_downloads_count_as_downloading(api_client):
    from tests.factories import DownloadJobFactory

    DownloadJobFactory(status="downloading")
    DownloadJobFactory(status="verifying")
    assert api_client.get("/api/v1/status").json()["queue"]["downloading"] == 2
