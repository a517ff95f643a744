"""In a real browser: deleting a model from the library updates the dashboard without a reload."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser import login
from tests.factories import ModelRepositoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MB = 1024**2


def test_deleting_a_model_updates_the_dashboard_without_a_full_reload(page, live_server, user, downloaded_variant,  # noqa: F811
                                                                      models_dir):
    big = downloaded_variant("acme/big-GGUF/big.Q8_0.gguf", 30 * MB, repository=ModelRepositoryFactory(repo="acme/big-GGUF"))
    downloaded_variant("acme/small-GGUF/small.Q4_K_M.gguf", 10 * MB,
                       repository=ModelRepositoryFactory(repo="acme/small-GGUF"))
    login(page, live_server, user)
    page.goto(live_server.url + reverse("storage:index"))
    summary = page.locator("#storage-summary")
    assert re.search(r"·\s*2 models\s*·", summary.inner_text())
    assert page.locator("#storage-models-bytes").inner_text() == "40 MB"
    page.evaluate("window.__sameDocument = true")

    page.locator(f"#entry-variant-{big.pk}").get_by_role("link", name=re.compile("Delete")).click()
    dialog = page.locator("#storage-dialog")
    dialog.get_by_role("button", name="Delete").click()

    expect(summary).to_contain_text(re.compile(r"·\s*1 model\s*·"))
    expect(page.locator("#storage-models-bytes")).to_have_text("10 MB")
    assert page.evaluate("window.__sameDocument") is True  # no full page load happened
    assert page.locator(f"#entry-variant-{big.pk}").count() == 0
    assert not dialog.evaluate("d => d.open")
    assert not (models_dir / "acme/big-GGUF/big.Q8_0.gguf").exists()


def test_the_page_fits_a_390px_wide_screen(new_page, live_server, user, downloaded_variant):  # noqa: F811
    downloaded_variant("someone-with-a-long-name/a-rather-long-repository-name-GGUF/file.Q4_K_M.gguf", MB)
    phone = new_page(width=390, height=844)
    login(phone, live_server, user)
    phone.goto(live_server.url + reverse("storage:index"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    for target in phone.locator(".row-actions .button").all():
        box = target.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
