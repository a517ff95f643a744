"""Discover → Hugging Face packages: the published featured models as a tree by category, each
downloadable with one POST (fetching the repository when needed), without JavaScript."""

import pytest
from django.urls import reverse

from downloads.models import DownloadJob
from tests.factories import FeaturedModelFactory

pytestmark = pytest.mark.django_db


def test_the_tree_groups_published_entries_by_category_in_order(logged_in_client):
    FeaturedModelFactory(title="Coder", category="code", order=1)
    FeaturedModelFactory(title="Chatter B", category="chat", order=3)
    FeaturedModelFactory(title="Chatter A", category="chat", order=2)
    FeaturedModelFactory(title="Hidden", category="vae", active=False)
    page = logged_in_client.get(reverse("catalog:packages")).content.decode()
    assert page.index('id="category-chat"') < page.index("Chatter A") < page.index("Chatter B")
    assert page.index("Chatter B") < page.index('id="category-code"') < page.index("Coder")
    assert "Hidden" not in page and 'id="category-vae"' not in page


def test_an_empty_curation_says_so(logged_in_client):
    assert "No packages are published yet" in logged_in_client.get(reverse("catalog:packages")).content.decode()


def test_discover_links_to_the_packages(logged_in_client):
    assert reverse("catalog:packages") in logged_in_client.get(reverse("catalog:discover")).content.decode()


def test_download_fetches_the_repository_and_queues_the_recommended_file(logged_in_client, hub, user):
    featured = FeaturedModelFactory(repo="acme/tiny-llama-gguf")
    response = logged_in_client.post(reverse("catalog:package_download", args=[featured.slug]),
                                     {"next": reverse("catalog:packages")})
    assert response.status_code == 302 and response["Location"] == reverse("catalog:packages")
    job = DownloadJob.objects.get()
    assert job.variant.is_recommended and job.user == user
    featured.refresh_from_db()
    assert featured.repository.repo == "acme/tiny-llama-gguf"


def test_a_second_download_is_refused_with_a_message(logged_in_client, hub):
    featured = FeaturedModelFactory(repo="acme/tiny-llama-gguf", filename="tiny-q8_0.gguf")
    url = reverse("catalog:package_download", args=[featured.slug])
    logged_in_client.post(url)
    response = logged_in_client.post(url, follow=True)
    assert DownloadJob.objects.count() == 1
    assert "already in the download queue" in response.content.decode()


def test_a_file_that_does_not_fit_is_refused(logged_in_client, hub, settings):
    settings.STORAGE_RESERVE_BYTES = 10**18
    featured = FeaturedModelFactory(repo="acme/tiny-llama-gguf")
    response = logged_in_client.post(reverse("catalog:package_download", args=[featured.slug]), follow=True)
    assert not DownloadJob.objects.exists()
    assert "but only 0 bytes can be used" in response.content.decode()


def test_an_unpublished_entry_cannot_be_downloaded(logged_in_client):
    featured = FeaturedModelFactory(active=False)
    assert logged_in_client.post(reverse("catalog:package_download", args=[featured.slug])).status_code == 404


def test_download_needs_post(logged_in_client):
    featured = FeaturedModelFactory()
    assert logged_in_client.get(reverse("catalog:package_download", args=[featured.slug])).status_code == 405
