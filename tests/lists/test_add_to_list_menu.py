"""The "Add to list" menu and the bulk-action dialog in a real browser (Playwright + Chromium)."""

import pytest
from django.urls import reverse

from lists.models import ModelList
from tests.browser import login
from tests.factories import ModelListFactory, ModelListItemFactory, ModelVariantFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def owner(user):
    return user


@pytest.fixture
def logged_in_page(new_page, live_server, owner):  # noqa: F811
    """A page factory: a browser tab signed in as `owner`, with or without JavaScript."""

    def open_page(width=1280, javascript=True):
        page = new_page(width=width, java_script_enabled=javascript)
        login(page, live_server, owner)
        return page

    return open_page


@pytest.fixture
def lists_with_item(owner):
    variant = ModelVariantFactory(is_recommended=True)
    source = ModelListFactory(owner=owner, name="Source")
    ModelListItemFactory(model_list=source, repo=variant.repository.repo, filename=variant.filename)
    favourites = ModelListFactory(owner=owner, name="Favourites")
    return source, favourites, variant


def test_the_menu_adds_to_a_list_in_place(logged_in_page, live_server, lists_with_item):
    source, favourites, variant = lists_with_item
    page = logged_in_page()
    page.goto(live_server.url + reverse("lists:detail", args=[source.pk]))
    menu = page.locator(".add-to-list").first
    menu.locator("summary").click()
    menu.get_by_role("button", name="Favourites").click()
    status = page.locator(".add-to-list-status").first
    status.wait_for()
    assert "Favourites" in status.inner_text()
    assert page.url.endswith(reverse("lists:detail", args=[source.pk]))  # no page load
    assert favourites.items.get().filename == variant.filename
    # The swapped menu knows the item is in the list now, and keyboard focus stayed on it.
    assert "already added" in page.locator(".add-to-list").first.inner_text()
    assert page.evaluate("document.activeElement.closest('.add-to-list') !== null")
    page.keyboard.press("Escape")
    assert not page.locator("details.add-to-list-menu").first.evaluate("menu => menu.open")


def test_new_list_creates_a_list_with_the_item(logged_in_page, live_server, lists_with_item, owner):
    source, _, variant = lists_with_item
    page = logged_in_page()
    page.goto(live_server.url + reverse("lists:detail", args=[source.pk]))
    menu = page.locator(".add-to-list").first
    menu.locator("summary").click()
    menu.get_by_label("New list…").fill("Brand new")
    menu.get_by_label("New list…").press("Enter")
    page.locator(".add-to-list-status", has_text="Brand new").wait_for()
    assert ModelList.objects.get(owner=owner, name="Brand new").items.get().filename == variant.filename


def test_the_menu_works_without_javascript(logged_in_page, live_server, lists_with_item):
    source, favourites, _ = lists_with_item
    page = logged_in_page(javascript=False)
    page.goto(live_server.url + reverse("lists:detail", args=[source.pk]))
    menu = page.locator(".add-to-list").first
    menu.locator("summary").click()
    menu.get_by_role("button", name="Favourites").click()
    page.wait_for_load_state()
    assert "Favourites" in page.locator("#notices").inner_text()
    assert favourites.items.count() == 1


def test_the_menu_fits_a_phone_screen_with_large_targets(logged_in_page, live_server, lists_with_item):
    source, _, _ = lists_with_item
    page = logged_in_page(width=390)
    page.goto(live_server.url + reverse("lists:detail", args=[source.pk]))
    menu = page.locator(".add-to-list").first
    menu.locator("summary").click()
    panel = menu.locator(".add-to-list-panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= 390
    for button in menu.get_by_role("button").all():
        assert button.bounding_box()["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_bulk_actions_confirm_in_a_dialog(logged_in_page, live_server, lists_with_item):
    source, _, _ = lists_with_item
    page = logged_in_page()
    page.goto(live_server.url + reverse("lists:detail", args=[source.pk]))
    page.get_by_role("link", name="Delete list").click()
    dialog = page.locator("#dialog-delete")
    assert dialog.is_visible()
    dialog.get_by_role("link", name="Cancel").click()
    assert not dialog.is_visible()
    assert ModelList.objects.filter(pk=source.pk).exists()
    page.get_by_role("link", name="Delete list").click()
    dialog.get_by_role("button", name="Delete list").click()
    page.wait_for_url(live_server.url + reverse("lists:index"))
    assert not ModelList.objects.filter(pk=source.pk).exists()
