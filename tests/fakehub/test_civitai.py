"""Civitai wire formats: listing filters and cursors, single objects, by-hash, downloads and auth."""

import hashlib

import pytest
import requests

from tests.fakehub.catalog_seed import TINY_LORA_FILE_ID, TINY_LORA_VERSION_ID

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"}


def models(hub, **params):
    response = requests.get(f"{hub.civitai_url}/api/v1/models", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_list_shape_and_public_cache_headers(fakehub):
    response = requests.get(f"{fakehub.civitai_url}/api/v1/models", params={"limit": 1})
    assert response.headers["Cache-Control"] == "public, s-maxage=300, stale-while-revalidate=150"
    body = response.json()
    assert set(body) == {"items", "metadata"} and "totalItems" not in body["metadata"]
    model = body["items"][0]
    assert {"id", "name", "description", "type", "nsfw", "nsfwLevel", "stats", "creator", "tags",
            "modelVersions"} <= set(model)
    file = model["modelVersions"][0]["files"][0]
    assert {"AutoV1", "AutoV2", "SHA256", "CRC32", "BLAKE3"} <= set(file["hashes"])
    assert file["hashes"]["AutoV2"] == file["hashes"]["SHA256"][:10]
    assert file["primary"] is True and file["downloadUrl"].startswith(f"{fakehub.civitai_url}/api/download/models/")
    assert "url" not in file and "visibility" not in file


def test_cursor_pagination_walks_every_model_once(fakehub):
    seen, url, pages = [], f"{fakehub.civitai_url}/api/v1/models?limit=10&sort=Most%20Downloaded", 0
    while url:
        body = requests.get(url).json()
        seen += [m["id"] for m in body["items"]]
        url = body["metadata"].get("nextPage")
        pages += 1
        if url:
            assert body["metadata"]["nextCursor"] in requests.utils.unquote(url)
    assert pages >= 2 and len(seen) == len(set(seen)) >= 15
    downloads = {m["id"]: m["stats"]["downloadCount"] for m in models(fakehub, limit=100)["items"]}
    assert [downloads[i] for i in seen] == sorted(downloads.values(), reverse=True)


def test_page_mode_reports_current_page_and_cursor_next(fakehub):
    body = models(fakehub, limit=5, page=2)
    assert body["metadata"]["currentPage"] == 2 and body["metadata"]["pageSize"] == 5
    assert "cursor=" in body["metadata"]["nextPage"]


@pytest.mark.parametrize("params, status, message", [
    ({"query": "lantern", "page": 1}, 400, "Cannot use page param with query search"),
    ({"page": 11, "limit": 100}, 429, "too many pages"),
    ({"types": "Lora"}, 400, "Invalid enum value"),
    ({"sort": "Best"}, 400, "Invalid enum value"),
    ({"period": "Decade"}, 400, "Invalid enum value"),
    ({"limit": 101}, 400, "less than or equal to 100"),
    ({"favorites": "true"}, 401, "Unauthorized"),
])
def test_list_errors(fakehub, params, status, message):
    response = requests.get(f"{fakehub.civitai_url}/api/v1/models", params=params)
    assert response.status_code == status and message in response.json()["error"]


def test_filters(fakehub):
    loras = models(fakehub, types="LORA")["items"]
    assert loras and all(m["type"] == "LORA" for m in loras)
    mixed = models(fakehub, types=["VAE", "Upscaler"])["items"]
    assert {m["type"] for m in mixed} == {"VAE", "Upscaler"}
    sd15 = models(fakehub, baseModels="SD 1.5")["items"]
    assert all(any(v["baseModel"] == "SD 1.5" for v in m["modelVersions"]) for m in sd15)
    assert [m["name"] for m in models(fakehub, query="lantern")["items"]] == ["Paper Lantern Style"]
    assert {m["creator"]["username"] for m in models(fakehub, username="oldschool")["items"]} == {"oldschool"}
    assert all("anime" in m["tags"] for m in models(fakehub, tag="anime")["items"])
    types = {m["type"] for m in models(fakehub)["items"]}
    assert {"Checkpoint", "LORA", "VAE", "TextualInversion", "Controlnet", "Upscaler"} <= types


def test_query_search_paginates_with_offset_cursor(fakehub):
    body = models(fakehub, query="e", limit=2)
    assert body["metadata"]["nextCursor"] == "2"
    second = requests.get(body["metadata"]["nextPage"]).json()
    assert not {m["id"] for m in second["items"]} & {m["id"] for m in body["items"]}


def test_sorts_newest_and_oldest(fakehub):
    newest = models(fakehub, sort="Newest")["items"]
    oldest = models(fakehub, sort="Oldest")["items"]
    assert [m["id"] for m in newest] == [m["id"] for m in reversed(oldest)]


def test_nsfw_levels(fakehub):
    sfw_ids = {m["id"] for m in models(fakehub)["items"]}
    all_ids = {m["id"] for m in models(fakehub, nsfw="true")["items"]}
    assert 4215 in all_ids and 4215 not in sfw_ids
    velvet = next(m for m in models(fakehub)["items"] if m["id"] == 4214)
    assert velvet["nsfw"] is False
    levels = {v["name"]: v["nsfwLevel"] for v in velvet["modelVersions"]}
    assert levels == {"v1.0 SFW": 1, "v1.0 Adult": 8}
    image_levels = {i["nsfwLevel"] for v in velvet["modelVersions"] for i in v["images"]}
    assert {8, 16} <= image_levels


def test_hostile_html_descriptions_are_served_verbatim(fakehub):
    description = requests.get(f"{fakehub.civitai_url}/api/v1/models/4201").json()["description"]
    assert "<script>" in description and "onerror=" in description and "javascript:" in description


def test_images_are_real_pngs_on_the_cdn(fakehub):
    model = requests.get(f"{fakehub.civitai_url}/api/v1/models/4202").json()
    url = model["modelVersions"][0]["images"][0]["url"]
    assert url.startswith(fakehub.cdn_url)
    image = requests.get(url)
    assert image.headers["Content-Type"] == "image/png" and image.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert requests.get(model["creator"]["image"]).status_code == 200


def test_model_by_id_errors(fakehub):
    assert requests.get(f"{fakehub.civitai_url}/api/v1/models/abc").status_code == 400
    missing = requests.get(f"{fakehub.civitai_url}/api/v1/models/99999")
    assert missing.status_code == 404 and missing.json() == {"error": "No model with id 99999"}
    archived = requests.get(f"{fakehub.civitai_url}/api/v1/models/4213").json()
    assert archived["mode"] == "Archived" and archived["modelVersions"][0]["files"] == []
    assert "downloadUrl" not in archived["modelVersions"][0]
    assert 4213 not in {m["id"] for m in models(fakehub)["items"]}


def test_model_version_shape(fakehub):
    body = requests.get(f"{fakehub.civitai_url}/api/v1/model-versions/600204").json()
    assert body["modelId"] == 4203 and body["air"] == "urn:air:sd1:checkpoint:civitai:4203@600204"
    assert body["model"] == {"name": "Classic Realism 1.5", "type": "Checkpoint", "nsfw": False, "poi": False}
    assert [f["primary"] for f in body["files"]] == [True, False, False]
    assert set(body["files"][0]["metadata"]) <= {"format", "size", "fp"}
    assert body["files"][1]["downloadUrl"].endswith("?type=Model&format=SafeTensor&size=full&fp=fp32")
    missing = requests.get(f"{fakehub.civitai_url}/api/v1/model-versions/1")
    assert missing.status_code == 404 and missing.json() == {"error": "Model not found"}
    early = requests.get(f"{fakehub.civitai_url}/api/v1/model-versions/600215").json()
    assert early["availability"] == "EarlyAccess" and early["earlyAccessEndsAt"].startswith("2099")


# AutoV1 hashes 64 KiB at offset 1 MiB, so files under 1 MiB all share it: test it on a big file.
@pytest.mark.parametrize("version_id, kind", [
    (TINY_LORA_VERSION_ID, "SHA256"), (600201, "AutoV1"), (TINY_LORA_VERSION_ID, "AutoV2"),
    (TINY_LORA_VERSION_ID, "AutoV3"), (TINY_LORA_VERSION_ID, "CRC32"), (TINY_LORA_VERSION_ID, "BLAKE3"),
])
def test_by_hash_matches_any_hash_type_in_any_case(fakehub, version_id, kind):
    version = requests.get(f"{fakehub.civitai_url}/api/v1/model-versions/{version_id}").json()
    value = version["files"][0]["hashes"][kind]
    for candidate in (value, value.lower()):
        response = requests.get(f"{fakehub.civitai_url}/api/v1/model-versions/by-hash/{candidate}")
        assert response.status_code == 200 and response.json()["id"] == version_id
    assert "s-maxage=3600" in response.headers["Cache-Control"]


def test_by_hash_sha256_is_the_content_hash(fakehub):
    location = requests.get(fakehub.civitai_download_url(TINY_LORA_VERSION_ID), allow_redirects=False)
    body = requests.get(location.headers["Location"]).content
    sha = hashlib.sha256(body).hexdigest()
    found = requests.get(f"{fakehub.civitai_url}/api/v1/model-versions/by-hash/{sha}")
    assert found.json()["files"][0]["hashes"]["SHA256"] == sha.upper()
    assert requests.get(f"{fakehub.civitai_url}/api/v1/model-versions/by-hash/{'0' * 64}").status_code == 404


def test_download_redirects_to_signed_storage_with_content_disposition(fakehub):
    response = requests.get(fakehub.civitai_download_url(TINY_LORA_VERSION_ID), allow_redirects=False)
    assert response.status_code == 307 and response.headers["Cache-Control"] == "no-store, max-age=0"
    assert response.headers["Location"].startswith(f"{fakehub.cdn_url}/storage/{TINY_LORA_FILE_ID}?")
    storage = requests.get(response.headers["Location"])
    assert storage.headers["Content-Disposition"] == 'attachment; filename="tiny_test_lora.safetensors"'
    assert storage.content.startswith(len(storage.content[8:8 + int.from_bytes(storage.content[:8], "little")])
                                      .to_bytes(8, "little"))
    ranged = requests.get(response.headers["Location"], headers={"Range": "bytes=8-"})
    assert ranged.status_code == 206 and ranged.content == storage.content[8:]


def test_download_selects_files_by_params(fakehub):
    def location(**params):
        response = requests.get(fakehub.civitai_download_url(600204, **params), allow_redirects=False)
        return response.status_code, response.headers.get("Location", "")

    assert "/storage/700204?" in location()[1]
    assert "/storage/700205?" in location(fp="fp32", size="full")[1]
    assert "/storage/700206?" in location(type="Config")[1]
    assert "/storage/700205?" in location(fileId="700205")[1]
    assert location(format="GGUF")[0] == 404
    assert location(format="Tensor")[0] == 400


def test_download_auth_cases(fakehub):
    url = fakehub.civitai_download_url(600214)  # creator requires login
    anonymous = requests.get(url, allow_redirects=False)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "Unauthorized"
    assert "logged in" in anonymous.json()["message"]
    assert requests.get(url, params={"token": "civ_forged"}, allow_redirects=False).status_code == 401
    assert requests.get(url, params={"token": "civ_good"}, allow_redirects=False).status_code == 307
    bearer = requests.get(url, headers={"Authorization": "Bearer civ_good"}, allow_redirects=False)
    assert bearer.status_code == 307
    browser = requests.get(url, headers=BROWSER, allow_redirects=False)
    assert browser.status_code == 307 and "/login?" in browser.headers["Location"]


def test_site_wide_login_requirement(fakehub):
    fakehub.civitai_anonymous_downloads = False
    url = fakehub.civitai_download_url(TINY_LORA_VERSION_ID)
    assert requests.get(url, allow_redirects=False).status_code == 401
    assert requests.get(url, params={"token": "civ_good"}, allow_redirects=False).status_code == 307


def test_early_access_archived_and_missing(fakehub):
    early = requests.get(fakehub.civitai_download_url(600215), params={"token": "civ_good"}, allow_redirects=False)
    assert early.status_code == 403 and early.json()["error"] == "Early Access"
    assert early.json()["deadline"].startswith("2099")
    fakehub.civitai_purchases["civ_good"] = {600215}
    bought = requests.get(fakehub.civitai_download_url(600215), params={"token": "civ_good"}, allow_redirects=False)
    assert bought.status_code == 307
    archived = requests.get(fakehub.civitai_download_url(600216), allow_redirects=False)
    assert archived.status_code == 410
    missing = requests.get(fakehub.civitai_download_url(1), allow_redirects=False)
    assert missing.status_code == 404 and missing.json() == {"error": "File not found"}
    text = requests.get(fakehub.civitai_download_url(1), headers=BROWSER, allow_redirects=False)
    assert text.headers["Content-Type"].startswith("text/plain") and text.text == "File not found"


def test_invalid_token_is_anonymous_on_public_endpoints(fakehub):
    response = requests.get(f"{fakehub.civitai_url}/api/v1/models", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 200
    assert requests.get(f"{fakehub.civitai_url}/api/v1/me", params={"token": "nope"}).status_code == 401
    assert requests.get(f"{fakehub.civitai_url}/api/v1/me", params={"token": "civ_good"}).status_code == 200


def test_overloaded_search_returns_503_with_retry_after(fakehub):
    fakehub.civitai_overloaded = 1
    response = requests.get(f"{fakehub.civitai_url}/api/v1/models")
    assert response.status_code == 503 and response.headers["Retry-After"] == "2"
    assert response.headers["Cache-Control"] == "no-store"
    assert requests.get(f"{fakehub.civitai_url}/api/v1/models").status_code == 200


def test_added_model_with_custom_content(fakehub):
    model = {"id": 777, "name": "Added", "type": "LORA", "nsfw": False, "nsfwLevel": 1, "tags": [],
             "creator": {"username": "t"}, "stats": {"downloadCount": 1},
             "modelVersions": [{"id": 7770, "name": "v1", "baseModel": "Flux.1 D", "publishedAt":
                                "2025-01-01T00:00:00.000Z", "nsfwLevel": 1, "images": [],
                                "files": [{"id": 77700, "name": "added.safetensors", "sizeKB": 1, "type": "Model",
                                           "primary": True, "metadata": {"format": "SafeTensor"}}]}]}
    fakehub.add_civitai_model(model, require_auth=True)
    fakehub.civitai_file_content(77700, b"hello civitai")
    version = requests.get(f"{fakehub.civitai_url}/api/v1/model-versions/7770").json()
    assert version["files"][0]["hashes"]["SHA256"] == hashlib.sha256(b"hello civitai").hexdigest().upper()
    location = requests.get(fakehub.civitai_download_url(7770, token="civ_good"), allow_redirects=False)
    assert requests.get(location.headers["Location"]).content == b"hello civitai"
    fakehub.remove_civitai_model(777)
    assert requests.get(f"{fakehub.civitai_url}/api/v1/models/777").status_code == 404
