"""A real browser on the Civitai pages: infinite scroll loads the next page, a model opens,
versions switch in place, a trigger word is copied, images move with the arrow keys, and a
file is queued."""

import pytest
from playwright.sync_api import expect

from downloads.models import DownloadJob
from tests.browser import login
from tests.e2e.conftest import axe_violations, small_targets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_scroll_open_switch_copy_and_queue(civ, settings, live_server, new_page, user):  # noqa: F811
    settings.CIVITAI_PAGE_SIZE = 6
    civ.civitai.models[4214]["modelVersions"][0]["trainedWords"] = ["velvet portrait", "soft light"]
    page = new_page(width=1280, height=800, permissions=["clipboard-read", "clipboard-write"])
    login(page, live_server, user)

    page.goto(f"{live_server.url}/discover/civitai/")
    cards = page.locator(".civitai-card")
    expect(cards).to_have_count(6)
    page.mouse.wheel(0, 20_000)  # nearing the end reveals "Load more": htmx fetches the next page
    expect(cards).to_have_count(12)
    expect(page.locator("img[loading=lazy]").first).to_have_attribute("alt", "Example image of Classic Realism 1.5")

    page.get_by_role("link", name="Velvet Portraits").click()  # on the second page (10th by rating)
    expect(page.get_by_role("heading", level=1)).to_have_text("Velvet Portraits")
    expect(page.locator("#version-heading")).to_have_text("v1.0 Adult")
    expect(page.locator(".civitai-version img.is-blurred").first).to_be_visible()

    page.get_by_role("link", name="v1.0 SFW").click()
    expect(page.locator("#version-heading")).to_have_text("v1.0 SFW")
    expect(page.get_by_role("link", name="v1.0 SFW")).to_have_attribute("aria-current", "true")
    assert "version=600217" in page.url

    page.get_by_role("button", name="Copy velvet portrait").click()
    expect(page.locator(".copy-status")).to_have_text("Copied: velvet portrait")
    assert page.evaluate("navigator.clipboard.readText()") == "velvet portrait"
    page.get_by_role("button", name="Copy all").click()
    assert page.evaluate("navigator.clipboard.readText()") == "velvet portrait, soft light"

    gallery = page.locator("[data-gallery]")
    gallery.focus()
    expect(page.locator(".civitai-gallery-controls")).to_contain_text("1 / 2")
    page.keyboard.press("ArrowRight")
    expect(page.locator(".civitai-gallery-controls")).to_contain_text("2 / 2")

    page.get_by_role("button", name="Queue velvet_portraits_v1.safetensors").click()
    expect(page.locator("#notices")).to_contain_text("velvet_portraits_v1.safetensors was added to the download queue")
    expect(page.locator("#file-700217")).to_contain_text("In the queue")
    job = DownloadJob.objects.get()
    assert job.repo == "civitai:4214" and job.civitai_version_id == 600217


def test_the_pages_fit_a_phone(civ, settings, live_server, new_page, user):  # noqa: F811
    page = new_page(width=390, height=844)
    login(page, live_server, user)
    for path in ("/discover/civitai/", "/discover/civitai/4203/"):
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, path
        assert axe_violations(page) == [], path
        assert small_targets(page) == [], path


def test_the_grid_works_without_javascript(civ, settings, live_server, new_page, user):  # noqa: F811
    settings.CIVITAI_PAGE_SIZE = 6
    page = new_page(width=390, height=844, java_script_enabled=False)
    login(page, live_server, user)
    page.goto(f"{live_server.url}/discover/civitai/")
    expect(page.locator(".civitai-card")).to_have_count(6)
    page.get_by_role("link", name="Load more").click()  # a plain link: the next page
    expect(page.locator(".civitai-card")).to_have_count(6)
    assert "cursor=" in page.url
    page.get_by_role("link", name="Velvet Portraits").click()
    expect(page.locator("code", has_text="velvet")).to_have_count(0)  # no trigger words seeded
    expect(page.get_by_role("button", name="Queue velvet_portraits_adult_v1.safetensors")).to_be_visible()
