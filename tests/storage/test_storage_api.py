"""GET /api/v1/storage and /api/v1/storage/snapshots, as API.md describes them."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import ModelRepositoryFactory, StorageSnapshotFactory

pytestmark = pytest.mark.django_db

MB = 1024**2


def test_it_returns_exactly_the_documented_fields(api_client, downloaded_variant):
    repo = ModelRepositoryFactory(source="civitai", repo="civitai:7", model_type="LORA", base_model="SD 1.5")
    downloaded_variant("civitai/7/style.safetensors", 2 * MB, repository=repo)

    body = api_client.get("/api/v1/storage").json()

    assert set(body) == {"total_bytes", "used_bytes", "available_bytes", "model_count", "models_bytes",
                         "by_source", "by_type", "by_base_model"}
    assert all(isinstance(body[k], int) for k in ("total_bytes", "used_bytes", "available_bytes", "model_count",
                                                  "models_bytes"))
    assert body["model_count"] == 1 and body["models_bytes"] == 2 * MB
    assert body["by_source"] == {"huggingface": 0, "civitai": 2 * MB, "local": 0}
    assert body["by_type"] == {"LORA": 2 * MB}
    assert body["by_base_model"] == {"SD 1.5": 2 * MB}


def test_it_needs_a_user(db):
    response = APIClient().get("/api/v1/storage")
    assert response.status_code in (401, 403)
    assert "total_bytes" not in response.json()


def test_snapshots_are_paginated_oldest_first(api_client):
    now = timezone.now()
    for hours in (3, 2, 1):
        StorageSnapshotFactory(taken_at=now - dt.timedelta(hours=hours), used_bytes=hours)

    body = api_client.get("/api/v1/storage/snapshots", {"page_size": 2}).json()

    assert body["count"] == 3 and body["next"] and body["previous"] is None
    assert [s["used_bytes"] for s in body["results"]] == [3, 2]
    assert set(body["results"][0]) == {"taken_at", "total_bytes", "used_bytes", "available_bytes",
                                       "models_bytes", "model_count"}


def test_snapshots_since_a_time(api_client):
    now = timezone.now()
    StorageSnapshotFactory(taken_at=now - dt.timedelta(days=2), used_bytes=1)
    StorageSnapshotFactory(taken_at=now - dt.timedelta(hours=1), used_bytes=2)
    since = (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    body = api_client.get("/api/v1/storage/snapshots", {"since": since}).json()

    assert [s["used_bytes"] for s in body["results"]] == [2]


@pytest.mark.parametrize("since", ["3134-07-08T21:14:59+18:26", "2026-11-22T10:00:00", "0001-01-01T00:00:00-05:00"])
def test_any_valid_since_is_answered_on_every_database(api_client, since):
    # PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 allows; naive times mean UTC.
    StorageSnapshotFactory(taken_at=timezone.now())
    response = api_client.get("/api/v1/storage/snapshots", {"since": since})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("since", ["yesterday", "2026-13-45T10:00:00Z"])
def test_a_bad_since_is_a_clear_400(api_client, since):
    response = api_client.get("/api/v1/storage/snapshots", {"since": since})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert "ISO 8601" in response.json()["error"]["message"]


def test_the_schema_documents_the_storage_endpoints(api_client):
    schema = api_client.get("/api/v1/schema/", {"format": "json"}).json()
    assert "/api/v1/storage" in schema["paths"]
    assert "/api/v1/storage/snapshots" in schema["paths"]
    assert "/api/v1/local-files/{id}" in schema["paths"]
