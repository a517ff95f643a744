"""The Storage page renders its dashboard, charts, reclaimable space and library."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import LocalFileFactory, ModelRepositoryFactory, StorageSnapshotFactory

pytestmark = pytest.mark.django_db

GB = 1024**3
MB = 1024**2


def test_it_needs_a_login(client):
    response = client.get(reverse("storage:index"))
    assert response.status_code == 302


def test_it_renders_the_empty_page(logged_in_client):
    response = logged_in_client.get(reverse("storage:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Scan models folder" in html
    assert "No model files yet" in html
    assert 'id="storage-dashboard"' in html and 'id="storage-library"' in html


def test_it_shows_the_dashboard_line_charts_and_library(logged_in_client, downloaded_variant, make_file):
    hf = ModelRepositoryFactory(repo="acme/llama-GGUF", author="acme", model_type="LLM")
    downloaded_variant("acme/llama-GGUF/llama.Q4_K_M.gguf", 300 * MB, repository=hf)
    make_file("loras/style.safetensors", 10 * MB)
    LocalFileFactory(path="loras/style.safetensors", size=10 * MB, model_type="LORA", base_model="SD 1.5")
    now = timezone.now()
    for hours, used in ((48, 100 * GB), (24, 110 * GB), (0, 120 * GB)):
        StorageSnapshotFactory(taken_at=now - dt.timedelta(hours=hours), used_bytes=used, total_bytes=500 * GB,
                               available_bytes=500 * GB - used)

    html = logged_in_client.get(reverse("storage:index")).content.decode()

    assert "2 models" in html and "Used " in html and " free" in html
    assert "310 MB" in html  # model files
    assert "llama.Q4_K_M.gguf" in html and "style.safetensors" in html
    assert "acme/llama-GGUF" in html
    assert 'class="chart-line"' in html and 'class="chart-forecast"' in html
    assert "the disk is full around" in html
    assert "chart-slice" in html and "chart-bar-rect" in html
    assert "<script>" not in html  # no inline scripts: the CSP will forbid them
    assert "style=" not in html.split("<main", 1)[1]


def test_sizes_follow_the_users_locale(logged_in_client, downloaded_variant):
    downloaded_variant("a/b/c.gguf", int(1.5 * MB))
    html = logged_in_client.get(reverse("storage:index"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "1,5" in html


def test_the_filter_narrows_the_library(logged_in_client, downloaded_variant):
    downloaded_variant("a/one/alpha.gguf", MB)
    downloaded_variant("a/two/beta.gguf", MB)
    response = logged_in_client.get(reverse("storage:index"), {"q": "alpha"}, HTTP_HX_REQUEST="true",
                                    HTTP_HX_TARGET="storage-library")
    html = response.content.decode()
    assert "alpha.gguf" in html and "beta.gguf" not in html
    assert "<html" not in html  # just the partial


def test_htmx_gets_the_dashboard_partial(logged_in_client):
    response = logged_in_client.get(reverse("storage:index"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="storage-dashboard")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="storage-dashboard"')
    assert "storage-library" not in html


def test_the_storage_link_is_in_the_navigation(logged_in_client):
    html = logged_in_client.get(reverse("storage:index")).content.decode()
    assert 'href="/storage/" aria-current="page"' in html
