"""The keyboard shortcuts help page (what the footer link opens without JavaScript) and the
setting that turns single-key shortcuts off (WCAG 2.1.4), saved per user like the theme."""

import pytest
from django.urls import reverse

from modella.models import UserSettings

pytestmark = pytest.mark.django_db

FORM = {"language": "en", "theme": "dark", "show_featured": "on", "nsfw_level": "pg13", "nsfw_blur": "on"}


def test_the_help_page_lists_the_shortcuts_by_page(logged_in_client):
    page = logged_in_client.get(reverse("shortcuts")).content.decode()
    assert '<h1 id="shortcuts-page-title">Keyboard shortcuts</h1>' in page
    assert "On every page" in page and "Models page" in page
    for text in ("<kbd>/</kbd>", "<kbd>d</kbd>", "<kbd>q</kbd>", "<kbd>?</kbd>", "<kbd>j</kbd>", "<kbd>k</kbd>",
                 "Go to Downloads", "Go to Storage", "Go to Lists", "Open the details of the selected model"):
        assert text in page
    assert 'data-shortcut-go="d" data-url="/downloads/"' in page


def test_the_help_page_needs_a_login(client, user):
    response = client.get(reverse("shortcuts"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_every_page_carries_the_help_dialog_the_footer_link_and_the_users_choice(logged_in_client, user):
    page = logged_in_client.get(reverse("home")).content.decode()
    assert 'data-shortcuts="on"' in page
    assert '<dialog id="shortcuts-dialog"' in page
    assert f'href="{reverse("shortcuts")}" data-shortcuts-help' in page
    assert "js/shortcuts.js" in page
    UserSettings.objects.filter(user=user).update(keyboard_shortcuts=False)
    page = logged_in_client.get(reverse("home")).content.decode()
    assert 'data-shortcuts="off"' in page
    assert "Single-key shortcuts are turned off" in page


def test_the_settings_page_turns_the_shortcuts_off_and_on(logged_in_client, user):
    assert "Single-key keyboard shortcuts" in logged_in_client.get(reverse("settings")).content.decode()
    logged_in_client.post(reverse("settings"), FORM)  # an unticked checkbox is not sent
    assert UserSettings.objects.get(user=user).keyboard_shortcuts is False
    logged_in_client.post(reverse("settings"), {**FORM, "keyboard_shortcuts": "on"})
    assert UserSettings.objects.get(user=user).keyboard_shortcuts is True


def test_the_switch_in_the_help_saves_the_choice_and_goes_back(logged_in_client, user):
    response = logged_in_client.post(reverse("set_shortcuts"), {"keyboard_shortcuts": "off", "next": "/storage/"})
    assert response.status_code == 302 and response["Location"] == "/storage/"
    assert UserSettings.objects.get(user=user).keyboard_shortcuts is False
    page = logged_in_client.get(reverse("shortcuts")).content.decode()
    assert "Single-key keyboard shortcuts are off." in page  # the notice
    assert "Turn single-key shortcuts on" in page
    logged_in_client.post(reverse("set_shortcuts"), {"keyboard_shortcuts": "on"})
    assert UserSettings.objects.get(user=user).keyboard_shortcuts is True


def test_the_switch_refuses_a_foreign_next_and_toggles_on_an_unknown_value(logged_in_client, user):
    response = logged_in_client.post(reverse("set_shortcuts"), {"keyboard_shortcuts": "maybe",
                                                                 "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert UserSettings.objects.get(user=user).keyboard_shortcuts is False


def test_the_switch_only_accepts_post(logged_in_client):
    assert logged_in_client.get(reverse("set_shortcuts")).status_code == 405
