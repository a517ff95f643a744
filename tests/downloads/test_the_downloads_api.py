"""The Downloads API as API.md describes it."""

import pytest
from django.utils import timezone

from downloads.models import DownloadJob
from tests.factories import DownloadJobFactory, ModelVariantFactory

pytestmark = pytest.mark.django_db

ITEM_FIELDS = {"id", "repo", "filename", "size", "status", "progress", "bytes_done", "speed_bps", "eta_seconds",
               "priority", "attempts", "error", "error_code", "current_file", "started_at", "finished_at",
               "created_at"}


def test_it_queues_a_catalog_file_and_answers_a_queue_item(api_client, settings):
    settings.STORAGE_RESERVE_BYTES = 0
    variant = ModelVariantFactory(size=1000)
    response = api_client.post("/api/v1/downloads", {"repo": variant.repository.repo,
                                                      "filename": variant.filename, "priority": "high"},
                               format="json")
    assert response.status_code == 201, response.json()
    item = response.json()
    assert ITEM_FIELDS <= set(item)
    assert item["status"] == "queued" and item["priority"] == "high" and item["size"] == 1000
    assert DownloadJob.objects.get(pk=item["id"]).variant == variant


def test_it_refuses_the_same_file_twice_with_the_existing_item(api_client, settings):
    settings.STORAGE_RESERVE_BYTES = 0
    variant = ModelVariantFactory(size=1000)
    body = {"repo": variant.repository.repo, "filename": variant.filename}
    first = api_client.post("/api/v1/downloads", body, format="json").json()
    second = api_client.post("/api/v1/downloads", body, format="json")
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "already_exists"
    assert error["details"]["item"]["id"] == first["id"]


def test_it_refuses_a_file_that_would_not_fit_with_the_numbers(api_client, settings):
    variant = ModelVariantFactory(size=10**18)
    response = api_client.post("/api/v1/downloads", {"repo": variant.repository.repo,
                                                      "filename": variant.filename}, format="json")
    assert response.status_code == 507
    error = response.json()["error"]
    assert error["code"] == "insufficient_storage"
    assert error["details"]["required_bytes"] == 10**18
    assert {"available_bytes", "free_bytes", "queued_bytes", "reserve_bytes"} <= set(error["details"])


def test_it_rejects_a_bad_priority_and_an_empty_body(api_client):
    assert api_client.post("/api/v1/downloads", {}, format="json").status_code == 400
    variant = ModelVariantFactory(size=1)
    response = api_client.post("/api/v1/downloads", {"repo": variant.repository.repo, "filename": variant.filename,
                                                      "priority": "asap"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_the_queue_lists_active_items_in_run_order_and_recent_completions(api_client):
    low = DownloadJobFactory(priority=0)
    urgent = DownloadJobFactory(priority=3)
    failed = DownloadJobFactory(status="failed", error_code="remote_not_found")
    done = DownloadJobFactory(status="completed", finished_at=timezone.now())
    body = api_client.get("/api/v1/downloads/queue").json()
    assert [i["id"] for i in body["active"]] == [urgent.pk, low.pk, failed.pk]
    assert [i["id"] for i in body["completed"]] == [done.pk]


def test_delete_cancels_a_queued_item_and_removes_a_finished_one(api_client):
    queued = DownloadJobFactory()
    assert api_client.delete(f"/api/v1/downloads/{queued.pk}").status_code == 204
    queued.refresh_from_db()
    assert queued.status == "cancelled"
    done = DownloadJobFactory(status="completed", finished_at=timezone.now())
    api_client.delete(f"/api/v1/downloads/{done.pk}")
    assert api_client.get("/api/v1/downloads/queue").json()["completed"] == []
    assert api_client.get(f"/api/v1/downloads/{done.pk}").json()["status"] == "completed"


def test_retry_queues_a_failed_item_again(api_client):
    job = DownloadJobFactory(status="failed", error_code="upstream_unavailable", error="x")
    response = api_client.post(f"/api/v1/downloads/{job.pk}/retry")
    assert response.status_code == 202
    assert response.json()["status"] == "queued" and response.json()["error"] is None


def test_priority_pause_and_resume_are_extensions(api_client):
    job = DownloadJobFactory()
    assert api_client.post(f"/api/v1/downloads/{job.pk}/priority", {"priority": "urgent"},
                           format="json").json()["priority"] == "urgent"
    assert api_client.post(f"/api/v1/downloads/{job.pk}/pause").json()["status"] == "paused"
    assert api_client.post(f"/api/v1/downloads/{job.pk}/resume").json()["status"] == "queued"


def test_history_is_paginated_and_filtered(api_client):
    DownloadJobFactory(status="completed", finished_at=timezone.now(), repo="a/b")
    DownloadJobFactory(status="failed", finished_at=timezone.now(), repo="c/d")
    DownloadJobFactory()  # queued: not history
    body = api_client.get("/api/v1/downloads/history").json()
    assert body["count"] == 2 and {"next", "previous", "results"} <= set(body)
    assert api_client.get("/api/v1/downloads/history?status=failed").json()["count"] == 1
    assert api_client.get("/api/v1/downloads/history?repo=a/b").json()["results"][0]["repo"] == "a/b"


def test_stats_count_and_rate(api_client):
    now = timezone.now()
    DownloadJobFactory(status="completed", size=1000, started_at=now - timezone.timedelta(seconds=10),
                       finished_at=now)
    DownloadJobFactory(status="completed", size=3000, started_at=now - timezone.timedelta(seconds=10),
                       finished_at=now)
    DownloadJobFactory(status="failed", finished_at=now)
    DownloadJobFactory(status="cancelled", finished_at=now)
    body = api_client.get("/api/v1/downloads/stats").json()
    assert body == {"total": 4, "completed": 2, "failed": 1, "cancelled": 1, "success_rate": 0.6667,
                    "total_bytes": 4000, "average_speed_bps": 200}


def test_it_needs_a_logged_in_user(client):
    assert client.get("/api/v1/downloads/queue").status_code in (401, 403)


def test_an_unknown_item_is_404(api_client):
    response = api_client.get("/api/v1/downloads/999999")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
