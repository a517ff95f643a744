"""Reusable Playwright fixtures: Debian's Chromium driving pytest-django's live_server.

The fixtures are registered once for the whole suite in tests/conftest.py; use them as:

    @pytest.mark.browser
    @pytest.mark.django_db(transaction=True)   # the live server thread must see committed rows
    def test_something(logged_in_page, live_server): ...

Tests skip with a clear reason when Chromium is missing, unless MODELLA_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

# Playwright's sync API runs an event loop in this thread; the ORM calls that tests make beside it
# are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("MODELLA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REQUIRE = os.environ.get("MODELLA_REQUIRE_SERVICES") == "1"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
        if REQUIRE:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable[..., object]]:
    """A factory: new_page(width=1280, height=900, **context_options) -> a Playwright Page."""
    contexts = []

    def make(width: int = 1280, height: int = 900, **options):
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def login(page, live_server, user) -> None:
    """Sign `user` in by giving the browser a session cookie made with the test client."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}])


@pytest.fixture
def logged_in_page(page, live_server, user):
    login(page, live_server, user)
    return page
