"""Pages carry a Content-Security-Policy without inline scripts, and the usual hardening headers."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_forbid_inline_scripts_and_framing(logged_in_client):
    response = logged_in_client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split("; ") if part.startswith("script-src"))
    assert script_src == "script-src 'self'"
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_contain_no_inline_scripts(logged_in_client):
    html = logged_in_client.get(reverse("settings")).content.decode()
    for chunk in html.split("<script")[1:]:
        assert chunk.split(">", 1)[0].strip().startswith("src=") or " src=" in chunk.split(">", 1)[0]


def test_the_api_docs_load_their_script_from_our_origin(logged_in_client):
    html = logged_in_client.get(reverse("api_docs")).content.decode()
    assert "<script>" not in html
    assert logged_in_client.get(reverse("api_docs") + "?script").status_code == 200
