"""/api/v1/apps and /api/v1/links: the same rules as the pages, in the API's formats."""

import pytest

from links.models import AppFolder, Link
from tests.links.conftest import write

pytestmark = pytest.mark.django_db


@pytest.fixture
def comfy(api_client, app_dir):
    response = api_client.post("/api/v1/apps", {"name": "ComfyUI", "kind": "comfyui", "root": str(app_dir)},
                               format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_creating_an_app_fills_the_kinds_mapping(comfy, app_dir):
    assert comfy["mapping"]["lora"] == "models/loras" and comfy["mapping"]["llm"] == ""
    assert comfy["enabled"] is True and comfy["link_mode"] == "auto" and comfy["link_count"] == 0
    assert comfy["root"] == str(app_dir)


def test_the_list_is_paginated(comfy, api_client):
    body = api_client.get("/api/v1/apps").json()
    assert body["count"] == 1 and body["results"][0]["id"] == comfy["id"]


@pytest.mark.parametrize(("payload", "field"), [
    ({"root": "/"}, "root"), ({"root": "relative"}, "root"), ({"root": "/no/such/folder"}, "root"),
    ({"kind": "photoshop"}, "kind"), ({"name": ""}, "name"), ({"link_mode": "copy"}, "link_mode"),
])
def test_bad_input_is_refused_with_the_error_format(api_client, app_dir, payload, field):
    data = {"name": "App", "kind": "comfyui", "root": str(app_dir), **payload}
    response = api_client.post("/api/v1/apps", data, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert response.json()["error"]["details"]["field"] == field
    assert not AppFolder.objects.exists()


def test_a_hostile_mapping_folder_is_refused(api_client, app_dir):
    response = api_client.post("/api/v1/apps", {"name": "x", "kind": "custom", "root": str(app_dir),
                                                "mapping": {"lora": "../../etc"}}, format="json")
    assert response.status_code == 400 and "../../etc" in response.json()["error"]["message"]


def test_a_second_app_with_the_same_name_is_a_conflict(comfy, api_client, app_dir):
    response = api_client.post("/api/v1/apps", {"name": "ComfyUI", "kind": "comfyui", "root": str(app_dir)},
                               format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_exists"


def test_patch_changes_single_categories_and_settings(comfy, api_client):
    response = api_client.patch(f"/api/v1/apps/{comfy['id']}",
                                {"mapping": {"lora": "models/loras/modella"}, "enabled": False}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["mapping"]["lora"] == "models/loras/modella" and body["mapping"]["vae"] == "models/vae"
    assert body["enabled"] is False


def test_changing_the_kind_starts_from_that_kinds_mapping(comfy, api_client):
    body = api_client.patch(f"/api/v1/apps/{comfy['id']}", {"kind": "a1111"}, format="json").json()
    assert body["mapping"]["lora"] == "models/Lora"


def test_health_link_all_repair_and_the_registry(comfy, api_client, app_dir, civitai_model):
    civitai_model("LORA", "style.safetensors")
    write(app_dir / "models/loras/theirs.safetensors")
    app_id = comfy["id"]

    health = api_client.get(f"/api/v1/apps/{app_id}/health").json()
    assert health["ok"] is False and health["counts"]["missing"] == 1 and health["counts"]["foreign"] == 1
    missing = next(f for f in health["findings"] if f["kind"] == "missing")
    assert missing["link_path"] == "models/loras/style.safetensors" and missing["repairable"] is True

    linked = api_client.post(f"/api/v1/apps/{app_id}/link-all").json()
    assert [row["link_path"] for row in linked["linked"]] == ["models/loras/style.safetensors"]
    assert linked["linked"][0]["kind"] == "hard"

    (app_dir / "models/loras/style.safetensors").unlink()
    repaired = api_client.post(f"/api/v1/apps/{app_id}/repair")
    assert repaired.status_code == 200
    body = repaired.json()
    assert body["fixed"] == 1 and body["forgotten"] == 1 and len(body["linked"]) == 1
    assert [f["kind"] for f in body["remaining"]] == ["foreign"]

    links = api_client.get("/api/v1/links", {"app": app_id}).json()
    assert links["count"] == 1
    assert links["results"][0]["source_path"] == "civitai/LORA/Model 100-100/style.safetensors"
    assert api_client.get("/api/v1/links", {"app": app_id + 1}).json()["count"] == 0
    assert api_client.get("/api/v1/links", {"app": "x"}).status_code == 400


def test_deleting_an_app_removes_its_links(comfy, api_client, app_dir, civitai_model):
    civitai_model("LORA", "style.safetensors")
    api_client.post(f"/api/v1/apps/{comfy['id']}/link-all")

    assert api_client.delete(f"/api/v1/apps/{comfy['id']}").status_code == 204

    assert not (app_dir / "models/loras/style.safetensors").exists()
    assert not AppFolder.objects.exists() and not Link.objects.exists()


def test_an_unknown_app_is_not_found(api_client):
    for method, path in (("get", "/api/v1/apps/999"), ("get", "/api/v1/apps/999/health"),
                         ("post", "/api/v1/apps/999/repair"), ("delete", "/api/v1/apps/999")):
        response = getattr(api_client, method)(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_folder_that_is_a_symlink_loop_is_refused_not_a_server_error(api_client, tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")

    response = api_client.post("/api/v1/apps", {"name": "Loop", "kind": "comfyui", "root": str(tmp_path / "a")},
                               format="json")

    assert response.status_code == 400 and response.json()["error"]["details"]["field"] == "root"


@pytest.mark.parametrize("app", ["²", "x", "-1"])
def test_the_registry_refuses_an_app_filter_that_is_not_an_id(api_client, app):
    response = api_client.get("/api/v1/links", {"app": app})

    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_input"
