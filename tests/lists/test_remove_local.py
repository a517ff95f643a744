"""Removing a list's downloaded files: they leave the disk, the items stay, the bytes freed are counted."""

import pytest
from django.urls import reverse

from tests.factories import ModelListItemFactory, ModelVariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def list_with_files(make_list, downloaded_variant):
    model_list = make_list()
    first, second = downloaded_variant(size=1500), downloaded_variant(size=2500, is_recommended=True)
    not_downloaded = ModelVariantFactory(size=999)
    ModelListItemFactory(model_list=model_list, repo=first.repository.repo, filename=first.filename)
    ModelListItemFactory(model_list=model_list, repo=second.repository.repo, filename="")
    ModelListItemFactory(model_list=model_list, repo=not_downloaded.repository.repo, filename=not_downloaded.filename)
    return model_list, [first, second]


def test_it_deletes_the_files_and_reports_the_bytes_freed(api_client, list_with_files, models_dir):
    model_list, variants = list_with_files
    paths = [models_dir / v.local_path for v in variants]
    response = api_client.post(f"/api/v1/lists/{model_list.pk}/remove-local")
    assert response.status_code == 200
    body = response.json()
    assert body["freed_bytes"] == 4000
    assert sorted(r["filename"] for r in body["removed"]) == sorted(v.filename for v in variants)
    assert not any(path.exists() for path in paths)
    for variant in variants:
        variant.refresh_from_db()
        assert variant.local_path == ""
    assert model_list.items.count() == 3
    statuses = [item["status"] for item in api_client.get(f"/api/v1/lists/{model_list.pk}").json()["items"]]
    assert statuses == ["available", "available", "available"]


def test_removing_again_frees_nothing(api_client, list_with_files):
    model_list, _ = list_with_files
    api_client.post(f"/api/v1/lists/{model_list.pk}/remove-local")
    assert api_client.post(f"/api/v1/lists/{model_list.pk}/remove-local").json() == {"removed": [], "freed_bytes": 0}


def test_a_file_in_two_items_is_removed_once(api_client, make_list, downloaded_variant):
    variant = downloaded_variant(size=700, is_recommended=True)
    model_list = make_list()
    ModelListItemFactory(model_list=model_list, repo=variant.repository.repo, filename="")
    ModelListItemFactory(model_list=model_list, repo=variant.repository.repo, filename=variant.filename)
    body = api_client.post(f"/api/v1/lists/{model_list.pk}/remove-local").json()
    assert body["freed_bytes"] == 700 and len(body["removed"]) == 1


def test_the_page_asks_first_then_removes(logged_in_client, list_with_files, models_dir):
    model_list, variants = list_with_files
    url = reverse("lists:remove_local", args=[model_list.pk])
    assert logged_in_client.get(url).status_code == 200
    assert all((models_dir / v.local_path).exists() for v in variants)
    response = logged_in_client.post(url, follow=True)
    assert "Removed 2 downloaded files" in response.content.decode()
    assert not any((models_dir / v.local_path).exists() for v in variants)


def test_removing_files_records_a_storage_snapshot(api_client, list_with_files):
    from storage.models import StorageSnapshot

    model_list, _ = list_with_files
    before = StorageSnapshot.objects.count()
    api_client.post(f"/api/v1/lists/{model_list.pk}/remove-local")
    assert StorageSnapshot.objects.count() == before + 1
