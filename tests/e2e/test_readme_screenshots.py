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


def test_take_the_readme_screenshots(new_page, live_server, ui_user, demo_catalog, featured):
    OUT.mkdir(parents=True, exist_ok=True)
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
