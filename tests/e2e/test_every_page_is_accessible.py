"""axe-core finds no serious or critical problem on the pages of every app, in both themes
(the Models page and its overlays are checked in test_onboarding_mobile_and_accessibility)."""

import pytest

from modella.models import UserSettings
from tests.browser import login
from tests.e2e.conftest import axe_violations
from tests.factories import DownloadJobFactory, ModelListFactory, ModelListItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_axe_finds_no_serious_problems_on_any_app_page(new_page, live_server, ui_user, demo_catalog, featured,
                                                         hub, theme):
    UserSettings.objects.filter(user=ui_user).update(theme=theme)
    DownloadJobFactory(variant=demo_catalog["llama"].variants.first(), status="downloading", bytes_done=10**9)
    DownloadJobFactory(variant=demo_catalog["qwen"].variants.first(), status="failed", error="Disk full.")
    model_list = ModelListFactory(owner=ui_user, name="Chat models")
    ModelListItemFactory(model_list=model_list, repo=demo_catalog["llama"].repo)
    pages = ["/downloads/", "/storage/", "/lists/", f"/lists/{model_list.pk}/", "/discover/",
             "/discover/packages/", "/discover/civitai/", "/discover/civitai/4216/"]
    page = new_page()
    login(page, live_server, ui_user)
    problems = {}
    for path in pages:
        page.goto(live_server.url + path)
        problems[path] = axe_violations(page)
    assert {k: v for k, v in problems.items() if v} == {}
