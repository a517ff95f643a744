"""The App folders pages: list, add and edit with the mapping, health with Repair and Link all
now, delete with a confirmation page. Everything works with plain form posts (no JavaScript)."""

import pytest
from django.urls import reverse

from links import registry
from links.models import AppFolder, Link
from tests.links.conftest import write

pytestmark = pytest.mark.django_db


def form_data(app_root, kind="comfyui", **overrides):
    data = {"name": "My ComfyUI", "kind": kind, "root": str(app_root), "link_mode": "auto", "enabled": "on"}
    data.update({f"map_{key}": value for key, value in registry.default_mapping(kind).items()})
    data.update(overrides)
    return data


def test_the_nav_leads_to_the_list_which_shows_each_app(logged_in_client, make_app, app_dir):
    make_app("lmstudio", app_dir, name="LM Studio")
    home = logged_in_client.get("/storage/").content.decode()
    assert 'href="/apps/"' in home

    page = logged_in_client.get("/apps/")

    assert page.status_code == 200
    assert "LM Studio" in page.content.decode() and str(app_dir) in page.content.decode()


def test_the_add_form_shows_the_chosen_apps_folders(logged_in_client):
    page = logged_in_client.get("/apps/add/?kind=a1111").content.decode()
    assert 'value="models/Stable-diffusion"' in page and 'value="models/Lora"' in page


def test_use_defaults_refills_the_mapping_without_javascript(logged_in_client, app_dir):
    data = form_data(app_dir, kind="invokeai", map_lora="somewhere/else", use_defaults="1")
    page = logged_in_client.post("/apps/add/", data)
    assert page.status_code == 200 and 'value="autoimport/lora"' in page.content.decode()
    assert not AppFolder.objects.exists()


def test_adding_an_app_saves_the_edited_mapping_and_opens_its_health_page(logged_in_client, app_dir):
    response = logged_in_client.post("/apps/add/", form_data(app_dir, map_lora="models/loras/modella", map_vae=""))

    app = AppFolder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("links:health", args=[app.pk])
    assert app.mapping["lora"] == "models/loras/modella" and app.mapping["vae"] == ""
    assert app.mapping["checkpoint"] == "models/checkpoints"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("root", "/definitely/not/here", "does not exist"),
    ("root", "/", "root of the filesystem"),
    ("map_lora", "../outside", "is not allowed"),
])
def test_bad_input_is_shown_beside_the_field(logged_in_client, app_dir, field, value, message):
    page = logged_in_client.post("/apps/add/", form_data(app_dir, **{field: value}))
    assert page.status_code == 400 and message in page.content.decode()
    assert not AppFolder.objects.exists()


def test_editing_an_app(logged_in_client, make_app, app_dir):
    app = make_app("comfyui", app_dir, name="Comfy")
    page = logged_in_client.get(f"/apps/{app.pk}/edit/").content.decode()
    assert 'value="Comfy"' in page and 'value="models/loras"' in page

    response = logged_in_client.post(f"/apps/{app.pk}/edit/", form_data(app_dir, name="Comfy 2", enabled=""))

    app.refresh_from_db()
    assert response.status_code == 302 and app.name == "Comfy 2" and app.enabled is False


def test_the_health_page_lists_findings_and_repair_fixes_them(logged_in_client, make_app, app_dir, civitai_model):
    civitai_model("LORA", "style.safetensors")
    write(app_dir / "models/loras/theirs.safetensors")
    app = make_app("comfyui", app_dir)

    page = logged_in_client.get(f"/apps/{app.pk}/").content.decode()
    assert "models/loras/style.safetensors" in page and "models/loras/theirs.safetensors" in page
    assert "Missing: this model should be linked here" in page and "Foreign file" in page

    response = logged_in_client.post(f"/apps/{app.pk}/repair/", follow=True)

    assert Link.objects.get().link_path == "models/loras/style.safetensors"
    text = response.content.decode()
    assert "Repaired 1 problem." in text and "1 finding is left for you" in text


def test_link_all_now_links_the_library(logged_in_client, make_app, app_dir, civitai_model):
    civitai_model("LORA", "style.safetensors")
    app = make_app("comfyui", app_dir)

    response = logged_in_client.post(f"/apps/{app.pk}/link-all/", follow=True)

    assert "Linked 1 file." in response.content.decode()
    assert (app_dir / "models/loras/style.safetensors").is_file()


def test_deleting_asks_first_then_removes_the_app_and_its_links(logged_in_client, make_app, app_dir,
                                                                civitai_model):
    civitai_model("LORA", "style.safetensors")
    app = make_app("comfyui", app_dir)
    registry.link_all(app)

    confirm = logged_in_client.get(f"/apps/{app.pk}/delete/")
    assert confirm.status_code == 200 and "remove the 1 link" in confirm.content.decode()
    assert AppFolder.objects.exists()

    response = logged_in_client.post(f"/apps/{app.pk}/delete/")

    assert response.status_code == 302 and response["Location"] == "/apps/"
    assert not AppFolder.objects.exists() and not (app_dir / "models/loras/style.safetensors").exists()


def test_actions_need_post_and_unknown_apps_are_404(logged_in_client, make_app, app_dir):
    app = make_app("comfyui", app_dir)
    assert logged_in_client.get(f"/apps/{app.pk}/repair/").status_code == 405
    assert logged_in_client.get("/apps/999/").status_code == 404


def test_the_pages_need_a_login(client, user):
    assert client.get("/apps/")["Location"].startswith("/accounts/login/")
