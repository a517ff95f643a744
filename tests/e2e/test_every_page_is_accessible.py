"""axe-core finds no serious or critical problem on the pages of every app, in both themes
(the Models page and its overlays are checked in test_onboarding_mobile_and_accessibility)."""

import pytest

from catalog.sync import fetch_repository
from links import registry
from modella.models import UserSettings
from tests.browser import login
from tests.e2e.conftest import axe_violations
from tests.factories import DownloadJobFactory, ModelListFactory, ModelListItemFactory
from webhooks.models import Webhook, WebhookDelivery

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_axe_finds_no_serious_problems_on_any_app_page(new_page, live_server, ui_user, demo_catalog, featured,
                                                         hub, theme, tmp_path, other_user):
    UserSettings.objects.filter(user=ui_user).update(theme=theme)
    DownloadJobFactory(variant=demo_catalog["llama"].variants.first(), status="downloading", bytes_done=10**9)
    DownloadJobFactory(variant=demo_catalog["qwen"].variants.first(), status="failed", error="Disk full.")
    model_list = ModelListFactory(owner=ui_user, name="Chat models")
    ModelListItemFactory(model_list=model_list, repo=demo_catalog["llama"].repo)
    hub.add_hf_repo("acme/axe-layout", files={"config.json": "{}", "model.safetensors": hub.generated(1000)})
    fetch_repository("acme/axe-layout")
    pages = ["/downloads/", "/storage/", "/storage/upload/", "/lists/", f"/lists/{model_list.pk}/", "/discover/",
             "/discover/packages/", "/discover/civitai/", "/discover/civitai/4216/", "/shortcuts/",
             "/discover/whole-repository/acme/axe-layout"]
    webhook, _secret = Webhook.objects.create_webhook("http://192.0.2.10/hook", ["download.completed"], "Chat bot")
    WebhookDelivery.objects.create_for(webhook, "download.completed", None)  # never sent: no worker runs here
    pages += ["/webhooks/", f"/webhooks/{webhook.pk}/", f"/webhooks/{webhook.pk}/delete/"]
    (tmp_path / "comfy" / "models" / "loras").mkdir(parents=True)
    (tmp_path / "comfy" / "models" / "loras" / "theirs.safetensors").write_bytes(b"x")  # a health finding
    app_folder = registry.save_app(None, {"name": "ComfyUI", "kind": "comfyui", "root": str(tmp_path / "comfy")})
    pages += ["/apps/", "/apps/add/", f"/apps/{app_folder.pk}/", f"/apps/{app_folder.pk}/edit/",
              f"/apps/{app_folder.pk}/delete/"]
    # The Updates page with an update listed, and the summary of a run (downloads.updates).
    from downloads.models import UpdateItem, UpdateRun

    outdated = demo_catalog["mistral"].variants.get()
    type(outdated).objects.filter(pk=outdated.pk).update(
        local_path="huggingface/mistralai/m.gguf", update_available=True,
        update_details={"old": {"revision": "a" * 40, "size": 10}, "new": {"revision": "b" * 40, "size": 12}})
    update_run = UpdateRun.objects.create(user=ui_user, policy="archive")
    UpdateItem.objects.create(run=update_run, variant=outdated, repo=outdated.repository.repo,
                              filename=outdated.filename, kind="commit", outcome="queued",
                              job=DownloadJobFactory(variant=outdated, status="completed"),
                              result={"policy": "archive", "files": [{"path": "a.gguf", "action": "moved",
                                                                      "to": "archive/a.abc.gguf"}]})
    UpdateItem.objects.create(run=update_run, outcome="skipped", reason="not_found", message="Not in the catalog.")
    pages += ["/downloads/updates/", f"/downloads/updates/?run={update_run.pk}", "/no-such-page/"]
    page = new_page()
    login(page, live_server, ui_user)
    problems = {}
    for path in pages:
        page.goto(live_server.url + path)
        problems[path] = axe_violations(page)
    # The page a member (not staff) gets for the app folders.
    page.context.clear_cookies()
    login(page, live_server, other_user)
    page.goto(live_server.url + "/apps/")
    problems["403"] = axe_violations(page)
    assert {k: v for k, v in problems.items() if v} == {}
