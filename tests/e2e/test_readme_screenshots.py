"""README screenshots: MODELLA_SCREENSHOTS=1 pytest tests/e2e/test_readme_screenshots.py

Writes docs/screenshots/models-desktop.png, models-mobile.png and queue.png from a demo catalog.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.browser import login
from tests.factories import DownloadJobFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(os.environ.get("MODELLA_SCREENSHOTS") != "1", reason="set MODELLA_SCREENSHOTS=1 to refresh"),
]
OUT = Path(settings.BASE_DIR) / "docs" / "screenshots"


# The GGUF headers' attention shapes (as read from the real files), so "Fits" shows verdicts.
SHAPES = {
    "llama": {"block_count": 32, "embedding_length": 4096, "head_count": 32, "head_count_kv": 32},
    "mistral": {"block_count": 32, "embedding_length": 4096, "head_count": 32, "head_count_kv": 8},
    "qwen": {"block_count": 24, "embedding_length": 896, "head_count": 14, "head_count_kv": 2},
}


def test_take_the_readme_screenshots(new_page, live_server, ui_user, demo_catalog, featured, settings):
    OUT.mkdir(parents=True, exist_ok=True)
    settings.RAM_BYTES, settings.GPU_BYTES = 32 * 1024**3, 8 * 1024**3  # a typical desktop with an 8 GB GPU
    for name, shape in SHAPES.items():
        repository = demo_catalog[name]
        repository.extra = {**(repository.extra or {}), "gguf_shape": shape}
        repository.save(update_fields=["extra"])
    llama = list(demo_catalog["llama"].variants.order_by("size"))
    DownloadJobFactory(variant=llama[1], status="downloading", bytes_done=1_836_451_900, speed_bps=52_428_800,
                       eta_seconds=43)
    DownloadJobFactory(variant=llama[2], status="queued", priority=2)
    DownloadJobFactory(variant=demo_catalog["mistral"].variants.get(), status="failed",
                       error="The hub answered with HTTP status 503.")
    DownloadJobFactory(variant=demo_catalog["qwen"].variants.get(), status="completed", finished_at=timezone.now(),
                       bytes_done=491_000_000)
    page = new_page(1280, 800)
    login(page, live_server, ui_user)
    page.goto(live_server.url + "/?clear=1")
    page.screenshot(path=str(OUT / "models-desktop.png"), full_page=True)
    page.locator("#open-queue").click()
    page.locator("#queue-title").wait_for()
    page.wait_for_timeout(400)
    page.screenshot(path=str(OUT / "queue.png"))
    mobile = new_page(390, 844, is_mobile=True, has_touch=True)
    login(mobile, live_server, ui_user)
    mobile.goto(live_server.url + "/")
    mobile.screenshot(path=str(OUT / "models-mobile.png"))
