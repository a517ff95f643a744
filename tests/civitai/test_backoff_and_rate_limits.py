"""429 and 5xx answers back off (Retry-After honoured), persistent ones become rate_limited /
upstream_unavailable, an overloaded search is not "no models found", calls are spaced per host."""

import pytest

from catalog.sources import civitai
from modella.errors import RateLimited, UpstreamUnavailable
from modella.models import HubState
from tests.fakehub import Fault


def _the_retry_time_passes():
    """The circuit breaker (modella.health) keeps a failing hub alone until retry_at: move it now."""
    from django.utils import timezone

    HubState.objects.update(retry_at=timezone.now())


def test_a_429_backs_off_for_retry_after_then_succeeds(civ, sleeps):
    civ.set_fault("civitai:700161", Fault(fail_first=2, fail_on="resolve", fail_status=429, retry_after=3))
    assert civitai.resolve_download(600161)["filename"] == "tiny_test_lora.safetensors"
    assert sleeps == [3, 3]
    assert [r.status for r in civ.requests_for("/api/download/models/600161")] == [429, 429, 307]


def test_a_persistent_429_is_rate_limited(civ, sleeps):
    civ.set_fault("civitai:700161", Fault(fail_first=10, fail_on="resolve", fail_status=429, retry_after=1))
    with pytest.raises(RateLimited) as caught:
        civitai.resolve_download(600161)
    assert caught.value.code == "rate_limited"
    assert len(sleeps) == civitai.MAX_RETRIES


def test_5xx_backs_off_exponentially_without_retry_after(civ, sleeps, settings):
    settings.CIVITAI_RETRY_BASE_SECONDS = 0.5
    civ.set_fault("civitai:700161", Fault(fail_first=10, fail_on="resolve", fail_status=502))
    with pytest.raises(UpstreamUnavailable) as caught:
        civitai.resolve_download(600161)
    assert caught.value.code == "upstream_unavailable"
    assert sleeps == [0.5, 1.0, 2.0]


def test_a_persistent_failure_marks_civitai_unreachable_until_a_call_succeeds(civ, sleeps, api_client):
    civ.civitai_overloaded = True
    with pytest.raises(UpstreamUnavailable):
        civitai.search()
    assert HubState.objects.get(hub="civitai").down_since is not None
    assert api_client.get("/api/v1/status").json()["hubs"]["civitai"]["reachable"] is False
    civ.civitai_overloaded = False
    _the_retry_time_passes()
    civitai.search(tag="style")
    assert api_client.get("/api/v1/status").json()["hubs"]["civitai"]["reachable"] is True


def test_one_overloaded_answer_is_retried_after_its_retry_after(civ, sleeps):
    civ.civitai_overloaded = 1
    assert civitai.search(tag="style")["items"]
    assert sleeps == [2]


def test_an_overloaded_search_is_an_error_not_an_empty_result(civ, sleeps):
    civ.civitai_overloaded = True
    with pytest.raises(UpstreamUnavailable) as caught:
        civitai.search(query="lantern")
    assert caught.value.details["reason"] == "search_overloaded"
    assert "does not mean that nothing matches" in str(caught.value.message)


def test_the_page_says_overloaded_and_not_no_models_found(civ, sleeps, logged_in_client):
    civ.civitai_overloaded = True
    html = logged_in_client.get("/discover/civitai/?q=lantern").content.decode()
    assert "overloaded" in html and "No models found" not in html
    civ.civitai_overloaded = False
    _the_retry_time_passes()
    html = logged_in_client.get("/discover/civitai/?q=nothing-matches-this").content.decode()
    assert "No models found" in html and "overloaded" not in html


def test_the_api_answers_an_overloaded_search_with_upstream_unavailable(civ, sleeps, api_client):
    civ.civitai_overloaded = True
    response = api_client.get("/api/v1/hub/civitai/models?query=lantern")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unavailable"
    assert response.json()["error"]["details"]["reason"] == "search_overloaded"


def test_overloaded_answers_are_not_cached(civ, sleeps):
    civ.civitai_overloaded = True
    with pytest.raises(UpstreamUnavailable):
        civitai.search(tag="style")
    civ.civitai_overloaded = False
    _the_retry_time_passes()
    assert civitai.search(tag="style")["items"]


def test_calls_to_one_host_are_spaced_by_the_rate_limit(civ, sleeps, settings):
    settings.CIVITAI_REQUESTS_PER_SECOND = 1
    for tag in ("style", "anime", "flux"):
        civitai.search(tag=tag)
    # The first call goes at once; each later one waits for its slot, a second after the previous
    # one's (recorded, not slept, so the slots stack up).
    assert len(sleeps) == 2 and 0.5 < sleeps[0] <= 1 and 1.5 < sleeps[1] <= 2


def test_the_default_rate_is_a_small_steady_one(civ, settings):
    del settings.CIVITAI_REQUESTS_PER_SECOND
    civitai._next_slot.clear()
    import time

    started = time.monotonic()
    civitai.search(tag="style")
    civitai.search(tag="anime")
    assert time.monotonic() - started >= 0.45
