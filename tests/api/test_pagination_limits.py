"""Paginated lists take ?page_size= up to 200, and a page past the end is a 404 in the error format."""

from datetime import timedelta

import pytest
from django.utils import timezone

from storage.models import StorageSnapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshots():
    now = timezone.now()
    StorageSnapshot.objects.bulk_create([
        StorageSnapshot(taken_at=now - timedelta(minutes=i), total_bytes=10, used_bytes=5, available_bytes=5)
        for i in range(230)
    ])


def test_the_default_page_has_fifty_items(api_client, snapshots):
    body = api_client.get("/api/v1/storage/snapshots").json()
    assert body["count"] == 230 and len(body["results"]) == 50 and body["next"]


def test_page_size_is_capped_at_two_hundred(api_client, snapshots):
    body = api_client.get("/api/v1/storage/snapshots", {"page_size": 1000}).json()
    assert len(body["results"]) == 200
    assert "page_size=1000" in body["next"] and "page=2" in body["next"]


def test_a_smaller_page_size_is_honoured(api_client, snapshots):
    body = api_client.get("/api/v1/storage/snapshots", {"page_size": 7, "page": 2}).json()
    assert len(body["results"]) == 7 and body["previous"]


def test_a_page_past_the_end_is_not_found(api_client, snapshots):
    response = api_client.get("/api/v1/storage/snapshots", {"page": 99})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/v1/downloads/history", "/api/v1/lists", "/api/v1/local-files",
                                  "/api/v1/modelfiles"])
def test_every_paginated_list_takes_page_size(api_client, path):
    body = api_client.get(path, {"page_size": 500}).json()
    assert body["count"] == 0 and body["next"] is None
