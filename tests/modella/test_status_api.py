"""GET /api/v1/status reports the version, the worker, the queue and the hubs."""

import pytest
from django.urls import reverse

from modella import health
from tests.factories import DownloadJobFactory

pytestmark = pytest.mark.django_db


def test_status_reports_a_live_worker_and_the_queue(api_client, settings):
    health.beat("worker")
    DownloadJobFactory(status="queued")
    DownloadJobFactory(status="failed")
    body = api_client.get(reverse("api:status")).json()
    assert body["version"] == settings.VERSION
    assert body["worker"]["alive"] is True
    assert body["queue"] == {"downloading": 0, "queued": 1, "failed": 1}
    assert body["hubs"]["huggingface"] == {"reachable": True, "since": None, "retry_at": None}


def test_status_reports_a_silent_worker_as_not_alive(api_client):
    assert api_client.get(reverse("api:status")).json()["worker"] == {"alive": False, "last_heartbeat": None}


def test_a_wrong_method_answers_in_the_error_format(api_client):
    response = api_client.post(reverse("api:status"))
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
