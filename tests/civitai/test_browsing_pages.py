"""The Discover → Civitai pages: the grid with filters and "load more", the details with versions,
files, images and trigger words, and queueing a file (all without JavaScript)."""

import copy
import re

from downloads.models import DownloadJob
from tests.fakehub.catalog_seed import civitai_specs


def test_the_grid_shows_cards_with_badges_stats_and_lazy_thumbnails(civ, logged_in_client):
    html = logged_in_client.get("/discover/civitai/").content.decode()
    card = html[html.index("Paper Lantern Style") - 1500: html.index("Paper Lantern Style") + 800]
    assert 'loading="lazy"' in card and 'alt="Example image of Paper Lantern Style"' in card
    assert 'class="badge civitai-type">LORA' in card and 'class="badge civitai-base">SDXL 1.0' in card
    assert "37 likes" in card and "420 downloads" in card and "% positive" in card


def test_the_filters_are_sent_to_civitai(civ, logged_in_client):
    logged_in_client.get("/discover/civitai/?q=anime&by=tag&type=Checkpoint&base_model=Pony&sort=Newest"
                         "&period=Month&nsfw=hide")
    params = civ.requests_for("/api/v1/models")[0].params
    assert params["tag"] == ["anime"] and params["types"] == ["Checkpoint"] and params["baseModels"] == ["Pony"]
    assert params["sort"] == ["Newest"] and params["period"] == ["Month"] and params["nsfw"] == ["false"]


def test_creator_search_uses_username(civ, logged_in_client):
    html = logged_in_client.get("/discover/civitai/?q=illustria&by=creator").content.decode()
    assert "Illustria XL" in html and "Detail Tweaker Illustrious" in html and "Paper Lantern" not in html


def test_base_model_choices_come_from_civitai(civ, logged_in_client):
    html = logged_in_client.get("/discover/civitai/").content.decode()
    select = html[html.index('id="civ-base"'):html.index("</select>", html.index('id="civ-base"'))]
    assert '<option value="Illustrious">' in select and '<option value="Flux.1 D">' in select


def test_load_more_is_a_plain_link_and_an_htmx_fragment(civ, logged_in_client, settings):
    settings.CIVITAI_PAGE_SIZE = 5
    html = logged_in_client.get("/discover/civitai/").content.decode()
    next_url = re.search(r'<a class="button" href="([^"]+)" hx-get=', html).group(1).replace("&amp;", "&")
    assert "cursor=" in next_url and 'hx-trigger="click, revealed"' in html
    full = logged_in_client.get(next_url)
    assert "<html" in full.content.decode() and full.content.decode().count('class="civitai-card"') == 5
    fragment = logged_in_client.get(next_url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and fragment.count('class="civitai-card"') == 5
    assert "Load more" in fragment


def test_the_details_page_defaults_to_the_newest_versions_primary_file(civ, logged_in_client):
    html = logged_in_client.get("/discover/civitai/4203/").content.decode()
    assert "Recommended: classicRealism_v8.safetensors" in html
    row = html[html.index('id="file-700205"'):html.index("</tr>", html.index('id="file-700205"'))]
    assert "fp32" in row and "full" in row and "SafeTensor" in row and "Passed" in row
    assert "Primary" not in row


def test_trigger_words_are_selectable_text_with_copy_buttons(civ, logged_in_client):
    html = logged_in_client.get("/discover/civitai/4202/").content.decode()
    assert "<code>paperlantern style</code>" in html
    assert 'data-copy="paperlantern style"' in html


def test_versions_are_paginated_ten_a_page(civ, logged_in_client, api_client):
    model = copy.deepcopy(next(m for m, _f, _c in civitai_specs() if m["id"] == 4202))
    model["id"] = 4299
    base = model["modelVersions"][0]
    model["modelVersions"] = [
        {**copy.deepcopy(base), "id": 610000 + n, "name": f"v{n}", "publishedAt": f"2025-01-{n:02d}T00:00:00.000Z",
         "files": [{**base["files"][0], "id": 710000 + n, "name": f"lantern_v{n}.safetensors", "sizeKB": 4}]}
        for n in range(1, 13)
    ]
    civ.add_civitai_model(model)
    html = logged_in_client.get("/discover/civitai/4299/").content.decode()
    assert "12 versions" in html and "Page 1 of 2" in html and ">v12<" in html and ">v2<" not in html
    older = logged_in_client.get("/discover/civitai/4299/?versions_page=2").content.decode()
    assert ">v2<" in older and ">v1<" in older and ">v12<" not in older
    data = api_client.get("/api/v1/hub/civitai/models/4299?versions_page=2").json()
    assert [v["name"] for v in data["versions"]] == ["v2", "v1"] and data["versions_pages"] == 2


def test_switching_versions_with_htmx_returns_only_the_panel(civ, logged_in_client):
    response = logged_in_client.get("/discover/civitai/4214/?version=600217",
                                    headers={"HX-Request": "true", "HX-Target": "version-panel"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="version-panel"') and "<html" not in html
    assert 'aria-current="true">v1.0 SFW' in html


def test_queueing_a_file_adds_it_to_the_download_queue(civ, logged_in_client):
    response = logged_in_client.post("/discover/civitai/4216/queue/", {"file_id": "700162", "version": "600161"},
                                     follow=True)
    assert "tiny_test_lora_fp32.safetensors was added to the download queue." in response.content.decode()
    job = DownloadJob.objects.get()
    assert job.repo == "civitai:4216" and job.filename == "tiny_test_lora_fp32.safetensors"
    assert job.civitai_version_id == 600161
    html = logged_in_client.get("/discover/civitai/4216/").content.decode()
    row = html[html.index('id="file-700162"'):html.index("</tr>", html.index('id="file-700162"'))]
    assert "In the queue" in row


def test_early_access_offers_to_queue_later(civ, logged_in_client):
    response = logged_in_client.post("/discover/civitai/4212/queue/", {"file_id": "700215"}, follow=True)
    html = response.content.decode()
    assert "Early Access until 2099-01-01" in html
    assert "Queue automatically when Early Access ends" in html
    response = logged_in_client.post("/discover/civitai/4212/queue-later/", {"file_id": "700215"}, follow=True)
    assert "will queue this file when Early Access ends" in response.content.decode()
    assert "Queued when Early Access ends" in response.content.decode()
    assert not DownloadJob.objects.exists()


def test_login_required_says_to_save_a_key(civ, logged_in_client):
    response = logged_in_client.post("/discover/civitai/4211/queue/", {"file_id": "700214"}, follow=True)
    assert "save your Civitai API key in Settings" in response.content.decode()


def test_a_deleted_model_page_says_so_with_404(civ, logged_in_client):
    civ.remove_civitai_model(4202)
    response = logged_in_client.get("/discover/civitai/4202/")
    assert response.status_code == 404 and "may have been deleted" in response.content.decode()


def test_the_pages_need_a_login(civ, client):
    assert client.get("/discover/civitai/").status_code == 302
    assert client.post("/discover/civitai/4216/queue/", {"file_id": "700161"}).status_code == 302
