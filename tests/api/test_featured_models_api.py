"""GET /api/v1/featured-models: only published entries, in the admin's order, with every field of
API.md, `is_downloaded` and `last_updated`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import FeaturedModel
from tests.factories import FeaturedModelFactory, ModelRepositoryFactory, ModelVariantFactory

pytestmark = pytest.mark.django_db

FIELDS = {"id", "name", "title", "description", "tags", "size_category", "repo", "filename", "recommended_variant",
          "metadata", "links", "published_at", "is_downloaded"}


def test_no_entries_is_an_empty_list(api_client):
    assert api_client.get("/api/v1/featured-models").json() == {"last_updated": None, "models": []}


def test_only_published_entries_appear_in_the_admin_order(api_client):
    now = timezone.now()
    FeaturedModelFactory(slug="b", order=2)
    FeaturedModelFactory(slug="a", order=1)
    FeaturedModelFactory(slug="future", published_at=now + timedelta(hours=1))
    FeaturedModelFactory(slug="ended", ends_at=now - timedelta(minutes=1))
    FeaturedModelFactory(slug="inactive", active=False)
    FeaturedModelFactory(slug="still-on", order=3, ends_at=now + timedelta(days=1))
    models = api_client.get("/api/v1/featured-models").json()["models"]
    assert [m["id"] for m in models] == ["a", "b", "still-on"]


def test_an_entry_has_every_documented_field(api_client):
    repository = ModelRepositoryFactory(repo="bartowski/gemma-2-9b-it-GGUF", likes=900, downloads=120000,
                                        family="gemma", model_type="LLM", tags=["chat"])
    ModelVariantFactory(repository=repository, filename="gemma-2-9b-it-Q8_0.gguf", size=9_000_000_000)
    variant = ModelVariantFactory(repository=repository, filename="gemma-2-9b-it-Q4_K_M.gguf", size=5761057728,
                                  is_recommended=True)
    FeaturedModelFactory(slug="gemma-2-9b-it", title="Gemma 2 9B Instruct", repo=repository.repo,
                         repository=repository, tags=["chat"], size_category="9B",
                         link_paper="https://arxiv.org/abs/2408.00118")
    entry = api_client.get("/api/v1/featured-models").json()["models"][0]
    assert FIELDS <= set(entry)
    assert entry["id"] == "gemma-2-9b-it" and entry["name"] == entry["title"] == "Gemma 2 9B Instruct"
    assert entry["filename"] == variant.filename
    assert entry["recommended_variant"] == {"filename": variant.filename, "size": 5761057728}
    assert entry["metadata"] == {"downloads": 120000, "downloads_24h": None, "likes": 900, "stars": 900,
                                 "model_type": "LLM", "family": "gemma", "tags": ["chat"]}
    assert entry["links"]["huggingface"].endswith("/bartowski/gemma-2-9b-it-GGUF")
    assert entry["links"]["paper"] == "https://arxiv.org/abs/2408.00118" and entry["links"]["announcement"] is None
    assert entry["published_at"].endswith("Z") and entry["is_downloaded"] is False


def test_a_curated_file_wins_over_the_recommended_one_and_reports_downloaded(api_client):
    repository = ModelRepositoryFactory()
    ModelVariantFactory(repository=repository, is_recommended=True)
    chosen = ModelVariantFactory(repository=repository, filename="big.Q8_0.gguf", local_path="x/big.Q8_0.gguf")
    FeaturedModelFactory(repo=repository.repo, repository=repository, filename="big.Q8_0.gguf")
    entry = api_client.get("/api/v1/featured-models").json()["models"][0]
    assert entry["filename"] == chosen.filename and entry["is_downloaded"] is True


def test_an_entry_whose_repository_was_never_fetched_has_no_variant_yet(api_client):
    FeaturedModelFactory(repo="someone/not-fetched", filename="")
    entry = api_client.get("/api/v1/featured-models").json()["models"][0]
    assert entry["recommended_variant"] is None and entry["filename"] is None
    assert entry["metadata"]["likes"] is None and entry["links"]["huggingface"].endswith("/someone/not-fetched")


def test_last_updated_follows_edits(api_client):
    featured = FeaturedModelFactory()
    first = api_client.get("/api/v1/featured-models").json()["last_updated"]
    featured.title = "Renamed"
    featured.save()
    assert api_client.get("/api/v1/featured-models").json()["last_updated"] > first


def test_last_updated_follows_a_publish_window_opening(api_client):
    now = timezone.now()
    FeaturedModelFactory(published_at=now - timedelta(days=2))
    later = FeaturedModelFactory(published_at=now - timedelta(minutes=1))
    FeaturedModel.objects.filter(pk=later.pk).update(updated_at=now - timedelta(days=3))
    FeaturedModel.objects.exclude(pk=later.pk).update(updated_at=now - timedelta(days=3))
    body = api_client.get("/api/v1/featured-models").json()
    assert body["last_updated"] == later.published_at.isoformat().replace("+00:00", "Z")
