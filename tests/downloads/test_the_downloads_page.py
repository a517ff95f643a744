"""The Downloads page: the queue, its htmx partial, and plain-form actions."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import DownloadJobFactory

pytestmark = pytest.mark.django_db


def test_it_shows_running_queued_failed_and_completed_items(logged_in_client):
    DownloadJobFactory(status="downloading", filename="running.gguf", bytes_done=10, size=100, speed_bps=2048,
                       eta_seconds=5)
    DownloadJobFactory(filename="waiting.gguf")
    DownloadJobFactory(status="failed", filename="broken.gguf", error_code="remote_not_found",
                       error_details={"key": "not_found", "path": "broken.gguf", "repo": "a/b"})
    DownloadJobFactory(status="completed", filename="done.gguf", finished_at=timezone.now())
    page = logged_in_client.get(reverse("downloads:index")).content.decode()
    for name in ("running.gguf", "waiting.gguf", "broken.gguf", "done.gguf"):
        assert name in page
    assert "The hub has no file broken.gguf in a/b." in page
    assert 'hx-trigger="every 2s"' in page
    assert "<progress" in page


def test_it_polls_only_while_something_is_active(logged_in_client):
    DownloadJobFactory(status="completed", finished_at=timezone.now())
    page = logged_in_client.get(reverse("downloads:index")).content.decode()
    assert "hx-trigger" not in page


def test_htmx_gets_only_the_queue_partial(logged_in_client):
    DownloadJobFactory(filename="waiting.gguf")
    response = logged_in_client.get(reverse("downloads:index"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "waiting.gguf" in body and "<html" not in body and body.lstrip().startswith('<div id="download-queue"')


def test_cancel_works_as_a_plain_form_post_and_redirects_back(logged_in_client):
    job = DownloadJobFactory()
    response = logged_in_client.post(reverse("downloads:cancel", args=[job.pk]))
    assert response.status_code == 302 and response.url == reverse("downloads:index")
    job.refresh_from_db()
    assert job.status == "cancelled"


def test_retry_and_priority_go_through_the_model_methods(logged_in_client):
    failed = DownloadJobFactory(status="failed", error_code="upstream_unavailable")
    logged_in_client.post(reverse("downloads:retry", args=[failed.pk]))
    failed.refresh_from_db()
    assert failed.status == "queued"
    logged_in_client.post(reverse("downloads:priority", args=[failed.pk]), {"priority": "urgent"})
    failed.refresh_from_db()
    assert failed.priority_name == "urgent"


def test_actions_refuse_get(logged_in_client):
    job = DownloadJobFactory()
    assert logged_in_client.get(reverse("downloads:cancel", args=[job.pk])).status_code == 405


def test_the_page_needs_login(client):
    assert client.get(reverse("downloads:index")).status_code == 302
