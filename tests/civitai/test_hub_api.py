"""GET /api/v1/hub/civitai/models and /models/{id}: the pages' data for API clients."""

from catalog import civitai_store


def test_the_listing_has_items_and_a_next_cursor(civ, api_client):
    data = api_client.get("/api/v1/hub/civitai/models?limit=4").json()
    assert len(data["items"]) == 4 and data["next_cursor"]
    again = api_client.get(f"/api/v1/hub/civitai/models?limit=4&cursor={data['next_cursor']}").json()
    assert not {i["id"] for i in data["items"]} & {i["id"] for i in again["items"]}


def test_every_filter_is_accepted(civ, api_client):
    response = api_client.get("/api/v1/hub/civitai/models?query=detail&types=LORA&base_models=Illustrious"
                              "&sort=Most%20Downloaded&period=Year&nsfw=false")
    assert [i["name"] for i in response.json()["items"]] == ["Detail Tweaker Illustrious"]
    params = civ.requests_for("/api/v1/models")[-1].params
    assert params["query"] == ["detail"] and params["period"] == ["Year"] and params["sort"] == ["Most Downloaded"]
    by_tag = api_client.get("/api/v1/hub/civitai/models?tag=watercolor").json()
    assert [i["repo"] for i in by_tag["items"]] == ["civitai:4211"]
    by_user = api_client.get("/api/v1/hub/civitai/models?username=neonist").json()
    assert [i["repo"] for i in by_user["items"]] == ["civitai:4212"]


def test_a_bad_filter_is_invalid_input(civ, api_client):
    response = api_client.get("/api/v1/hub/civitai/models?types=Spaceship")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_input"


def test_a_model_has_versions_with_files_images_and_trigger_words(civ, api_client):
    civitai_store.fetch_repository("civitai:4202")
    data = api_client.get("/api/v1/hub/civitai/models/4202").json()
    version = data["versions"][0]
    assert data["in_catalog"] and data["versions_count"] == 1
    assert version["trained_words"] == ["paperlantern style"] and version["base_model"] == "SDXL 1.0"
    assert version["files"][0]["filename"] == "paper_lantern_v1.safetensors" and version["files"][0]["primary"]
    assert version["images"][0]["url"].startswith("http") and "blurred" in version["images"][0]
    assert data["default_file"] == {"version_id": 600203, "file_id": 700203,
                                    "filename": "paper_lantern_v1.safetensors"}


def test_the_endpoints_need_authentication(civ, client):
    assert client.get("/api/v1/hub/civitai/models").status_code in (401, 403)
    assert client.get("/api/v1/hub/civitai/models/4202").status_code in (401, 403)


def test_the_schema_documents_the_endpoints(db, api_client):
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/hub/civitai/models" in schema and "versions_page" in schema
