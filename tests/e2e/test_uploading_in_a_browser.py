"""Uploading in Chromium: the Upload page's file input sends chunks with a progress bar, an upload
started earlier continues from the server's offset, and files dropped onto any page go up too."""

import hashlib
import os

import pytest
from playwright.sync_api import expect

from storage import uploads
from storage.models import LocalFile, Upload
from tests.e2e.conftest import axe_violations
from tests.fakehub.hub import FakeHub

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = FakeHub.safetensors_bytes({"model.weight": ("F32", [256, 300])}, seed=5)  # about 300 KiB: 5 chunks
CHUNK = 64 * 1024


@pytest.fixture(autouse=True)
def small_chunks(settings):
    settings.UPLOAD_CHUNK_BYTES = CHUNK
    settings.CIVITAI_ENDPOINT = "http://127.0.0.1:9"  # no hub: the upload must not wait for one
    settings.HUB_TIMEOUT = 1
    settings.STORAGE_RESERVE_BYTES = 0


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "chosen" / "my-model.safetensors"
    path.parent.mkdir()
    path.write_bytes(CONTENT)
    os.utime(path, (1_700_000_000, 1_700_000_000))  # File.lastModified: 1700000000000
    return path


def test_the_file_input_uploads_in_chunks_with_progress(ui_page, live_server, model_file, models_dir):
    page = ui_page
    page.goto(live_server.url + "/storage/upload/")
    page.get_by_label("Model files").set_input_files(str(model_file))
    page.get_by_role("button", name="Upload", exact=True).click()

    panel = page.locator("#upload-panel")
    expect(panel).to_be_visible()
    row = panel.locator(".upload-item")
    expect(row).to_have_attribute("data-state", "done", timeout=20_000)
    expect(row).to_contain_text("uploads/my-model.safetensors")
    expect(panel.get_by_role("progressbar", name="Upload progress of my-model.safetensors")).to_have_attribute(
        "value", "100")
    expect(panel.locator("[data-upload-announce]")).to_have_text("my-model.safetensors uploaded")

    assert (models_dir / "uploads" / "my-model.safetensors").read_bytes() == CONTENT
    assert LocalFile.objects.get(path="uploads/my-model.safetensors").sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('modella-upload:'))") == []
    assert axe_violations(page) == []  # with the panel open


def test_an_interrupted_upload_continues_from_the_servers_offset(ui_page, live_server, ui_user, model_file,
                                                                  models_dir):
    # An upload that stopped after 100,000 bytes (the tab was closed), its id kept in localStorage.
    upload = uploads.start(ui_user, model_file.name, len(CONTENT))

    class Body:
        data, position = CONTENT[:100_000], 0

        def read(self, size):
            block = self.data[self.position : self.position + size]
            self.position += len(block)
            return block

    uploads.receive(upload, 0, Body(), 100_000)
    page = ui_page
    page.goto(live_server.url + "/storage/upload/")
    expect(page.locator(".upload-rows")).to_contain_text("my-model.safetensors")
    assert axe_violations(page) == []  # the page with an unfinished upload listed
    page.evaluate("([key, id]) => localStorage.setItem(key, id)",
                  [f"modella-upload:my-model.safetensors:{len(CONTENT)}:1700000000000", str(upload.pk)])
    offsets = []
    page.on("request", lambda request: offsets.append(request.headers.get("upload-offset"))
            if request.method == "PATCH" else None)

    page.get_by_label("Model files").set_input_files(str(model_file))
    page.get_by_role("button", name="Upload", exact=True).click()

    expect(page.locator("#upload-panel .upload-item")).to_have_attribute("data-state", "done", timeout=20_000)
    assert offsets[0] == "100000"  # not a byte sent twice
    assert Upload.objects.count() == 1 and Upload.objects.get().status == "completed"
    assert (models_dir / "uploads" / "my-model.safetensors").read_bytes() == CONTENT


def test_files_dropped_onto_any_page_are_uploaded(ui_page, live_server, models_dir):
    page = ui_page
    page.goto(live_server.url + "/downloads/")
    data = page.evaluate_handle("""() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(70000).fill(7)], "dropped.gguf"));
      transfer.items.add(new File(["hello"], "notes.txt"));
      return transfer;
    }""")
    page.dispatch_event("body", "dragenter", {"dataTransfer": data})
    expect(page.locator("#upload-drop-overlay")).to_be_visible()
    page.dispatch_event("main", "drop", {"dataTransfer": data})

    expect(page.locator("#upload-drop-overlay")).to_be_hidden()
    rows = page.locator("#upload-panel .upload-item")
    expect(rows.nth(0)).to_have_attribute("data-state", "done", timeout=20_000)
    expect(rows.nth(1)).to_have_attribute("data-state", "failed")
    expect(rows.nth(1)).to_contain_text("“notes.txt” is not a model file")
    assert (models_dir / "uploads" / "dropped.gguf").read_bytes() == bytes([7]) * 70000


def test_pausing_and_resuming_keeps_the_bytes_sent(ui_page, live_server, model_file, models_dir, settings):
    settings.UPLOAD_CHUNK_BYTES = 64 * 1024
    page = ui_page
    page.goto(live_server.url + "/storage/upload/")
    # Slow the chunks down so that there is time to pause between them.
    page.route("**/api/v1/uploads/*", lambda route: (page.wait_for_timeout(300), route.continue_()))
    page.get_by_label("Model files").set_input_files(str(model_file))
    page.get_by_role("button", name="Upload", exact=True).click()
    row = page.locator("#upload-panel .upload-item")
    expect(row).to_have_attribute("data-state", "uploading")
    row.get_by_role("button", name="Pause my-model.safetensors").click()
    expect(row).to_have_attribute("data-state", "paused")

    row.get_by_role("button", name="Resume my-model.safetensors").click()

    expect(row).to_have_attribute("data-state", "done", timeout=20_000)
    assert (models_dir / "uploads" / "my-model.safetensors").read_bytes() == CONTENT
    assert Upload.objects.count() == 1
