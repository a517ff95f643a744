"""The Models page in Chromium: filters, search, sort, the details overlay, cancel and retry."""

import re

import pytest
from playwright.sync_api import expect

from downloads.models import DownloadJob
from modella.models import UserSettings
from tests.factories import DownloadJobFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def card_names(page) -> list[str]:
    return page.locator("#results .repo-name").all_inner_texts()


def test_filter_chips_combine_update_the_url_and_are_remembered(ui_page, live_server, demo_catalog, ui_user):
    page = ui_page
    page.goto(live_server.url + "/")
    assert len(card_names(page)) == 3
    page.locator(".chip", has_text="llama").click()
    expect(page).to_have_url(re.compile(r"family=llama"))
    expect(page.locator("#results .repo-name")).to_have_count(1)
    page.locator(".chip", has_text="qwen").click()  # OR within Family
    expect(page.locator("#results .repo-name")).to_have_count(2)
    page.locator(".chip", has_text="XS").click()  # AND with Size
    expect(page.locator("#results .repo-name")).to_have_count(1)
    expect(page.locator("#results .repo-name")).to_have_text("Qwen/Qwen2.5-0.5B-Instruct-GGUF")
    expect(page).to_have_url(re.compile(r"family=llama&family=qwen&size=xs|size=xs"))
    page.reload()  # the URL holds the state
    expect(page.locator("#results .repo-name")).to_have_count(1)
    expect(page.locator(".chip", has_text="qwen").locator("input")).to_be_checked()
    page.goto(live_server.url + "/")  # the next visit starts with the same filters
    expect(page).to_have_url(re.compile(r"size=xs"))
    expect(page.locator("#results .repo-name")).to_have_count(1)
    assert UserSettings.objects.get(user=ui_user).model_filters["size"] == ["xs"]
    page.get_by_role("link", name="Clear filters").first.click()
    expect(page.locator("#results .repo-name")).to_have_count(3)


def test_search_and_sort_apply_as_you_type(ui_page, live_server, demo_catalog):
    page = ui_page
    page.goto(live_server.url + "/")
    page.get_by_role("searchbox", name="Search models").fill("mixtral")
    expect(page.locator("#results .repo-name")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"search=mixtral"))
    page.get_by_role("searchbox", name="Search models").fill("")
    expect(page.locator("#results .repo-name")).to_have_count(3)
    page.get_by_label("Sort").select_option("-likes")
    expect(page.locator("#results .repo-name").first).to_have_text("TheBloke/Llama-2-7B-Chat-GGUF")
    expect(page).to_have_url(re.compile(r"sort=-likes"))
    page.get_by_label("Sort").select_option("size")
    expect(page.locator("#results .repo-name").first).to_have_text("Qwen/Qwen2.5-0.5B-Instruct-GGUF")


def test_the_details_overlay_opens_closes_on_escape_and_returns_focus(ui_page, live_server, demo_catalog):
    page = ui_page
    page.goto(live_server.url + "/")
    info = page.locator("#results a", has_text="Info").first
    info.focus()
    info.press("Enter")
    dialog = page.locator("#details-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#details-title")).to_be_visible()
    expect(dialog.locator("#details-title")).to_be_focused()
    expect(dialog).to_contain_text("Speed")
    page.keyboard.press("Tab")  # focus stays inside the modal dialog
    assert page.evaluate("document.getElementById('details-dialog').contains(document.activeElement)")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(info).to_be_focused()
    # A click outside (on the backdrop) closes it too.
    info.click()
    expect(dialog.locator("#details-title")).to_be_visible()
    page.mouse.click(20, 400)
    expect(dialog).to_be_hidden()


def test_cancel_and_retry_from_the_variants_table(ui_page, live_server, demo_catalog):
    variant = demo_catalog["mistral"].variants.get()
    job = DownloadJobFactory(variant=variant, status="failed", error="The hub answered with HTTP status 500.")
    page = ui_page
    page.goto(live_server.url + "/")
    row = page.locator(f"#variant-{variant.pk}")
    expect(row).to_contain_text("HTTP status 500")
    row.get_by_role("button", name="Retry").click()
    expect(page.locator("#notices")).to_contain_text("queued again")
    expect(row).to_contain_text("Queued")
    assert DownloadJob.objects.get(pk=job.pk).status == "queued"
    row.get_by_role("button", name="Cancel").click()
    expect(page.locator("#notices")).to_contain_text("cancelled")
    expect(row).to_contain_text("Available")
    assert DownloadJob.objects.get(pk=job.pk).status == "cancelled"


def test_theme_switch_persists(ui_page, live_server, ui_user):
    page = ui_page
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.get_by_role("button", name="Switch to the light theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    page.goto(live_server.url + "/settings/")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert UserSettings.objects.get(user=ui_user).theme == "light"
