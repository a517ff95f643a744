"""Creating, reading, renaming, describing and deleting lists and their items (API and pages)."""

import pytest
from django.urls import reverse

from lists.models import ModelList
from tests.factories import ModelListItemFactory, ModelVariantFactory

pytestmark = pytest.mark.django_db


def test_it_creates_a_list_through_the_api(api_client, user):
    response = api_client.post("/api/v1/lists", {"name": "Chat models", "description": "For the laptop"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Chat models"
    assert body["description"] == "For the laptop"
    assert body["items"] == [] and body["total_size"] == 0
    assert {"id", "created_at", "updated_at"} <= body.keys()
    assert ModelList.objects.get(pk=body["id"]).owner == user


def test_it_lists_the_users_lists_paginated(api_client, make_list):
    make_list(name="B")
    make_list(name="A")
    body = api_client.get("/api/v1/lists").json()
    assert body["count"] == 2
    assert [row["name"] for row in body["results"]] == ["A", "B"]


def test_it_refuses_a_list_without_a_name(api_client):
    response = api_client.post("/api/v1/lists", {"name": "  "}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_it_refuses_a_second_list_with_the_same_name(api_client, make_list):
    make_list(name="Mine")
    response = api_client.post("/api/v1/lists", {"name": "Mine"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_exists"


def test_it_renames_and_describes_a_list(api_client, make_list):
    model_list = make_list(name="Old")
    response = api_client.patch(f"/api/v1/lists/{model_list.pk}", {"name": "New", "description": "Now described"},
                                format="json")
    assert response.status_code == 200
    model_list.refresh_from_db()
    assert (model_list.name, model_list.description) == ("New", "Now described")


def test_a_patch_with_only_a_description_keeps_the_name(api_client, make_list):
    model_list = make_list(name="Keep")
    api_client.patch(f"/api/v1/lists/{model_list.pk}", {"description": "x"}, format="json")
    model_list.refresh_from_db()
    assert (model_list.name, model_list.description) == ("Keep", "x")


def test_it_deletes_a_list(api_client, make_list):
    model_list = make_list()
    assert api_client.delete(f"/api/v1/lists/{model_list.pk}").status_code == 204
    assert not ModelList.objects.filter(pk=model_list.pk).exists()


def test_it_adds_a_repository_as_its_recommended_variant(api_client, make_list):
    variant = ModelVariantFactory(is_recommended=True, size=5000)
    ModelVariantFactory(repository=variant.repository, size=9000)
    model_list = make_list()
    response = api_client.post(f"/api/v1/lists/{model_list.pk}/items",
                               {"repo": variant.repository.repo, "note": "try first"}, format="json")
    assert response.status_code == 201
    item = response.json()
    assert item["repo"] == variant.repository.repo
    assert item["filename"] is None
    assert item["note"] == "try first"
    assert item["status"] == "available"
    assert item["resolved_filename"] == variant.filename
    assert api_client.get(f"/api/v1/lists/{model_list.pk}").json()["total_size"] == 5000


def test_it_adds_a_specific_file(api_client, make_list):
    variant = ModelVariantFactory()
    model_list = make_list()
    response = api_client.post(f"/api/v1/lists/{model_list.pk}/items",
                               {"repo": variant.repository.repo, "filename": variant.filename}, format="json")
    assert response.status_code == 201
    assert response.json()["filename"] == variant.filename
    assert model_list.items.get().sha256 == variant.sha256


def test_it_refuses_a_file_the_repository_does_not_have(api_client, make_list):
    variant = ModelVariantFactory()
    model_list = make_list()
    response = api_client.post(f"/api/v1/lists/{model_list.pk}/items",
                               {"repo": variant.repository.repo, "filename": "nope.gguf"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_it_refuses_a_repo_id_no_hub_accepts(api_client, make_list):
    model_list = make_list()
    response = api_client.post(f"/api/v1/lists/{model_list.pk}/items", {"repo": "../../etc"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_it_refuses_the_same_item_twice(api_client, make_list):
    variant = ModelVariantFactory()
    model_list = make_list()
    url = f"/api/v1/lists/{model_list.pk}/items"
    data = {"repo": variant.repository.repo, "filename": variant.filename}
    api_client.post(url, data, format="json")
    response = api_client.post(url, data, format="json")
    assert response.status_code == 409
    assert model_list.items.count() == 1


def test_it_removes_an_item(api_client, make_list):
    model_list = make_list()
    item = ModelListItemFactory(model_list=model_list)
    assert api_client.delete(f"/api/v1/lists/{model_list.pk}/items/{item.pk}").status_code == 204
    assert not model_list.items.exists()
    assert api_client.delete(f"/api/v1/lists/{model_list.pk}/items/{item.pk}").status_code == 404


def test_the_lists_page_creates_a_list(logged_in_client, user):
    response = logged_in_client.post(reverse("lists:index"), {"new-name": "From the page", "new-description": ""})
    model_list = ModelList.objects.get(owner=user, name="From the page")
    assert response.status_code == 302 and response.url == reverse("lists:detail", args=[model_list.pk])


def test_the_lists_page_says_when_the_name_is_taken(logged_in_client, make_list):
    make_list(name="Taken")
    response = logged_in_client.post(reverse("lists:index"), {"new-name": "Taken"})
    assert response.status_code == 400
    assert "already have a list" in response.content.decode()


def test_the_list_page_renames_and_describes(logged_in_client, make_list):
    model_list = make_list(name="Before")
    response = logged_in_client.post(reverse("lists:detail", args=[model_list.pk]),
                                     {"name": "After", "description": "Described"})
    assert response.status_code == 302
    model_list.refresh_from_db()
    assert (model_list.name, model_list.description) == ("After", "Described")


def test_the_list_page_adds_and_removes_an_item(logged_in_client, make_list):
    variant = ModelVariantFactory()
    model_list = make_list()
    response = logged_in_client.post(reverse("lists:add_item", args=[model_list.pk]),
                                     {"repo": variant.repository.repo, "filename": variant.filename, "note": ""})
    assert response.status_code == 302
    item = model_list.items.get()
    response = logged_in_client.post(reverse("lists:remove_item", args=[model_list.pk, item.pk]))
    assert response.status_code == 302
    assert not model_list.items.exists()


def test_deleting_from_the_page_asks_first_then_deletes(logged_in_client, make_list):
    model_list = make_list(name="Doomed")
    url = reverse("lists:delete", args=[model_list.pk])
    page = logged_in_client.get(url)
    assert page.status_code == 200
    assert "Doomed" in page.content.decode()
    assert ModelList.objects.filter(pk=model_list.pk).exists()
    response = logged_in_client.post(url)
    assert response.status_code == 302 and response.url == reverse("lists:index")
    assert not ModelList.objects.filter(pk=model_list.pk).exists()


def test_a_hub_file_link_adds_that_file(api_client, make_list, settings):
    variant = ModelVariantFactory()
    model_list = make_list()
    link = f"{settings.HF_ENDPOINT}/{variant.repository.repo}/blob/main/{variant.filename}"
    response = api_client.post(f"/api/v1/lists/{model_list.pk}/items", {"repo": link}, format="json")
    assert response.status_code == 201
    assert (response.json()["repo"], response.json()["filename"]) == (variant.repository.repo, variant.filename)
