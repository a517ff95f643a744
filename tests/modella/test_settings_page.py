"""Settings: preferences persist, tokens are stored encrypted and never shown back."""

import pytest
from django.urls import reverse

from modella.models import UserSettings, hub_token

pytestmark = pytest.mark.django_db

FORM = {"language": "en", "theme": "dark", "show_featured": "on", "nsfw_level": "pg13", "nsfw_blur": "on"}


def test_a_saved_token_is_encrypted_at_rest_and_not_rendered(logged_in_client, user):
    response = logged_in_client.post(reverse("settings"), {**FORM, "hf_token": "hf_secret_planted_123"})
    assert response.status_code == 302
    stored = UserSettings.objects.get(user=user)
    assert "hf_secret_planted_123" not in stored.hf_token_encrypted
    assert stored.hf_token == "hf_secret_planted_123"
    page = logged_in_client.get(reverse("settings")).content.decode()
    assert "hf_secret_planted_123" not in page
    assert stored.hf_token_encrypted not in page
    assert "A Hugging Face token is saved." in page


def test_a_blank_token_field_keeps_the_saved_token(logged_in_client, user):
    logged_in_client.post(reverse("settings"), {**FORM, "civitai_token": "civ_key"})
    logged_in_client.post(reverse("settings"), {**FORM})
    assert UserSettings.objects.get(user=user).civitai_token == "civ_key"


def test_a_saved_token_can_be_cleared(logged_in_client, user):
    logged_in_client.post(reverse("settings"), {**FORM, "civitai_token": "civ_key"})
    logged_in_client.post(reverse("settings"), {**FORM, "clear_civitai_token": "on"})
    assert UserSettings.objects.get(user=user).civitai_token == ""


def test_the_environment_token_wins_over_a_saved_one(settings, user):
    UserSettings.objects.create(user=user, hf_token_encrypted="")
    row = UserSettings.objects.get(user=user)
    row.hf_token = "saved"
    row.save()
    assert hub_token("huggingface") == "saved"
    settings.HF_TOKEN = "from-env"
    assert hub_token("huggingface") == "from-env"


def test_the_theme_switch_persists_for_the_user(logged_in_client, user):
    logged_in_client.post(reverse("set_theme"), {"theme": "light", "next": "/settings/"})
    assert UserSettings.objects.get(user=user).theme == "light"
    assert 'data-theme="light"' in logged_in_client.get(reverse("home")).content.decode()


def test_the_language_switch_sets_the_cookie_and_the_saved_choice(logged_in_client, user):
    response = logged_in_client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert response.cookies["django_language"].value == "fr"
    assert UserSettings.objects.get(user=user).language == "fr"


def test_a_new_browser_gets_the_users_saved_language(client, user):
    UserSettings.objects.create(user=user, language="de")
    client.force_login(user)
    response = client.get(reverse("home"))
    assert '<html lang="de"' in response.content.decode()
