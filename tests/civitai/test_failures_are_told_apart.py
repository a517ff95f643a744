"""Each way Civitai refuses is its own error with its own message: no key, invalid key, login
required, Early Access (with its end), deleted, archived."""

import pytest

from catalog.sources import civitai
from modella.errors import RemoteNotFound, RemoteUnauthorized

EARLY_ACCESS_VERSION = 600215  # model 4212, until 2099
LOGIN_VERSION = 600214  # model 4211, creator requires login


def reason(call) -> tuple[str, str]:
    with pytest.raises((RemoteUnauthorized, RemoteNotFound)) as caught:
        call()
    return caught.value.details.get("reason"), str(caught.value.message)


def test_login_required_without_a_key_asks_for_one(civ):
    why, message = reason(lambda: civitai.resolve_download(LOGIN_VERSION))
    assert why == "no_key"
    assert "save your Civitai API key in Settings" in message


def test_login_required_with_an_invalid_key_says_the_key_is_wrong(civ, settings):
    settings.CIVITAI_TOKEN = "civ_revoked"
    why, message = reason(lambda: civitai.resolve_download(LOGIN_VERSION))
    assert why == "invalid_key"
    assert "did not accept your API key" in message


def test_login_required_with_a_good_key_downloads(civ, with_key):
    target = civitai.resolve_download(LOGIN_VERSION)
    assert target["filename"] == "watercolor_wash.safetensors"
    assert all(r.has_auth for r in civ.requests_for("/api/download/models/"))


def test_early_access_without_a_key_gives_the_end_date_and_the_offer(civ):
    why, message = reason(lambda: civitai.resolve_download(EARLY_ACCESS_VERSION))
    assert why == "early_access"
    assert "2099-01-01" in message and "queue it automatically" in message and "API key" in message


def test_early_access_with_a_key_that_did_not_unlock_it(civ, with_key):
    with pytest.raises(RemoteUnauthorized) as caught:
        civitai.resolve_download(EARLY_ACCESS_VERSION)
    assert caught.value.details["reason"] == "early_access"
    assert caught.value.details["deadline"].startswith("2099-01-01")
    assert "your Civitai account has not unlocked it" in str(caught.value.message)


def test_early_access_bought_with_the_key_downloads(civ, with_key):
    civ.civitai_purchases = {with_key: {EARLY_ACCESS_VERSION}}
    assert civitai.resolve_download(EARLY_ACCESS_VERSION)["filename"] == "neon_noir_v2.safetensors"


def test_an_archived_model_says_so(civ):
    why, message = reason(lambda: civitai.resolve_download(600216))
    assert why == "archived" and "archived" in message
    assert civitai.get_model(4213)["mode"] == "Archived"


def test_a_deleted_model_says_it_may_have_been_deleted(civ):
    civ.remove_civitai_model(4202)
    with pytest.raises(RemoteNotFound, match="may have been deleted"):
        civitai.get_model(4202)


def test_a_deleted_version_cannot_be_downloaded(civ):
    why, message = reason(lambda: civitai.resolve_download(999_999))
    assert why == "not_found"


def test_the_api_gives_each_failure_its_code(civ, api_client):
    civ.remove_civitai_model(4202)
    response = api_client.get("/api/v1/hub/civitai/models/4202")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "remote_not_found"
