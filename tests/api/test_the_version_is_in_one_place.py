"""The version lives in modella/settings.py (VERSION); pyproject.toml and CHANGELOG.md agree with it,
and the page footer, the OpenAPI schema and GET /api/v1/status show it."""

import re
import tomllib
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_is_a_semantic_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?", settings.VERSION)


def test_pyproject_has_the_same_version():
    pyproject = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text())
    assert pyproject["project"]["version"] == settings.VERSION


def test_the_changelog_has_a_section_for_it():
    changelog = (Path(settings.BASE_DIR) / "CHANGELOG.md").read_text()
    assert f"## [{settings.VERSION}]" in changelog


def test_the_page_footer_shows_it(logged_in_client):
    assert f"Modella {settings.VERSION}" in logged_in_client.get(reverse("settings")).content.decode()


def test_the_schema_and_the_status_show_it(api_client):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()
    assert schema["info"]["version"] == settings.VERSION
    assert api_client.get("/api/v1/status").json()["version"] == settings.VERSION
