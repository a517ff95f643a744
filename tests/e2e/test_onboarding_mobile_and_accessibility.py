"""The onboarding tour by keyboard, the main flows at 390x844, and axe-core on every page in both themes."""

import pytest
from playwright.sync_api import expect

from modella.models import UserSettings
from tests.browser import login
from tests.e2e.conftest import axe_violations, horizontal_overflow, small_targets
from tests.factories import DownloadJobFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_welcome_banner_and_the_tour_work_from_the_keyboard(page, live_server, user, demo_catalog, featured):
    login(page, live_server, user)
    page.goto(live_server.url + "/")
    welcome = page.locator("#welcome")
    expect(welcome).to_contain_text("Discover, download, and manage your AI models in one place")
    welcome.get_by_role("button", name="Take a tour").focus()
    page.keyboard.press("Enter")
    for step, title in enumerate(("Featured models", "Download model", "Storage dashboard", "Filter and search"), 1):
        callout = page.locator(f"#tour-step-{step}")
        expect(callout).to_be_focused()
        expect(callout.get_by_role("heading")).to_have_text(title)
        expect(callout).to_contain_text(f"step {step} of 4")
        label = "Next" if step < 4 else "Finish"
        callout.get_by_role("button", name=label).focus()
        page.keyboard.press("Enter")
    expect(page.locator(".tour")).to_have_count(0)
    expect(page.locator("#welcome")).to_have_count(0)
    settings = UserSettings.objects.get(user=user)
    assert settings.onboarding_done and settings.onboarding_step == 0
    page.goto(live_server.url + "/settings/")
    page.get_by_role("button", name="Restart the tour").click()
    expect(page.locator("#tour-step-1")).to_be_focused()
    page.locator("#tour-step-1").get_by_role("button", name="Skip").click()
    expect(page.locator(".tour")).to_have_count(0)


def test_main_flows_on_a_phone(new_page, live_server, ui_user, demo_catalog, featured):
    DownloadJobFactory(variant=demo_catalog["llama"].variants.first(), status="downloading", bytes_done=10**9,
                       speed_bps=25 * 10**6, eta_seconds=120)
    page = new_page(390, 844, has_touch=True, is_mobile=True)
    login(page, live_server, ui_user)
    page.goto(live_server.url + "/")
    assert horizontal_overflow(page) == 0
    assert small_targets(page) == []
    # Filters live in a bottom sheet.
    sheet_toggle = page.locator("#filter-sheet > summary")
    expect(sheet_toggle).to_be_visible()
    expect(page.locator(".chip", has_text="qwen")).to_be_hidden()
    sheet_toggle.click()
    expect(page.locator(".sheet-body")).to_be_visible()
    page.locator(".chip", has_text="qwen").click()
    page.get_by_role("button", name="Show results").click()
    expect(page.locator(".sheet-body")).to_be_hidden()
    expect(page.locator("#results .repo-name")).to_have_count(1)
    assert horizontal_overflow(page) == 0
    page.goto(live_server.url + "/?clear=1")
    # The dialog and the overlays are full screen and do not scroll sideways.
    page.get_by_role("link", name="Download model").first.click()
    dialog = page.locator("#add-dialog")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box["width"] >= 389 and box["height"] >= 843
    page.keyboard.press("Escape")
    page.locator("#results a", has_text="Info").first.click()
    expect(page.locator("#details-title")).to_be_visible()
    assert page.locator("#details-dialog").bounding_box()["width"] >= 389
    assert horizontal_overflow(page) == 0
    page.keyboard.press("Escape")
    for path in ("/models/add/?input=", "/models/queue/", "/settings/", "/models/info/TheBloke/Llama-2-7B-Chat-GGUF"):
        page.goto(live_server.url + path)
        assert horizontal_overflow(page) == 0, path
        assert small_targets(page) == [], path


def test_long_german_words_and_cjk_text_do_not_break_the_layout(new_page, live_server, ui_user, demo_catalog):
    from tests.factories import ModelRepositoryFactory, ModelVariantFactory

    long = ModelRepositoryFactory(author="Donaudampfschifffahrtsgesellschaftskapitaen",
                                  name="Rechtsschutzversicherungsgesellschaften-量子化モデル-GGUF", family="llama")
    ModelVariantFactory(repository=long, filename="Grundstuecksverkehrsgenehmigungszustaendigkeit-量子化.Q4_K_M.gguf")
    for language in ("de", "ja"):
        page = new_page(390, 844)
        login(page, live_server, ui_user)
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(live_server.url + "/")
        assert page.locator("html").get_attribute("lang") == language
        assert horizontal_overflow(page) == 0, language


PAGES = ["/", "/models/add/", "/models/add/?input=nobody", "/models/queue/", "/settings/",
         "/models/info/TheBloke/Llama-2-7B-Chat-GGUF"]


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_axe_finds_no_serious_problems(new_page, live_server, ui_user, demo_catalog, featured, theme):
    UserSettings.objects.filter(user=ui_user).update(theme=theme, onboarding_done=False, onboarding_step=0)
    DownloadJobFactory(variant=demo_catalog["llama"].variants.first(), status="downloading", bytes_done=10**9)
    DownloadJobFactory(variant=demo_catalog["qwen"].variants.first(), status="failed", error="Disk full.")
    page = new_page()
    login(page, live_server, ui_user)
    problems = {}
    for path in PAGES:
        page.goto(live_server.url + path)
        problems[path] = axe_violations(page)
    # The overlays, open over the Models page.
    page.goto(live_server.url + "/")
    for opener, dialog in (("#open-add", "#add-dialog"), ("#open-queue", "#queue-dialog"),
                           ("#results a.button >> nth=0", "#details-dialog")):
        page.locator(opener).click()
        expect(page.locator(f"{dialog} h2").first).to_be_visible()
        problems[dialog] = axe_violations(page)
        page.keyboard.press("Escape")
    # The tour's callout.
    page.locator("#welcome").get_by_role("button", name="Take a tour").click()
    problems["tour"] = axe_violations(page)
    assert {k: v for k, v in problems.items() if v} == {}
