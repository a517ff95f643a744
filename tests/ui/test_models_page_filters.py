"""The Models page: filters (OR within a category, AND between), search, sort, pagination, memory."""

import pytest
from django.urls import reverse

from modella.models import UserSettings
from tests.factories import DownloadJobFactory, ModelRepositoryFactory, ModelVariantFactory

pytestmark = pytest.mark.django_db
GB = 10**9


@pytest.fixture
def catalog(db):
    llama = ModelRepositoryFactory(author="acme", name="llama-small", family="llama", likes=5)
    ModelVariantFactory(repository=llama, filename="llama-small.Q4_K_M.gguf", size=1 * GB)
    mistral = ModelRepositoryFactory(author="acme", name="mistral-big", family="mistral", likes=50)
    ModelVariantFactory(repository=mistral, filename="mistral-big.Q8_0.gguf", size=40 * GB)
    qwen = ModelRepositoryFactory(author="zeta", name="qwen-mid", family="qwen", likes=20)
    ModelVariantFactory(repository=qwen, filename="qwen-mid.Q4_K_M.gguf", size=6 * GB, local_path="hf/qwen-mid.gguf")
    return {"llama": llama, "mistral": mistral, "qwen": qwen}


def names(response) -> list[str]:
    return [r.repo for r in response.context["page"].object_list]


def test_it_lists_every_repository_with_its_variants(logged_in_client, catalog):
    response = logged_in_client.get(reverse("home"))
    assert response.status_code == 200
    assert names(response) == ["acme/llama-small", "acme/mistral-big", "zeta/qwen-mid"]
    assert "mistral-big.Q8_0.gguf" in response.content.decode()


def test_values_of_one_category_are_or_ed(logged_in_client, catalog):
    response = logged_in_client.get(reverse("home"), {"family": ["llama", "qwen"]})
    assert names(response) == ["acme/llama-small", "zeta/qwen-mid"]


def test_categories_are_and_ed(logged_in_client, catalog):
    response = logged_in_client.get(reverse("home"), {"family": ["llama", "qwen"], "size": "m"})
    assert names(response) == ["zeta/qwen-mid"]
    response = logged_in_client.get(reverse("home"), {"family": ["llama", "qwen"], "status": "downloaded", "size": "xs"})
    assert names(response) == []


def test_status_filter_uses_the_download_queue(logged_in_client, catalog):
    DownloadJobFactory(variant=catalog["mistral"].variants.get(), status="downloading", bytes_done=GB)
    response = logged_in_client.get(reverse("home"), {"status": "downloading"})
    assert names(response) == ["acme/mistral-big"]
    assert "Downloading" in response.content.decode()


def test_search_and_sort(logged_in_client, catalog):
    response = logged_in_client.get(reverse("home"), {"sort": "-likes"})
    assert names(response) == ["acme/mistral-big", "zeta/qwen-mid", "acme/llama-small"]
    response = logged_in_client.get(reverse("home"), {"sort": "-size"})
    assert names(response)[0] == "acme/mistral-big"
    response = logged_in_client.get(reverse("home"), {"search": "qwen"})
    assert names(response) == ["zeta/qwen-mid"]


def test_unknown_filter_values_are_ignored_rather_than_an_error(logged_in_client, catalog):
    response = logged_in_client.get(reverse("home"), {"size": "huge", "status": "nope", "sort": "bogus", "family": "x"})
    assert response.status_code == 200
    assert len(names(response)) == 3


def test_the_filters_are_remembered_for_the_next_visit(logged_in_client, user, catalog):
    logged_in_client.get(reverse("home"), {"family": "mistral", "sort": "-likes", "search": ""})
    assert UserSettings.objects.get(user=user).model_filters["family"] == ["mistral"]
    response = logged_in_client.get(reverse("home"))
    assert response.status_code == 302
    assert "family=mistral" in response["Location"] and "sort=-likes" in response["Location"]


def test_clearing_the_filters_forgets_them(logged_in_client, user, catalog):
    logged_in_client.get(reverse("home"), {"family": "mistral"})
    response = logged_in_client.get(reverse("home"), {"clear": "1"})
    assert response.status_code == 302
    assert UserSettings.objects.get(user=user).model_filters == {}
    assert logged_in_client.get(reverse("home")).status_code == 200


def test_an_htmx_filter_request_gets_only_the_results_fragment(logged_in_client, catalog):
    response = logged_in_client.get(reverse("home"), {"family": "llama"}, headers={"HX-Request": "true", "HX-Target": "results"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body
    assert "acme/llama-small" in body and "acme/mistral-big" not in body


def test_results_poll_only_while_a_download_is_live(logged_in_client, catalog):
    body = logged_in_client.get(reverse("home")).content.decode()
    assert "every 2s" not in body
    DownloadJobFactory(variant=catalog["llama"].variants.get(), status="queued")
    body = logged_in_client.get(reverse("home")).content.decode()
    assert "every 2s" in body


def test_pages_keep_the_filters_in_their_links(logged_in_client, db):
    for i in range(25):
        ModelVariantFactory(repository=ModelRepositoryFactory(author="bulk", name=f"m{i:02d}", family="llama"))
    response = logged_in_client.get(reverse("home"), {"family": "llama"})
    assert response.context["page"].paginator.num_pages == 2
    assert "family=llama&amp;sort=repo&amp;page=2" in response.content.decode() or "page=2" in response.content.decode()
    response = logged_in_client.get(reverse("home"), {"family": "llama", "page": 2})
    assert len(names(response)) == 5


def test_the_storage_strip_shows_usage_and_the_queue(logged_in_client, catalog):
    DownloadJobFactory(variant=catalog["llama"].variants.get(), status="queued")
    body = logged_in_client.get(reverse("home")).content.decode()
    assert "Used " in body and "Available " in body and "Queue (1)" in body
