"""Hub health: after three failures in a row a hub is "down since T, retrying at T+backoff";
catalog calls fail fast with upstream_unavailable, downloads wait in the queue, the page header
and GET /api/v1/status say so, and the first success closes the breaker. Both hubs, one place."""

import socket
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from catalog.sources import civitai, huggingface
from downloads import queue
from downloads.models import DownloadJob
from modella import health
from modella.errors import UpstreamUnavailable
from modella.models import HubState
from tests.downloads.conftest import hf_variant, run_job

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _reopen_window():
    """Time passes: the retry time is reached, the next call may go out."""
    HubState.objects.update(retry_at=timezone.now() - timedelta(seconds=1))


def test_hugging_face_opens_after_three_failures_fails_fast_and_closes_on_success(hubs, settings, api_client):
    working = settings.HF_ENDPOINT
    settings.HF_ENDPOINT = _closed_port()
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable):
            huggingface.search(q="tiny")
    state = HubState.objects.get(hub="huggingface")
    assert state.failures == 3 and state.down_since and state.retry_at > timezone.now()

    settings.HF_ENDPOINT = working  # the hub is back, but the window is still open: no call goes out
    hubs.clear_requests()
    with pytest.raises(UpstreamUnavailable) as caught:
        huggingface.fetch("acme/tiny-llama-GGUF")
    assert caught.value.details["reason"] == "circuit_open"
    assert caught.value.code == "upstream_unavailable"
    assert not hubs.requests
    response = api_client.post("/api/v1/modelfiles/resolve", {"input": "acme/tiny-llama-GGUF"}, format="json")
    assert response.status_code == 502 and response.json()["error"]["code"] == "upstream_unavailable"
    status = api_client.get("/api/v1/status").json()["hubs"]["huggingface"]
    assert status["reachable"] is False and status["since"] and status["retry_at"]

    _reopen_window()
    assert huggingface.search(q="tiny")["results"] is not None
    assert HubState.objects.get(hub="huggingface").down_since is None
    assert api_client.get("/api/v1/status").json()["hubs"]["huggingface"]["reachable"] is True


def test_two_failures_are_not_enough_to_open_it(hubs, settings):
    working = settings.HF_ENDPOINT
    settings.HF_ENDPOINT = _closed_port()
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            huggingface.search(q="tiny")
    assert HubState.objects.get(hub="huggingface").down_since is None
    settings.HF_ENDPOINT = working
    huggingface.search(q="tiny")
    assert HubState.objects.get(hub="huggingface").failures == 0


def test_civitai_5xx_opens_the_same_breaker_and_fails_fast(hubs, api_client, monkeypatch):
    monkeypatch.setattr(civitai, "_sleep", lambda seconds: None)  # Retry-After waits, not slept
    hubs.civitai_overloaded = True
    with pytest.raises(UpstreamUnavailable):
        civitai.search(query="lantern")
    assert HubState.objects.get(hub="civitai").down_since is not None
    hubs.civitai_overloaded = False
    hubs.clear_requests()
    with pytest.raises(UpstreamUnavailable) as caught:
        civitai.search(tag="style")
    assert caught.value.details["reason"] == "circuit_open"
    assert not hubs.requests, "no call to Civitai while the breaker is open"
    _reopen_window()
    assert civitai.search(tag="style")["items"]
    assert api_client.get("/api/v1/status").json()["hubs"]["civitai"]["reachable"] is True


def test_a_download_waits_in_the_queue_while_its_hub_is_down(hubs, user):
    content = hubs.generated(30_000, seed=41)
    job = queue.enqueue(hf_variant(hubs, "acme/wait-GGUF", {"w.gguf": content}), user=user)
    for _ in range(3):
        health.record_failure("huggingface")
    job = run_job(job)
    assert job.status == DownloadJob.Status.QUEUED, job.error
    assert job.error_code == "upstream_unavailable" and job.retry_at > timezone.now()
    assert job.error_details["key"] == "hub_down"

    _reopen_window()
    job.retry_at = None
    job.save(update_fields=["retry_at"])
    assert run_job(job).status == "completed"
    assert HubState.objects.get(hub="huggingface").down_since is None


def test_a_hub_failing_during_a_download_makes_it_wait_not_fail(hubs, settings, user):
    content = hubs.generated(30_000, seed=42)
    job = queue.enqueue(hf_variant(hubs, "acme/fail-GGUF", {"f.gguf": content}), user=user)
    settings.HF_ENDPOINT = _closed_port()  # the hub's API host is gone
    settings.DOWNLOAD_MAX_ATTEMPTS = 6
    job = run_job(job)
    assert job.status == DownloadJob.Status.QUEUED, job.error
    assert job.error_details["key"] == "hub_down"


def test_the_page_header_says_since_when_and_until_when_in_the_users_language(hubs, logged_in_client, settings):
    settings.TIME_ZONE = "UTC"
    since = timezone.now().replace(hour=10, minute=2, second=0, microsecond=0)
    HubState.objects.create(hub="huggingface", failures=3, down_since=since, retry_at=since + timedelta(minutes=3))
    page = logged_in_client.get("/").content.decode()
    with translation.override("en"):
        assert "Hugging Face unreachable since 10:02 a.m., retrying at 10:05 a.m." in " ".join(page.split())
    logged_in_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    page = " ".join(logged_in_client.get("/").content.decode().split())
    assert 'lang="de"' in page
    assert "10:02" in page and "10:05" in page and "a.m." not in page  # German time format


def test_the_header_is_quiet_when_every_hub_is_reachable(hubs, logged_in_client):
    HubState.objects.create(hub="civitai", failures=1)
    assert "hub-status" not in logged_in_client.get("/").content.decode()
