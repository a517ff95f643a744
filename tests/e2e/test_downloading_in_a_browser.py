"""The Download model dialog, the queue overlay watching a real download, and featured Try now."""

import threading

import pytest
from playwright.sync_api import expect

from downloads import queue
from downloads.models import DownloadJob
from storage import disk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TINY = "acme/tiny-llama-gguf"


def open_dialog(page, live_server):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Download model").first.click()
    dialog = page.locator("#add-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Repository or link")).to_be_focused()
    return dialog


def test_the_dialog_explains_invalid_input(ui_page, live_server, hub):
    dialog = open_dialog(ui_page, live_server)
    dialog.get_by_label("Repository or link").fill("this is not a repo")
    error = dialog.locator("#add-input-error")
    expect(error).to_contain_text("owner/name")
    expect(dialog.get_by_label("Repository or link")).to_have_attribute("aria-invalid", "true")


def test_a_valid_repo_previews_and_queues_the_recommended_file(ui_page, live_server, hub):
    page = ui_page
    dialog = open_dialog(page, live_server)
    dialog.get_by_label("Repository or link").fill(TINY)
    expect(dialog.locator(".repo-card")).to_contain_text(TINY)
    recommended = dialog.get_by_role("radio", name="tiny-q4_k_m.gguf")
    expect(recommended).to_be_checked()
    expect(dialog).to_contain_text("best quality under 5 bits per weight")
    expect(dialog).to_contain_text("left after")
    dialog.get_by_label("Priority").select_option("high")
    dialog.get_by_role("button", name="Download selected").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#notices")).to_contain_text("tiny-q4_k_m.gguf was added to the download queue")
    expect(page.locator("#open-queue")).to_have_text("Queue (1)")
    assert DownloadJob.objects.get().priority == DownloadJob.Priority.HIGH


def test_an_over_capacity_file_is_refused_with_numbers(ui_page, live_server, hub, monkeypatch):
    monkeypatch.setattr(disk, "free_bytes", lambda: 2_000)
    dialog = open_dialog(ui_page, live_server)
    dialog.get_by_label("Repository or link").fill(TINY)
    dialog.get_by_role("radio", name="tiny-f16.gguf").check()
    expect(dialog.locator(".choice", has_text="tiny-f16.gguf")).to_contain_text("Will not fit")
    dialog.get_by_role("button", name="Download selected").click()
    expect(dialog.locator(".refusal")).to_contain_text("This file needs")
    expect(dialog.locator(".refusal")).to_contain_text("can be used")
    assert not DownloadJob.objects.exists()


def test_the_queue_follows_a_download_to_completion(ui_page, live_server, hub):
    from catalog import sync

    repository = sync.fetch_repository(TINY)
    variant = repository.variants.get(filename="tiny-q4_k_m.gguf")
    job = queue.enqueue(variant)
    page = ui_page
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Queue (1)").click()
    overlay = page.locator("#queue-dialog")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text("Waiting")
    expect(overlay).to_contain_text("tiny-q4_k_m.gguf")
    # A worker, in this process: the page must notice the change by itself (polling).
    worker = threading.Thread(target=queue.run, args=(job.pk,))
    worker.start()
    worker.join(30)
    expect(overlay).to_contain_text("Recently completed", timeout=10_000)
    expect(page.locator("#notices")).to_contain_text("Download complete: tiny-q4_k_m.gguf", timeout=10_000)
    expect(page.locator(f"#variant-{variant.pk}")).to_contain_text("Downloaded")
    assert DownloadJob.objects.get(pk=job.pk).status == "completed"
    page.keyboard.press("Escape")
    expect(overlay).to_be_hidden()


def test_featured_try_now_and_dismiss(ui_page, live_server, hub, featured):
    page = ui_page
    page.goto(live_server.url + "/")
    section = page.locator("#featured")
    expect(section).to_contain_text("Tiny Llama Chat")
    section.get_by_role("button", name="Try now").click()
    expect(page.locator("#notices")).to_contain_text("added to the download queue")
    job = DownloadJob.objects.get()
    assert job.repo == TINY and job.variant.is_recommended
    section.get_by_role("button", name="Dismiss featured models").click()
    expect(page.locator("#featured")).to_have_count(0)
    page.reload()
    expect(page.locator("#featured")).to_have_count(0)
