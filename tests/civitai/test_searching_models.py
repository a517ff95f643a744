"""Searching Civitai through the client: every filter, cursor pagination, caching, bad input."""

import pytest

from catalog.sources import civitai
from modella.errors import InvalidInput
from tests.civitai.conftest import model_ids


def names(page):
    return {item["name"] for item in page["items"]}


def test_a_keyword_finds_models_by_name(civ):
    assert names(civitai.search(query="lantern")) == {"Paper Lantern Style"}


def test_a_tag_filters_models(civ):
    assert names(civitai.search(tag="watercolor")) == {"Watercolor Wash"}
    assert civ.requests_for("/api/v1/models")[-1].params["tag"] == ["watercolor"]


def test_a_creator_filters_models(civ):
    assert names(civitai.search(username="modella-tests")) == {"Tiny Test LoRA", "Mini Embedding XL"}


def test_types_filter_models_and_are_sent_repeated(civ):
    page = civitai.search(types=["VAE", "Upscaler"])
    assert names(page) == {"SDXL VAE fp16 fix", "4x Crisp Upscaler"}
    assert civ.requests_for("/api/v1/models")[-1].params["types"] == ["VAE", "Upscaler"]


def test_base_models_filter_models(civ):
    page = civitai.search(base_models=["Illustrious"])
    assert names(page) == {"Illustria XL", "Detail Tweaker Illustrious"}
    assert civ.requests_for("/api/v1/models")[-1].params["baseModels"] == ["Illustrious"]


@pytest.mark.parametrize(("sort", "first"), [("Most Downloaded", 4203), ("Newest", 4212), ("Highest Rated", 4203)])
def test_sort_orders_the_results(civ, sort, first):
    assert model_ids(civitai.search(sort=sort))[0] == first


def test_the_period_is_passed_on(civ):
    civitai.search(period="Week")
    assert civ.requests_for("/api/v1/models")[-1].params["period"] == ["Week"]


def test_adult_models_appear_only_with_nsfw(civ):
    assert 4215 not in model_ids(civitai.search(limit=100))
    assert 4215 in model_ids(civitai.search(limit=100, nsfw=True))
    assert civ.requests_for("/api/v1/models")[-1].params["nsfw"] == ["true"]


def test_cursor_pagination_walks_every_model_once(civ):
    seen, cursor, pages = [], "", 0
    while True:
        page = civitai.search(limit=5, cursor=cursor)
        seen += model_ids(page)
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 4
    assert len(seen) == len(set(seen)) == 16  # 18 seeded, minus the archived and the adult-only model
    assert not any("page" in r.params for r in civ.requests_for("/api/v1/models"))


def test_a_query_paginates_with_its_own_cursor(civ):
    first = civitai.search(query="e", limit=3)
    second = civitai.search(query="e", limit=3, cursor=first["next_cursor"])
    assert first["next_cursor"] == "3"
    assert not set(model_ids(first)) & set(model_ids(second))


def test_answers_are_cached_for_five_minutes(civ):
    civitai.search(tag="style")
    civitai.search(tag="style")
    assert len(civ.requests_for("/api/v1/models")) == 1


def test_an_unknown_type_is_refused_before_asking_civitai(civ):
    with pytest.raises(InvalidInput, match="Unknown model type"):
        civitai.search(types=["Spaceship"])
    assert not civ.requests_for("/api/v1/models")


def test_base_model_choices_come_from_the_api(civ):
    values = civitai.base_models()
    assert {"SD 1.5", "SDXL 1.0", "Pony", "Illustrious", "Flux.1 D", "Other"} <= set(values)
    civ.civitai.models[4205]["modelVersions"][0]["baseModel"] = "Brand New 9"
    from django.core.cache import cache

    cache.clear()
    assert "Brand New 9" in civitai.base_models()


def test_models_are_shaped_for_modella(civ):
    model = civitai.get_model(4203)
    assert model["repo"] == "civitai:4203" and model["type"] == "Checkpoint" and model["base_model"] == "SD 1.5"
    files = model["versions"][0]["files"]
    assert [f["primary"] for f in files] == [True, False, False]
    assert files[0]["format"] == "SafeTensor" and files[0]["precision"] == "fp16" and files[0]["size"] > 2 * 10**9
    assert len(files[0]["sha256"]) == 64 and files[0]["pickle_scan"] == "Success"
    assert civitai.get_model(4214)["versions"][0]["name"] == "v1.0 Adult"  # newest first
