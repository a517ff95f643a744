"""Keyboard shortcuts in Chromium: / d q ? g+letter on every page, j k Enter on the Models page,
never while typing or with Ctrl/Alt/Meta held, and a setting that turns them all off (WCAG 2.1.4)."""

import re

import pytest
from playwright.sync_api import expect

from modella.models import UserSettings
from tests.browser import login
from tests.e2e.conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_dialogs(page) -> int:
    return page.locator("dialog[open]").count()


def ready(page, url: str) -> None:
    """Load a page and wait until the deferred scripts ran (shortcuts.js binds on DOMContentLoaded)."""
    page.goto(url)
    page.wait_for_load_state("load")


def handed_over(page, url: str) -> None:
    """A shortcut on a page without its control goes to the Models page and finishes there: wait for
    that page to load (slow while the whole suite loads the machine) before looking at the result."""
    expect(page).to_have_url(url)
    page.wait_for_load_state("load")


HANDOFF_TIMEOUT = 15_000


def test_slash_moves_to_the_search_field_of_the_page(ui_page, live_server, demo_catalog):
    page = ui_page
    ready(page, live_server.url + "/")
    page.keyboard.press("/")
    expect(page.locator("#search")).to_be_focused()
    expect(page.locator("#search")).to_have_value("")  # the "/" itself is not typed into the field

    ready(page, live_server.url + "/storage/")  # any page's own search field
    page.keyboard.press("/")
    expect(page.locator("#library-q")).to_be_focused()

    ready(page, live_server.url + "/downloads/")  # no search here: the Models search
    page.keyboard.press("/")
    handed_over(page, live_server.url + "/")
    expect(page.locator("#search")).to_be_focused(timeout=HANDOFF_TIMEOUT)


def test_d_opens_the_download_model_dialog_from_any_page(ui_page, live_server, demo_catalog):
    page = ui_page
    ready(page, live_server.url + "/")
    page.keyboard.press("d")
    dialog = page.locator("#add-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#add-title")).to_be_visible()  # htmx loaded it, as a click on the button does
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    ready(page, live_server.url + "/lists/")
    page.keyboard.press("d")
    handed_over(page, live_server.url + "/")
    expect(page.locator("#add-dialog #add-title")).to_be_visible(timeout=HANDOFF_TIMEOUT)


def test_q_opens_the_queue_from_any_page(ui_page, live_server, demo_catalog):
    page = ui_page
    ready(page, live_server.url + "/")
    page.keyboard.press("q")
    expect(page.locator("#queue-dialog #queue-title")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#queue-dialog")).to_be_hidden()

    ready(page, live_server.url + "/storage/")
    page.keyboard.press("q")
    handed_over(page, live_server.url + "/")
    expect(page.locator("#queue-dialog #queue-title")).to_be_visible(timeout=HANDOFF_TIMEOUT)


def test_keys_typed_in_a_field_are_text_not_shortcuts(ui_page, live_server, demo_catalog):
    page = ui_page
    ready(page, live_server.url + "/")
    search = page.locator("#search")
    search.click()
    page.keyboard.type("dq/?gdjk")
    expect(search).to_have_value("dq/?gdjk")
    expect(search).to_be_focused()
    assert open_dialogs(page) == 0
    expect(page).to_have_url(re.compile(r"^" + re.escape(live_server.url) + r"/(\?.*)?$"))  # no "g d" navigation

    page.get_by_label("Sort").focus()  # a select: letters pick options there
    page.keyboard.press("q")
    assert open_dialogs(page) == 0


def test_nothing_fires_with_ctrl_alt_or_meta_held(ui_page, live_server, demo_catalog):
    page = ui_page
    ready(page, live_server.url + "/")
    page.locator("#open-add").focus()
    for combo in ("Control+d", "Control+q", "Control+/", "Alt+d", "Alt+q", "Meta+q", "Control+Shift+?", "Control+j"):
        page.keyboard.press(combo)
    assert open_dialogs(page) == 0
    expect(page.locator("#open-add")).to_be_focused()
    expect(page).to_have_url(live_server.url + "/")


def test_question_mark_shows_every_shortcut_and_escape_returns_focus(ui_page, live_server, demo_catalog):
    page = ui_page
    ready(page, live_server.url + "/")
    queue_button = page.locator("#open-queue")
    queue_button.focus()
    page.keyboard.press("?")
    help_dialog = page.locator("#shortcuts-dialog")
    expect(help_dialog).to_be_visible()
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    for group in ("On every page", "Models page"):
        expect(help_dialog.get_by_role("heading", name=group)).to_be_visible()
    for text in ("Move to the search field", "Open the Download model dialog", "Open the download queue",
                 "Go to Downloads", "Go to Storage", "Go to Lists", "Go to Models", "Next model", "Previous model"):
        expect(help_dialog).to_contain_text(text)
    keys = help_dialog.locator("kbd").all_inner_texts()
    for key in ("/", "d", "q", "?", "g", "j", "k", "Enter", "Esc"):
        assert key in keys
    assert page.evaluate("document.getElementById('shortcuts-dialog').contains(document.activeElement)")
    for _ in range(6):  # the modal keeps focus inside
        page.keyboard.press("Tab")
        assert page.evaluate("""() => document.getElementById('shortcuts-dialog').contains(document.activeElement)
                                   || document.activeElement === document.body""")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    expect(queue_button).to_be_focused()
    assert open_dialogs(page) == 0  # Escape closed the help, it did not press q behind it


def test_the_footer_link_opens_the_help_and_the_close_button_returns_to_it(ui_page, live_server):
    page = ui_page
    ready(page, live_server.url + "/downloads/")
    link = page.get_by_role("link", name="Keyboard shortcuts")
    link.click()
    help_dialog = page.locator("#shortcuts-dialog")
    expect(help_dialog).to_be_visible()
    expect(page).to_have_url(live_server.url + "/downloads/")  # JavaScript opened it in place
    help_dialog.get_by_role("button", name="Close").click()
    expect(help_dialog).to_be_hidden()
    expect(link).to_be_focused()


def test_without_javascript_the_footer_link_opens_the_help_page(new_page, live_server, ui_user):
    page = new_page(java_script_enabled=False)
    login(page, live_server, ui_user)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Keyboard shortcuts").click()
    expect(page).to_have_url(live_server.url + "/shortcuts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keyboard shortcuts")
    expect(page.locator("main")).to_contain_text("Go to Downloads")


def test_j_and_k_move_between_models_and_enter_opens_the_details(ui_page, live_server, demo_catalog):
    page = ui_page
    ready(page, live_server.url + "/")
    cards = page.locator('#results [data-shortcut="card"]')
    expect(cards).to_have_count(3)
    page.keyboard.press("j")
    expect(cards.nth(0)).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(cards.nth(2)).to_be_focused()
    page.keyboard.press("j")  # stays on the last one
    expect(cards.nth(2)).to_be_focused()
    page.keyboard.press("k")
    expect(cards.nth(1)).to_be_focused()
    name = cards.nth(1).locator(".repo-name").inner_text()
    # The list refreshes itself (htmx) while downloads run: the selected card keeps the focus.
    card_id = cards.nth(1).get_attribute("id")
    cards.nth(1).evaluate("card => card.dataset.beforeRefresh = '1'")
    page.evaluate("document.body.dispatchEvent(new CustomEvent('modella:changed'))")
    page.wait_for_function(f"""() => {{ const card = document.getElementById('{card_id}');
        return card && !card.dataset.beforeRefresh && document.activeElement === card; }}""")
    page.keyboard.press("j")
    expect(cards.nth(2)).to_be_focused()
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    details = page.locator("#details-dialog")
    expect(details.locator("#details-title")).to_be_visible()
    expect(details).to_contain_text(name)
    page.keyboard.press("Escape")
    expect(details).to_be_hidden()


def test_enter_opens_the_details_even_before_a_refreshed_list_settles(ui_page, live_server, demo_catalog):
    # htmx wires the links of swapped-in content up when the swap settles (20 ms later, more under
    # load): Enter in that window once left the page for the details page instead of the dialog.
    page = ui_page
    ready(page, live_server.url + "/")
    cards = page.locator('#results [data-shortcut="card"]')
    page.keyboard.press("j")
    expect(cards.nth(0)).to_be_focused()
    card_id = cards.nth(0).get_attribute("id")
    name = cards.nth(0).locator(".repo-name").inner_text()
    cards.nth(0).evaluate("card => card.dataset.beforeRefresh = '1'")
    page.evaluate("htmx.config.defaultSettleDelay = 3000")  # a late settle timer, as on a busy machine
    page.evaluate("document.body.dispatchEvent(new CustomEvent('modella:changed'))")
    page.wait_for_function(f"""() => {{ const card = document.getElementById('{card_id}');
        return card && !card.dataset.beforeRefresh && document.activeElement === card
            && document.querySelector('#results.htmx-settling'); }}""")
    page.keyboard.press("Enter")
    details = page.locator("#details-dialog")
    expect(details.locator("#details-title")).to_be_visible()
    expect(details).to_contain_text(name)
    assert page.url == live_server.url + "/"


def test_g_then_a_letter_goes_to_that_page(ui_page, live_server, demo_catalog):
    page = ui_page
    ready(page, live_server.url + "/")
    for letter, path in (("d", "/downloads/"), ("s", "/storage/"), ("l", "/lists/"), ("m", "/")):
        page.keyboard.press("g")
        page.keyboard.press(letter)
        expect(page).to_have_url(live_server.url + path)
        page.wait_for_load_state("load")
        assert open_dialogs(page) == 0  # "g d" went to Downloads; it did not open the Download model dialog


def test_the_setting_turns_every_single_key_shortcut_off(ui_page, live_server, demo_catalog, ui_user):
    page = ui_page
    ready(page, live_server.url + "/settings/")
    checkbox = page.get_by_label("Single-key keyboard shortcuts")
    expect(checkbox).to_be_checked()
    checkbox.uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#notices")).to_contain_text("Settings saved.")
    assert UserSettings.objects.get(user=ui_user).keyboard_shortcuts is False

    ready(page, live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("data-shortcuts", "off")
    for key in ("/", "d", "q", "?", "j"):
        page.keyboard.press(key)
    page.keyboard.press("g")
    page.keyboard.press("s")
    assert open_dialogs(page) == 0
    expect(page.locator("#search")).not_to_be_focused()
    expect(page).to_have_url(live_server.url + "/")

    # The help stays reachable from the footer, says the keys are off and turns them back on.
    page.get_by_role("link", name="Keyboard shortcuts").click()
    help_dialog = page.locator("#shortcuts-dialog")
    expect(help_dialog).to_contain_text("Single-key shortcuts are turned off")
    help_dialog.get_by_role("button", name="Turn single-key shortcuts on").click()
    expect(page.locator("html")).to_have_attribute("data-shortcuts", "on")
    expect(page.locator("#notices")).to_contain_text("Single-key keyboard shortcuts are on.")
    page.wait_for_load_state("load")
    page.keyboard.press("d")
    expect(page.locator("#add-dialog #add-title")).to_be_visible()


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_axe_finds_no_serious_problem_in_the_open_help(ui_page, live_server, demo_catalog, ui_user, theme):
    UserSettings.objects.filter(user=ui_user).update(theme=theme)
    page = ui_page
    ready(page, live_server.url + "/")
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-dialog")).to_be_visible()
    assert axe_violations(page) == []
