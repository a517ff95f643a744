"""Export a list to JSON and import it back, resolving items against the hubs (the emulator here)."""

import io
import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from catalog.sync import fetch_repository
from lists.models import ModelList
from tests.fakehub import FakeHub

pytestmark = pytest.mark.django_db

TINY = "acme/tiny-llama-gguf"
VANISHING = "listtest/vanishing-gguf"


@pytest.fixture
def hub(fakehub, settings):
    settings.HF_ENDPOINT = fakehub.hf_url
    settings.CIVITAI_ENDPOINT = fakehub.civitai_url
    settings.DOWNLOAD_HOSTS = ["127.0.0.1"]
    settings.HF_TOKEN = ""
    cache.clear()
    fakehub.add_hf_repo(VANISHING, files={"vanishing.Q4_K_M.gguf": FakeHub.gguf_file(quant="Q4_K_M")})
    yield fakehub
    cache.clear()


@pytest.fixture
def full_list(hub, make_list):
    tiny = fetch_repository(TINY)
    fetch_repository(VANISHING)
    specific = tiny.variants.exclude(is_recommended=True).filter(role="model").first() or tiny.variants.first()
    model_list = make_list(name="Round trip", description="Everything for the demo")
    model_list.add_item(TINY, note="recommended one")
    model_list.add_item(TINY, specific.filename, note="a specific quant")
    model_list.add_item(VANISHING, "vanishing.Q4_K_M.gguf")
    return model_list, specific


def test_the_export_names_the_format_the_list_and_each_item(api_client, full_list):
    model_list, specific = full_list
    response = api_client.get(f"/api/v1/lists/{model_list.pk}/export")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    document = json.loads(response.content)
    assert document["format"] == "modella.list" and document["version"] == 1
    assert (document["name"], document["description"]) == ("Round trip", "Everything for the demo")
    assert document["items"][0] == {"source": "huggingface", "repo": TINY, "filename": None, "sha256": None,
                                    "note": "recommended one"}
    assert document["items"][1]["filename"] == specific.filename
    assert document["items"][1]["sha256"] == specific.sha256 and len(specific.sha256) == 64


def test_import_recreates_the_list_and_reports_a_repo_that_vanished(api_client, full_list, hub):
    model_list, specific = full_list
    document = api_client.get(f"/api/v1/lists/{model_list.pk}/export").json()
    hub.remove_hf_repo(VANISHING)
    response = api_client.post("/api/v1/lists/import", document, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["imported"] == 2
    assert [(m["repo"], m["reason"]) for m in body["missing"]] == [(VANISHING, "remote_not_found")]
    assert body["unverified"] == []
    imported = body["list"]
    assert imported["name"] == "Round trip (2)"  # the original still exists
    assert imported["description"] == "Everything for the demo"
    assert [(i["repo"], i["filename"], i["note"]) for i in imported["items"]] == [
        (TINY, None, "recommended one"), (TINY, specific.filename, "a specific quant")]
    assert ModelList.objects.get(pk=imported["id"]).items.get(filename=specific.filename).sha256 == specific.sha256


def test_import_into_a_fresh_install_fetches_the_repositories(api_client, full_list, hub):
    from catalog.models import ModelRepository

    model_list, _ = full_list
    document = api_client.get(f"/api/v1/lists/{model_list.pk}/export").json()
    model_list.delete()
    ModelRepository.objects.all().delete()
    body = api_client.post("/api/v1/lists/import", document, format="json").json()
    assert body["list"]["name"] == "Round trip"
    assert body["imported"] == 3 and body["missing"] == []
    assert {i["status"] for i in body["list"]["items"]} == {"available"}


def test_import_reports_a_file_that_is_gone_from_a_repo_that_still_exists(api_client, hub, user):
    document = {"format": "modella.list", "version": 1, "name": "Old file", "items": [
        {"source": "huggingface", "repo": TINY, "filename": "no-longer-here.gguf", "sha256": None}]}
    body = api_client.post("/api/v1/lists/import", document, format="json").json()
    assert body["imported"] == 0
    assert body["missing"][0]["reason"] == "file_not_found"


def test_the_api_accepts_the_export_file_as_an_upload(api_client, full_list):
    model_list, _ = full_list
    exported = api_client.get(f"/api/v1/lists/{model_list.pk}/export").content
    upload = io.BytesIO(exported)
    upload.name = "list.json"
    response = api_client.post("/api/v1/lists/import", {"file": upload}, format="multipart")
    assert response.status_code == 201
    assert response.json()["imported"] == 3


@pytest.mark.parametrize("document", [
    [], {"format": "something-else", "name": "x", "items": []}, {"version": 99, "name": "x", "items": []},
    {"name": "", "items": []}, {"name": "x", "items": "nope"}, {"name": "x", "items": [{"repo": "../../etc"}]},
    {"name": "x", "items": [42]},
])
def test_import_refuses_documents_that_are_not_list_exports(api_client, document):
    response = api_client.post("/api/v1/lists/import", document, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert not ModelList.objects.exists()


def test_import_refuses_a_file_that_is_not_json(api_client):
    upload = io.BytesIO(b"\xff\xfe not json")
    upload.name = "list.json"
    response = api_client.post("/api/v1/lists/import", {"file": upload}, format="multipart")
    assert response.status_code == 400


def test_the_page_exports_and_imports_a_list(logged_in_client, full_list, hub):
    model_list, _ = full_list
    exported = logged_in_client.get(reverse("lists:export", args=[model_list.pk]))
    assert exported.status_code == 200 and exported["Content-Type"] == "application/json"
    hub.remove_hf_repo(VANISHING)
    upload = io.BytesIO(exported.content)
    upload.name = "round-trip.modella-list.json"
    response = logged_in_client.post(reverse("lists:import"), {"file": upload}, follow=True)
    text = response.content.decode()
    assert "was imported with 2 items" in text
    assert f"{VANISHING} no longer exists" in text
