"""NSFW filtering per version and per image by nsfwLevel bit flags, against the user's level."""

import pytest

from catalog import civitai_store
from catalog.sources import civitai
from modella.models import UserSettings


@pytest.mark.parametrize(("level", "threshold", "allowed"), [
    (1, "pg", True), (2, "pg", False), (2, "pg13", True), (3, "pg13", True), (4, "pg13", False),
    (8, "r", False), (8, "x", True), (28, "x", False), (28, "xxx", True), (0, "pg13", False), (None, "xxx", True),
    (0, "r", False), (0, "x", True),
])
def test_levels_are_bit_flags_compared_with_the_threshold(level, threshold, allowed):
    assert civitai.level_allowed(level, threshold) is allowed


def test_a_safe_model_with_an_adult_version_blurs_only_that_version(civ):
    shown = civitai_store.present(civitai.get_model(4214), "pg13", blur=True)
    adult, safe = shown["versions"]
    assert adult["above_level"] and not safe["above_level"]
    assert all(image["blurred"] for image in adult["images"])
    assert not any(image["blurred"] for image in safe["images"])
    assert shown["thumbnail"]["id"] == 9000217  # the first image within the level


def test_hiding_removes_images_above_the_level(civ):
    shown = civitai_store.present(civitai.get_model(4214), "pg13", blur=False)
    adult, safe = shown["versions"]
    assert adult["images"] == [] and adult["hidden_images"] == 2
    assert len(safe["images"]) == 2


def test_trigger_words_of_versions_above_the_level_are_hidden(civ):
    civ.civitai.models[4215]["modelVersions"][0]["trainedWords"] = ["crimson night"]
    shown = civitai_store.present(civitai.get_model(4215), "pg13", blur=True)
    assert shown["versions"][0]["trained_words"] == []
    assert shown["versions"][0]["trained_words_hidden"]
    assert civitai_store.present(civitai.get_model(4215), "xxx", True)["versions"][0]["trained_words"] == ["crimson night"]


def test_an_image_without_a_level_counts_as_adult(civ):
    civ.civitai.models[4216]["modelVersions"][0]["images"][0].pop("nsfwLevel")
    shown = civitai_store.present(civitai.get_model(4216), "r", blur=True)
    assert shown["versions"][0]["images"][0]["blurred"]
    assert not civitai_store.present(civitai.get_model(4216), "x", True)["versions"][0]["images"][0]["blurred"]


def test_the_grid_shows_an_adult_model_blurred_for_the_default_level(civ, logged_in_client, user):
    UserSettings.objects.update_or_create(user=user, defaults={"nsfw_level": "pg13", "nsfw_blur": True})
    html = logged_in_client.get("/discover/civitai/?nsfw=show&q=crimson").content.decode()
    assert "Crimson Nights" in html and 'class="is-blurred"' in html
    assert "Your content level is PG-13" in html


def test_the_grid_hides_adult_images_when_the_user_chose_hiding(civ, logged_in_client, user):
    UserSettings.objects.update_or_create(user=user, defaults={"nsfw_level": "pg13", "nsfw_blur": False})
    html = logged_in_client.get("/discover/civitai/?nsfw=show&q=crimson").content.decode()
    assert "Crimson Nights" in html and "is-blurred" not in html
    assert "No image within your content level" in html


def test_a_user_at_x_sees_adult_images_unblurred(civ, logged_in_client, user):
    UserSettings.objects.update_or_create(user=user, defaults={"nsfw_level": "xxx", "nsfw_blur": True})
    html = logged_in_client.get("/discover/civitai/4214/?version=600218").content.decode()
    assert "is-blurred" not in html


def test_the_api_applies_the_same_levels(civ, api_client, user):
    UserSettings.objects.update_or_create(user=user, defaults={"nsfw_level": "pg", "nsfw_blur": False})
    data = api_client.get("/api/v1/hub/civitai/models/4214").json()
    adult = data["versions"][0]
    assert adult["above_level"] and adult["images"] == [] and adult["hidden_images"] == 2
