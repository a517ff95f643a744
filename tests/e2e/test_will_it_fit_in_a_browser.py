"""Will it fit in Chromium: the verdict's numbers appear on focus and hover, inline on a phone, and
the table stays free of axe-core problems."""

import pytest

from catalog import probe
from tests.browser import login
from tests.e2e.conftest import axe_violations
from tests.factories import ModelRepositoryFactory, ModelVariantFactory
from tests.fakehub import FakeHub

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
GiB = 1024**3


@pytest.fixture
def estimated(settings, tmp_path):
    settings.RAM_BYTES, settings.GPU_BYTES, settings.FIT_CONTEXT = 32 * GiB, 8 * GiB, 4096
    repository = ModelRepositoryFactory(author="quantlab", name="Llama-3-8B-GGUF")
    variant = ModelVariantFactory(repository=repository, filename="llama-3-8b.Q4_K_M.gguf", size=4_920_734_016,
                                  is_recommended=True)
    path = tmp_path / variant.filename
    path.write_bytes(FakeHub.gguf_bytes(arch="llama", n_params_hint=8e9, quant="Q4_K_M"))  # 8 KV heads
    probe.update_variant_from_file(variant, path)
    ModelVariantFactory(repository=repository, filename="llama-3-8b.F32.gguf", size=32_121_045_248,
                        quant_method="F32", quant_bits=32)
    return variant


def tip_width(page, variant) -> float:
    return page.locator(f"#fit-tip-{variant.pk}").bounding_box()["width"]


def test_the_numbers_show_on_focus_and_hover(ui_page, live_server, estimated):
    page = ui_page
    page.goto(f"{live_server.url}/models/info/{estimated.repository.repo}")
    verdict = page.locator(f'[aria-describedby="fit-tip-{estimated.pk}"]')
    assert verdict.inner_text() == "Fits in GPU"
    assert tip_width(page, estimated) <= 1  # hidden until asked for, but already the description
    verdict.focus()
    assert tip_width(page, estimated) > 100
    assert "KV cache 512 MB at 4096 tokens" in page.locator(f"#fit-tip-{estimated.pk}").inner_text()
    page.locator("h2").first.hover()
    page.locator("body").click(position={"x": 5, "y": 5})  # focus leaves
    assert tip_width(page, estimated) <= 1
    verdict.hover()
    assert tip_width(page, estimated) > 100
    assert axe_violations(page) == []


def test_escape_hides_the_numbers_and_keeps_the_focus(ui_page, live_server, estimated):
    page = ui_page
    page.goto(f"{live_server.url}/models/info/{estimated.repository.repo}")
    verdict = page.locator(f'[aria-describedby="fit-tip-{estimated.pk}"]')
    verdict.focus()
    assert tip_width(page, estimated) > 100
    page.keyboard.press("Escape")
    assert tip_width(page, estimated) <= 1
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == f"fit-tip-{estimated.pk}"
    page.keyboard.press("Tab")
    verdict.focus()  # focus came back: the numbers show again
    assert tip_width(page, estimated) > 100


def test_a_phone_shows_the_numbers_under_the_verdict(new_page, live_server, ui_user, estimated):
    page = new_page(width=390, height=844)
    login(page, live_server, ui_user)
    page.goto(f"{live_server.url}/models/info/{estimated.repository.repo}")
    assert tip_width(page, estimated) > 100
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
