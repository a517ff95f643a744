"""Every API error, from DRF views and from Django's own handlers, is
{"error": {"code", "message", "details"}}; pages outside /api/ keep their HTML error pages."""

import pytest
from django.urls import path

from modella.urls import urlpatterns as real_patterns

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("api/v1/boom", _boom), path("boom/", _boom), *real_patterns]
handler404 = "modella.drf.page_not_found"
handler500 = "modella.drf.server_error"


def _error(response) -> dict:
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_an_unknown_api_path_is_a_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_an_unknown_page_is_still_an_html_404(logged_in_client):
    response = logged_in_client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_missing_object_is_a_json_404(api_client):
    response = api_client.get("/api/v1/downloads/999999")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_a_wrong_method_is_a_json_405(api_client):
    response = api_client.delete("/api/v1/featured-models")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_invalid_input_names_the_fields(api_client):
    response = api_client.post("/api/v1/downloads", {"priority": "whenever"}, format="json")
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid_input" and "priority" in error["details"]


def test_malformed_json_is_a_400_in_the_format(api_client):
    response = api_client.post("/api/v1/lists", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_input"


@pytest.mark.urls("tests.api.test_errors_have_one_format")
def test_a_crash_under_the_api_is_a_json_500(api_client, client, user):
    client.raise_request_exception = False
    client.force_login(user)
    response = client.get("/api/v1/boom")
    assert response.status_code == 500
    error = _error(response)
    assert error["code"] == "server_error" and "a bug" not in error["message"]


@pytest.mark.urls("tests.api.test_errors_have_one_format")
def test_a_crash_on_a_page_is_an_html_500(client, user):
    client.raise_request_exception = False
    client.force_login(user)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")

