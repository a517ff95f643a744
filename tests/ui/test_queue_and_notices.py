"""The queue overlay and the completion notices: live while downloads run, quiet when idle."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from downloads.models import DownloadJob
from tests.factories import DownloadJobFactory

pytestmark = pytest.mark.django_db


def test_the_queue_lists_running_waiting_failed_and_completed(logged_in_client):
    DownloadJobFactory(status="downloading", filename="running.gguf", bytes_done=5, size=10)
    DownloadJobFactory(status="queued", filename="waiting.gguf")
    DownloadJobFactory(status="failed", filename="broken.gguf", error="The hub answered with HTTP status 500.")
    DownloadJobFactory(status="completed", filename="done.gguf", finished_at=timezone.now())
    body = logged_in_client.get(reverse("queue_overlay")).content.decode()
    for text in ("running.gguf", "waiting.gguf", "broken.gguf", "done.gguf", "HTTP status 500", "50.0 %"):
        assert text in body, text
    assert "every 1500ms" in body


def test_an_idle_queue_does_not_poll(logged_in_client):
    DownloadJobFactory(status="completed", finished_at=timezone.now())
    body = logged_in_client.get(reverse("queue_overlay"), headers={"HX-Request": "true"}).content.decode()
    assert "every 1500ms" not in body and "<html" not in body


def test_the_priority_of_a_waiting_download_can_change(logged_in_client):
    job = DownloadJobFactory(status="queued")
    logged_in_client.post(reverse("downloads:priority", args=[job.pk]), {"priority": "urgent"})
    job.refresh_from_db()
    assert job.priority == DownloadJob.Priority.URGENT


def test_pages_poll_for_notices_only_while_downloads_are_live(logged_in_client):
    assert "every 3s" not in logged_in_client.get(reverse("settings")).content.decode()
    DownloadJobFactory(status="downloading")
    assert "every 3s" in logged_in_client.get(reverse("settings")).content.decode()


def test_a_completed_download_is_announced_once(logged_in_client):
    since = (timezone.now() - timedelta(seconds=5)).timestamp()
    DownloadJobFactory(status="completed", filename="fresh.gguf", finished_at=timezone.now())
    DownloadJobFactory(status="completed", filename="old.gguf", finished_at=timezone.now() - timedelta(hours=1))
    response = logged_in_client.get(reverse("notices"), {"since": since})
    body = response.content.decode()
    assert "Download complete: fresh.gguf" in body and "old.gguf" not in body
    assert response["HX-Trigger"] == "modella:changed"
    assert "every 3s" not in body  # nothing live any more: the poller stops


def test_a_failed_download_is_announced_as_an_alert(logged_in_client):
    since = (timezone.now() - timedelta(seconds=5)).timestamp()
    DownloadJobFactory(status="failed", filename="bad.gguf", finished_at=timezone.now(), error="Disk full.")
    body = logged_in_client.get(reverse("notices"), {"since": since}).content.decode()
    assert 'role="alert"' in body and "Download failed: bad.gguf" in body


def test_a_bad_since_value_is_not_an_error(logged_in_client):
    assert logged_in_client.get(reverse("notices"), {"since": "yesterday"}).status_code == 200
