"""Downloading a whole list: what is queued, what is skipped and why, and the storage shortfall."""

import pytest
from django.urls import reverse

from downloads.models import DownloadJob
from lists.models import download_budget
from tests.factories import ModelListItemFactory, ModelVariantFactory

pytestmark = pytest.mark.django_db

PETABYTE = 10**15


@pytest.fixture
def mixed_list(make_list, downloaded_variant, queued_variant):
    """One item in each state, plus one file far bigger than any disk."""
    model_list = make_list(name="Mixed")
    downloaded = downloaded_variant(size=1234)
    queued = queued_variant(size=2000)
    small = ModelVariantFactory(size=3000)
    recommended = ModelVariantFactory(size=4000, is_recommended=True)
    ModelVariantFactory(repository=recommended.repository, size=5000)  # not the recommended one
    huge = ModelVariantFactory(size=PETABYTE)
    for variant in (downloaded, queued, small, huge):
        ModelListItemFactory(model_list=model_list, repo=variant.repository.repo, filename=variant.filename)
    ModelListItemFactory(model_list=model_list, repo=recommended.repository.repo, filename="")
    ModelListItemFactory(model_list=model_list, repo="gone/not-in-catalog", filename="")
    return model_list, {"downloaded": downloaded, "queued": queued, "small": small, "recommended": recommended,
                        "huge": huge}


def test_it_queues_what_is_not_downloaded_and_says_why_the_rest_was_skipped(api_client, mixed_list):
    model_list, variants = mixed_list
    response = api_client.post(f"/api/v1/lists/{model_list.pk}/download")
    assert response.status_code == 202
    body = response.json()
    assert sorted(item["filename"] for item in body["queued"]) == sorted(
        [variants["small"].filename, variants["recommended"].filename])
    assert {item["status"] for item in body["queued"]} == {"queued"}
    reasons = {(s["repo"], s["reason"]) for s in body["skipped"]}
    assert reasons == {
        (variants["downloaded"].repository.repo, "already_downloaded"),
        (variants["queued"].repository.repo, "already_queued"),
        (variants["huge"].repository.repo, "insufficient_storage"),
        ("gone/not-in-catalog", "missing"),
    }
    assert all(s["message"] for s in body["skipped"])


def test_the_storage_shortfall_is_computed_against_the_whole_batch(api_client, mixed_list):
    model_list, variants = mixed_list
    available = download_budget()
    body = api_client.post(f"/api/v1/lists/{model_list.pk}/download").json()
    needed = 3000 + 4000 + PETABYTE
    assert body["storage"]["needed_bytes"] == needed
    assert abs(body["storage"]["shortfall_bytes"] - (needed - available)) < 10**9  # the disk moves a little
    no_space = next(s for s in body["skipped"] if s["reason"] == "insufficient_storage")
    assert no_space["details"]["shortfall_bytes"] == body["storage"]["shortfall_bytes"]
    assert no_space["details"]["size"] == PETABYTE


def test_a_second_download_skips_everything_already_queued(api_client, mixed_list):
    model_list, _ = mixed_list
    api_client.post(f"/api/v1/lists/{model_list.pk}/download")
    body = api_client.post(f"/api/v1/lists/{model_list.pk}/download").json()
    assert body["queued"] == []
    assert sum(1 for s in body["skipped"] if s["reason"] == "already_queued") == 3


def test_the_list_shows_queued_items_after_a_download(api_client, mixed_list):
    model_list, _ = mixed_list
    api_client.post(f"/api/v1/lists/{model_list.pk}/download")
    statuses = [item["status"] for item in api_client.get(f"/api/v1/lists/{model_list.pk}").json()["items"]]
    assert statuses == ["downloaded", "queued", "queued", "available", "queued", "missing"]


def test_the_jobs_belong_to_the_user_who_asked(api_client, mixed_list, user):
    model_list, variants = mixed_list
    api_client.post(f"/api/v1/lists/{model_list.pk}/download")
    assert DownloadJob.objects.get(variant=variants["small"]).user == user


def test_the_confirm_page_shows_the_storage_impact_before_downloading(logged_in_client, mixed_list):
    model_list, _ = mixed_list
    page = logged_in_client.get(reverse("lists:download", args=[model_list.pk]))
    assert page.status_code == 200
    assert "more free space" in page.content.decode()
    assert not DownloadJob.objects.filter(variant__size=3000).exists()


def test_confirming_on_the_page_queues_and_reports(logged_in_client, mixed_list):
    model_list, variants = mixed_list
    response = logged_in_client.post(reverse("lists:download", args=[model_list.pk]), follow=True)
    assert DownloadJob.objects.filter(variant=variants["small"]).exists()
    text = response.content.decode()
    assert "2 downloads were queued" in text
    assert "already downloaded" in text and "would not fit" in text


def test_an_unknown_priority_is_refused_before_anything_is_queued(api_client, mixed_list):
    model_list, _ = mixed_list
    response = api_client.post(f"/api/v1/lists/{model_list.pk}/download", {"priority": "asap"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert DownloadJob.objects.count() == 1  # only the fixture's queued job


def test_a_priority_applies_to_every_queued_item(api_client, mixed_list):
    model_list, _ = mixed_list
    body = api_client.post(f"/api/v1/lists/{model_list.pk}/download", {"priority": "high"}, format="json").json()
    assert {item["priority"] for item in body["queued"]} == {"high"}
