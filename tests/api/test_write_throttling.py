"""Writes are throttled per user at MODELLA_API_WRITE_RATE; reads never are."""

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def test_the_default_rate_is_generous(monkeypatch):
    import modella.settings as configured  # the module's value, not the suite's override

    assert configured.API_WRITE_RATE == "600/minute"
    assert configured.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == ["modella.drf.WriteRateThrottle"]


def test_writes_past_the_rate_get_429_in_the_error_format(api_client, settings):
    settings.API_WRITE_RATE = "3/minute"
    for n in range(3):
        assert api_client.post("/api/v1/lists", {"name": f"list {n}"}, format="json").status_code == 201
    response = api_client.post("/api/v1/lists", {"name": "one too many"}, format="json")
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "rate_limited" and error["details"]["retry_after_seconds"] > 0
    assert int(response["Retry-After"]) > 0


def test_reads_are_not_throttled(api_client, settings):
    settings.API_WRITE_RATE = "1/minute"
    api_client.post("/api/v1/lists", {"name": "a"}, format="json")
    for _ in range(5):
        assert api_client.get("/api/v1/lists").status_code == 200


def test_each_user_has_their_own_count(api_client, other_user, settings):
    from rest_framework.test import APIClient

    settings.API_WRITE_RATE = "1/minute"
    assert api_client.post("/api/v1/lists", {"name": "mine"}, format="json").status_code == 201
    other = APIClient()
    other.force_authenticate(other_user)
    assert other.post("/api/v1/lists", {"name": "theirs"}, format="json").status_code == 201


def test_an_empty_rate_turns_throttling_off(api_client, settings):
    settings.API_WRITE_RATE = ""
    for n in range(5):
        assert api_client.post("/api/v1/lists", {"name": f"l{n}"}, format="json").status_code == 201
