"""The Lists pages: counts, sizes, statuses, storage impact, and the "Add to list" menu without JS."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from lists.models import ModelList
from tests.factories import ModelListItemFactory, ModelVariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled_list(make_list, downloaded_variant, queued_variant):
    model_list = make_list(name="Weekend", description="Things to try")
    for variant in (downloaded_variant(size=2_000_000), queued_variant(size=3_000_000),
                    ModelVariantFactory(size=5_000_000)):
        ModelListItemFactory(model_list=model_list, repo=variant.repository.repo, filename=variant.filename)
    ModelListItemFactory(model_list=model_list, repo="nobody/unknown", filename="")
    return model_list


def test_the_lists_page_shows_each_list_with_its_item_count_and_total_size(logged_in_client, filled_list):
    page = logged_in_client.get(reverse("lists:index")).content.decode()
    assert "Weekend" in page
    assert "4 items" in page
    assert "9.5\xa0MB" in page  # 2 + 3 + 5 MB (the missing item has no size)


def test_the_list_page_shows_each_items_status_and_the_storage_impact(logged_in_client, filled_list):
    response = logged_in_client.get(reverse("lists:detail", args=[filled_list.pk]))
    page = response.content.decode()
    for status in ("status-downloaded", "status-queued", "status-available", "status-missing"):
        assert status in page
    assert "Downloading the rest of this list uses 4.8\xa0MB" in page
    assert 'data-opens-dialog="dialog-download"' in page
    assert page.count("<dialog") - page.count("<dialog id=\"shortcuts-dialog\"") == 3  # + the shortcuts help


def test_an_empty_lists_page_invites_to_create_one(logged_in_client):
    page = logged_in_client.get(reverse("lists:index")).content.decode()
    assert "You have no lists yet" in page


def test_the_menu_adds_to_an_existing_list_and_returns_to_the_page(logged_in_client, make_list):
    model_list = make_list(name="Favourites")
    variant = ModelVariantFactory()
    response = logged_in_client.post(reverse("lists:add_to_list"), {
        "list": model_list.pk, "repo": variant.repository.repo, "filename": variant.filename, "next": "/discover/"})
    assert response.status_code == 302 and response.url == "/discover/"
    assert model_list.items.get().filename == variant.filename


def test_the_menu_creates_a_new_list_with_the_item(logged_in_client, user):
    variant = ModelVariantFactory(is_recommended=True)
    logged_in_client.post(reverse("lists:add_to_list"), {
        "list": "new", "new_name": "Fresh", "repo": variant.repository.repo, "filename": "", "next": "/"})
    assert ModelList.objects.get(owner=user, name="Fresh").items.get().repo == variant.repository.repo


def test_the_menu_does_not_leave_an_empty_new_list_when_the_item_is_refused(logged_in_client, user):
    variant = ModelVariantFactory()
    logged_in_client.post(reverse("lists:add_to_list"), {
        "list": "new", "new_name": "Fresh", "repo": variant.repository.repo, "filename": "missing.gguf"})
    assert not ModelList.objects.filter(owner=user).exists()


def test_the_menu_never_redirects_to_another_site(logged_in_client, make_list):
    model_list = make_list()
    variant = ModelVariantFactory()
    response = logged_in_client.post(reverse("lists:add_to_list"), {
        "list": model_list.pk, "repo": variant.repository.repo, "next": "https://evil.example/"})
    assert response.url == reverse("lists:index")


def test_with_htmx_the_menu_answers_itself_with_the_result(logged_in_client, make_list):
    model_list = make_list(name="Favourites")
    variant = ModelVariantFactory()
    response = logged_in_client.post(reverse("lists:add_to_list"), {
        "list": model_list.pk, "repo": variant.repository.repo, "filename": variant.filename, "next": "/"},
        headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="add-to-list"' in page and "<html" not in page
    assert "Added" in page and "already added" in page


def test_the_include_renders_the_users_lists_for_other_pages(user, make_list, other_user):
    make_list(name="Mine")
    make_list(owner=other_user, name="Theirs")
    request = RequestFactory().get("/")
    request.user = user
    html = Template('{% include "lists/_add_to_list.html" with repo="acme/tiny-llama-gguf" %}').render(
        Context({"request": request}))
    assert "Mine" in html and "Theirs" not in html
    assert 'name="repo" value="acme/tiny-llama-gguf"' in html
    assert "New list" in html


def test_the_tag_renders_the_same_menu(user, make_list):
    make_list(name="Mine")
    request = RequestFactory().get("/")
    request.user = user
    html = Template('{% load lists_tags %}{% add_to_list "acme/tiny-llama-gguf" "x.gguf" %}').render(
        Context({"request": request}))
    assert "Mine" in html and 'name="filename" value="x.gguf"' in html


def test_the_nav_links_to_the_lists_page(logged_in_client):
    page = logged_in_client.get(reverse("lists:index")).content.decode()
    assert f'href="{reverse("lists:index")}" aria-current="page"' in page
