"""Every page renders in each of the seven languages, and API errors follow Accept-Language."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from catalog import resolve
from modella.errors import InvalidInput
from tests.factories import ModelListFactory, ModelRepositoryFactory, ModelVariantFactory

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "fr", "es", "de", "ru", "zh-hans", "ja"]
PAGES = [
    ("home", {}),
    ("add_model", {}),
    ("queue_overlay", {}),
    ("settings", {}),
    ("downloads:index", {}),
    ("storage:index", {}),
    ("lists:index", {}),
    ("lists:detail", {"pk": "list"}),
    ("downloads:updates", {}),
    ("storage:upload", {}),
    ("links:index", {}),
    ("links:add", {}),
    ("webhooks:index", {}),
    ("shortcuts", {}),
    ("catalog:discover", {}),
    ("catalog:packages", {}),
    ("catalog:civitai", {}),
    ("admin:index", {}),
]


@pytest.fixture
def site(user, fakehub, settings):
    settings.HF_ENDPOINT = fakehub.hf_url
    settings.CIVITAI_ENDPOINT = fakehub.civitai_url
    variant = ModelVariantFactory(repository=ModelRepositoryFactory(repo="acme/tiny-llama-gguf"))
    return {"list": ModelListFactory(owner=user).pk, "variant": variant}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "kwargs"), PAGES, ids=[p[0] for p in PAGES])
def test_the_page_renders_in_the_language(logged_in_client, site, language, name, kwargs):
    logged_in_client.cookies["django_language"] = language
    url = reverse(name, kwargs={key: site[value] for key, value in kwargs.items()})
    response = logged_in_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    with translation.override(language):
        settings_label = gettext("Settings") if not name.startswith("admin:") else gettext("Log out")
    if language != "en":
        assert settings_label not in ("Settings", "Log out"), "the catalog has no translation for this label"
    assert settings_label in html


@pytest.mark.parametrize("language", ["fr", "ja"])
def test_api_errors_follow_accept_language(api_client, language):
    response = api_client.post(
        "/api/v1/modelfiles/resolve", {"input": "not a model!"}, format="json", HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    english = api_client.post("/api/v1/modelfiles/resolve", {"input": "not a model!"}, format="json",
                              HTTP_ACCEPT_LANGUAGE="en").json()["error"]["message"]
    assert message != english
    with translation.override(language), pytest.raises(InvalidInput) as expected:
        resolve.parse("not a model!")
    assert message == str(expected.value.message)


def test_a_first_visit_takes_the_browsers_language(client, user):
    client.force_login(user)
    response = client.get(reverse("settings"), HTTP_ACCEPT_LANGUAGE="ja,en;q=0.5")
    assert '<html lang="ja"' in response.content.decode()
