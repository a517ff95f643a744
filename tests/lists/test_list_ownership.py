"""Lists belong to the user who made them: another user's list is a 404, in the API and the pages."""

import pytest
from django.urls import reverse

from lists.models import ModelList
from tests.factories import ModelListItemFactory, ModelVariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign_list(make_list, other_user):
    model_list = make_list(owner=other_user, name="Not yours")
    ModelListItemFactory(model_list=model_list)
    return model_list


@pytest.mark.parametrize("method, path", [
    ("get", "/api/v1/lists/{pk}"),
    ("patch", "/api/v1/lists/{pk}"),
    ("delete", "/api/v1/lists/{pk}"),
    ("post", "/api/v1/lists/{pk}/items"),
    ("delete", "/api/v1/lists/{pk}/items/{item}"),
    ("post", "/api/v1/lists/{pk}/download"),
    ("post", "/api/v1/lists/{pk}/remove-local"),
    ("get", "/api/v1/lists/{pk}/export"),
])
def test_another_users_list_is_not_found_through_the_api(api_client, foreign_list, method, path):
    url = path.format(pk=foreign_list.pk, item=foreign_list.items.get().pk)
    response = getattr(api_client, method)(url, {"name": "x", "repo": "acme/tiny-llama-gguf"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    foreign_list.refresh_from_db()
    assert foreign_list.name == "Not yours" and foreign_list.items.count() == 1


def test_another_users_lists_are_not_listed(api_client, foreign_list, make_list):
    make_list(name="Mine")
    assert [row["name"] for row in api_client.get("/api/v1/lists").json()["results"]] == ["Mine"]


@pytest.mark.parametrize("method, name", [
    ("get", "lists:detail"), ("post", "lists:detail"), ("get", "lists:download"), ("post", "lists:download"),
    ("get", "lists:remove_local"), ("post", "lists:remove_local"), ("get", "lists:delete"), ("post", "lists:delete"),
    ("get", "lists:export"), ("post", "lists:add_item"),
])
def test_another_users_list_is_not_found_through_the_pages(logged_in_client, foreign_list, method, name):
    response = getattr(logged_in_client, method)(reverse(name, args=[foreign_list.pk]), {"name": "x", "repo": "a/b"})
    assert response.status_code == 404
    assert ModelList.objects.filter(pk=foreign_list.pk, name="Not yours").exists()


def test_removing_an_item_of_another_users_list_is_not_found(logged_in_client, foreign_list):
    item = foreign_list.items.get()
    response = logged_in_client.post(reverse("lists:remove_item", args=[foreign_list.pk, item.pk]))
    assert response.status_code == 404
    assert foreign_list.items.exists()


def test_the_add_to_list_menu_cannot_add_to_another_users_list(logged_in_client, foreign_list):
    variant = ModelVariantFactory()
    response = logged_in_client.post(reverse("lists:add_to_list"), {
        "list": foreign_list.pk, "repo": variant.repository.repo, "filename": variant.filename, "next": "/"})
    assert response.status_code == 302
    assert foreign_list.items.count() == 1


def test_the_lists_page_shows_only_the_users_lists(logged_in_client, foreign_list, make_list):
    make_list(name="Mine")
    page = logged_in_client.get(reverse("lists:index")).content.decode()
    assert "Mine" in page and "Not yours" not in page


def test_pages_need_a_login(client, foreign_list):
    response = client.get(reverse("lists:detail", args=[foreign_list.pk]))
    assert response.status_code == 302 and "login" in response.url


def test_the_api_needs_authentication(client, foreign_list):
    assert client.get("/api/v1/lists").status_code in (401, 403)
