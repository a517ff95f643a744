"""The language switcher changes the page and the pages after it; the browser's language is
taken on a first visit."""

import pytest
from django.utils import translation
from django.utils.translation import gettext

from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def label(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


def test_the_switcher_changes_this_page_and_the_next(page, live_server, ui_user):
    login(page, live_server, ui_user)
    page.goto(live_server.url + "/")
    page.select_option("#language-select", "de")  # modella.js submits the form on change
    page.wait_for_selector('html[lang="de"]')
    assert page.locator(".site-nav").inner_text().count(label("de", "Settings")) == 1
    page.goto(live_server.url + "/storage/")
    assert page.locator("html").get_attribute("lang") == "de"
    assert label("de", "Storage") in page.locator("h1").inner_text()


def test_a_japanese_browser_gets_japanese_on_its_first_visit(new_page, live_server, ui_user):
    page = new_page(locale="ja-JP")
    login(page, live_server, ui_user)
    page.goto(live_server.url + "/settings/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert label("ja", "Settings") in page.locator(".site-nav").inner_text()
