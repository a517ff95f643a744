"""Every API endpoint, found by walking the URL resolver, refuses anonymous clients and bad tokens
with the error format, and never returns data to them."""

import re

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

SAMPLE_VALUES = {"repo": "acme/tiny-llama-gguf", "filename": "tiny-q4_k_m.gguf"}


def _api_patterns(resolver=None, prefix=""):
    """(path, view) for every route below /api/, with sample values in its parameters."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern).lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            yield from _api_patterns(entry, pattern)
        elif isinstance(entry, URLPattern) and pattern.startswith("api/v1/"):
            yield "/" + _fill(pattern), entry.callback


def _fill(pattern: str) -> str:
    pattern = re.sub(r"\(\?P<(\w+)>[^)]*\)\)?", lambda m: SAMPLE_VALUES.get(m.group(1), "1"), pattern)
    pattern = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE_VALUES.get(m.group(1), "1"), pattern)
    return pattern


def _methods(view) -> list[str]:
    cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
    if cls is None:
        return ["get"]
    names = [m for m in cls.http_method_names if m not in ("options", "head", "trace") and hasattr(cls, m)]
    return names or ["get"]


ENDPOINTS = [(path, method) for path, view in _api_patterns() for method in _methods(view)]


def test_the_walk_finds_every_documented_endpoint():
    paths = {path for path, _method in ENDPOINTS}
    for expected in ("/api/v1/status", "/api/v1/featured-models", "/api/v1/downloads/queue",
                     "/api/v1/modelfiles/acme/tiny-llama-gguf/metadata", "/api/v1/lists/1/items/1",
                     "/api/v1/storage/snapshots", "/api/v1/hub/civitai/models/1", "/api/v1/schema/"):
        assert expected in paths
    assert len(ENDPOINTS) >= 39


@pytest.mark.parametrize(("path", "method"), ENDPOINTS, ids=[f"{m.upper()} {p}" for p, m in ENDPOINTS])
def test_anonymous_clients_are_refused_with_the_error_format(path, method):
    response = getattr(APIClient(), method)(path, format="json")
    assert response.status_code == 401, response.content[:300]
    assert response["WWW-Authenticate"] == "Token"
    # The schema endpoint answers in its own media type (YAML unless JSON is asked for).
    assert yaml.safe_load(response.content)["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(("path", "method"), ENDPOINTS, ids=[f"{m.upper()} {p}" for p, m in ENDPOINTS])
def test_a_wrong_token_is_refused(path, method):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = getattr(client, method)(path, format="json")
    assert response.status_code == 401
    assert yaml.safe_load(response.content)["error"]["code"] == "not_authenticated"


def test_the_api_docs_page_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_token_and_a_session_both_work(token_client, logged_in_client):
    assert token_client.get("/api/v1/status").status_code == 200
    assert logged_in_client.get("/api/v1/status").status_code == 200


def test_a_session_write_without_the_csrf_token_is_refused(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/v1/lists", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
