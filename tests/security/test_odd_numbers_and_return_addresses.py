"""Ids and return addresses a person or a server can mistype: "²", a 30-digit number, a bare word.
Each gets a clear answer (400, "no such", or the page it came from), never a 500."""

import pytest
import requests

from catalog.sources import civitai
from downloads import engine
from tests.factories import FeaturedModelFactory

pytestmark = pytest.mark.django_db

ODD = ["²", "٣", "9" * 30, "-1", "1.5", ""]


@pytest.mark.parametrize("value", ODD)
def test_the_links_filter_answers_400_for_an_odd_app_id(api_client, value):
    response = api_client.get("/api/v1/links", {"app": value}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize("value", ODD)
def test_the_updates_page_ignores_an_odd_run_id(logged_in_client, value):
    response = logged_in_client.get("/downloads/updates/", {"run": value})

    assert response.status_code == 200
    assert b"Summary of the last update" not in response.content


@pytest.mark.parametrize("target", ["abc", "-1", "²", "9" * 30, "javascript:alert(1)", "//evil.example/x"])
def test_an_action_with_an_odd_return_address_goes_back_home(logged_in_client, target):
    FeaturedModelFactory()
    response = logged_in_client.post("/featured/dismiss/", {"next": target})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_an_action_returns_to_a_page_on_this_site(logged_in_client):
    FeaturedModelFactory()
    response = logged_in_client.post("/featured/dismiss/", {"next": "/storage/?sort=size"})
    assert response["Location"] == "/storage/?sort=size"
    response = logged_in_client.post("/featured/dismiss/", HTTP_REFERER="http://testserver/lists/")
    assert response["Location"] == "http://testserver/lists/"


@pytest.mark.parametrize("value", ["²", "٣", "1.5", "-3", "soon"])
def test_an_odd_retry_after_from_a_server_is_ignored(value):
    response = requests.Response()
    response.headers["Retry-After"] = value

    assert engine.parse_retry_after(response) is None
    assert civitai._retry_after(response) is None


def test_a_retry_after_in_seconds_is_honoured():
    response = requests.Response()
    response.headers["Retry-After"] = "120"
    assert engine.parse_retry_after(response) == 120.0
    assert civitai._retry_after(response) == 120.0


@pytest.mark.parametrize("repo", ["civitai:²", "civitai:" + "9" * 30, "civitai:", "civitai:-1", "hf:12"])
def test_an_odd_civitai_model_id_is_refused_clearly(repo):
    from catalog.civitai_store import model_id_of
    from modella.errors import InvalidInput

    with pytest.raises(InvalidInput, match="is not a Civitai model"):
        model_id_of(repo)
