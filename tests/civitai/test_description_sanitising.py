"""Civitai descriptions are HTML written by anyone: nh3 cleans them on the way in (4201 carries
<script>, onerror= and javascript: links); links get rel="noopener nofollow"."""

import pytest

from catalog import civitai_store
from catalog.sources import civitai

DANGEROUS = ("<script", "onerror", "javascript:", "<iframe", "style=", "alert(")


def assert_clean(html: str) -> None:
    lowered = html.lower()
    for needle in DANGEROUS:
        assert needle not in lowered, needle


def test_the_client_returns_a_clean_description(civ):
    description = civitai.get_model(4201)["description"]
    assert_clean(description)
    assert "<p>Works best at CFG 5-7.</p>" in description


def test_links_get_noopener_nofollow():
    html = civitai.sanitize_html('<a href="https://example.com/x" onclick="x()">site</a>')
    assert 'href="https://example.com/x"' in html
    assert 'rel="noopener nofollow noreferrer"' in html and "onclick" not in html


@pytest.mark.parametrize("model_id", [4201, 4202, 4204])
def test_the_catalog_stores_clean_html(civ, model_id):
    assert_clean(civitai_store.fetch_repository(f"civitai:{model_id}").description)


def test_the_details_page_renders_no_script(civ, logged_in_client):
    html = logged_in_client.get("/discover/civitai/4201/").content.decode()
    start = html.index('class="civitai-description"')
    assert "Works best at CFG 5-7." in html
    assert_clean(html[start:html.index("</section>", start)])


def test_the_api_serves_clean_html(civ, api_client):
    body = api_client.get("/api/v1/hub/civitai/models/4201").content.decode()
    assert_clean(body)
    listing = api_client.get("/api/v1/hub/civitai/models?query=dreamforge").content.decode()
    assert_clean(listing)


def test_card_summaries_are_plain_text(civ):
    summary = civitai.get_model(4201)["summary"]
    assert summary.startswith("Works best at CFG 5-7.") and "<" not in summary
