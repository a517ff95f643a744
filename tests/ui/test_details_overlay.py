"""The details overlay: a full page without JS, the overlay's fragment with htmx."""

import pytest
from django.urls import reverse

from tests.factories import ModelRepositoryFactory, ModelVariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def repository(db):
    repository = ModelRepositoryFactory(repo="acme/demo-GGUF", author="acme", name="demo-GGUF", license="mit",
                                        links={"huggingface": "https://huggingface.co/acme/demo-GGUF",
                                               "paper": "https://arxiv.org/abs/1234.5678"})
    ModelVariantFactory(repository=repository, filename="demo.Q4_K_M.gguf", quant_bits=4.89, quant_method="Q4_K_M",
                        is_recommended=True, architecture="llama", parameters=7_000_000_000, context_length=4096)
    return repository


def test_it_shows_metadata_ratings_variants_and_links(logged_in_client, repository):
    response = logged_in_client.get(reverse("model_details", args=[repository.repo]))
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("llama", "7B", "4,096", "Q4_K_M", "mit", "demo.Q4_K_M.gguf", "arxiv.org", "Speed", "3 of 5"):
        assert text in body, text


def test_htmx_gets_only_the_overlay_content(logged_in_client, repository):
    response = logged_in_client.get(reverse("model_details", args=[repository.repo]),
                                    headers={"HX-Request": "true", "HX-Target": "details-body"})
    body = response.content.decode()
    assert "<html" not in body and 'id="details-title"' in body


def test_an_unknown_repository_is_404(logged_in_client, db, settings):
    settings.HF_ENDPOINT = "http://127.0.0.1:9"  # nothing listens: the lookup fails fast
    assert logged_in_client.get(reverse("model_details", args=["no/such-repo"])).status_code == 404
