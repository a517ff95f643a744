"""The admin runs the queue: filters by status, source and priority, and the retry, cancel and
raise-priority actions go through the job's own methods."""

import pytest
from django.urls import reverse

from downloads.models import DownloadJob
from tests.factories import DownloadJobFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:downloads_downloadjob_changelist")


def _act(client, action: str, jobs) -> None:
    response = client.post(CHANGELIST, {"action": action, "_selected_action": [j.pk for j in jobs]})
    assert response.status_code == 302


def test_the_list_filters_by_status_source_and_priority(logged_in_client):
    DownloadJobFactory(status="failed", filename="broken.gguf")
    DownloadJobFactory(status="queued", filename="waiting.gguf", priority=DownloadJob.Priority.HIGH)
    page = logged_in_client.get(CHANGELIST, {"status__exact": "failed"}).content.decode()
    assert "broken.gguf" in page and "waiting.gguf" not in page
    page = logged_in_client.get(CHANGELIST, {"priority__exact": "2"}).content.decode()
    assert "waiting.gguf" in page and "broken.gguf" not in page
    page = logged_in_client.get(CHANGELIST, {"source__exact": "civitai"}).content.decode()
    assert "waiting.gguf" not in page


def test_retry_queues_failed_and_cancelled_jobs_again(logged_in_client):
    failed = DownloadJobFactory(status="failed", error_code="stalled")
    cancelled = DownloadJobFactory(status="cancelled")
    done = DownloadJobFactory(status="completed")
    _act(logged_in_client, "retry_jobs", [failed, cancelled, done])
    statuses = {j.pk: j.status for j in DownloadJob.objects.all()}
    assert statuses == {failed.pk: "queued", cancelled.pk: "queued", done.pk: "completed"}
    assert DownloadJob.objects.get(pk=failed.pk).error_code == ""


def test_cancel_stops_queued_jobs(logged_in_client):
    queued = DownloadJobFactory(status="queued")
    _act(logged_in_client, "cancel_jobs", [queued])
    queued.refresh_from_db()
    assert queued.status == "cancelled" and queued.error_code == "cancelled"


def test_raise_priority_moves_jobs_up_one_step_and_stops_at_urgent(logged_in_client):
    low = DownloadJobFactory(status="queued", priority=DownloadJob.Priority.LOW)
    urgent = DownloadJobFactory(status="queued", priority=DownloadJob.Priority.URGENT)
    _act(logged_in_client, "raise_priority", [low, urgent])
    low.refresh_from_db(), urgent.refresh_from_db()
    assert low.priority == DownloadJob.Priority.NORMAL and urgent.priority == DownloadJob.Priority.URGENT


def test_the_actions_report_what_they_did(logged_in_client):
    job = DownloadJobFactory(status="failed")
    response = logged_in_client.post(CHANGELIST, {"action": "retry_jobs", "_selected_action": [job.pk]},
                                     follow=True)
    assert "1 download was queued again." in response.content.decode()
