"""The owner curates featured models in the admin: a typed repo is fetched from the hub (here the
emulator), its variants become the file choices (the recommended one by default), and the entry
shows up in GET /api/v1/featured-models in the admin's order and publish window."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import FeaturedModel, ModelRepository
from tests.factories import FeaturedModelFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:catalog_featuredmodel_add")


def _form(**values) -> dict:
    now = timezone.now()
    data = {"repo": "acme/tiny-llama-gguf", "filename": "", "title": "Tiny Llama", "slug": "", "description": "",
            "category": "chat", "size_category": "1B", "tags": "chat, tiny", "link_announcement": "",
            "link_paper": "", "published_at_0": now.strftime("%Y-%m-%d"), "published_at_1": now.strftime("%H:%M:%S"),
            "ends_at_0": "", "ends_at_1": "", "active": "on", "order": "5"}
    data.update(values)
    return data


def test_creating_from_a_repo_fetches_it_and_takes_the_recommended_file(logged_in_client, hub):
    response = logged_in_client.post(ADD_URL, _form())
    assert response.status_code == 302, response.content.decode()[:2000]
    featured = FeaturedModel.objects.get()
    assert featured.repository == ModelRepository.objects.get(repo="acme/tiny-llama-gguf")
    assert featured.slug == "tiny-llama" and featured.tags == ["chat", "tiny"] and featured.filename == ""
    assert featured.chosen_variant().is_recommended
    entry = logged_in_client.get("/api/v1/featured-models").json()["models"][0]
    assert entry["repo"] == "acme/tiny-llama-gguf" and entry["filename"] == featured.chosen_variant().filename


def test_a_hub_link_is_accepted_and_the_variants_are_offered_on_the_change_page(logged_in_client, hub):
    logged_in_client.post(ADD_URL, _form(repo=f"{hub.hf_url}/acme/tiny-llama-gguf"))
    featured = FeaturedModel.objects.get()
    assert featured.repo == "acme/tiny-llama-gguf"
    page = logged_in_client.get(reverse("admin:catalog_featuredmodel_change", args=[featured.pk])).content.decode()
    assert '<option value="tiny-q8_0.gguf"' in page and '<option value="" selected>Recommended' in page


def test_a_chosen_file_is_kept(logged_in_client, hub):
    logged_in_client.post(ADD_URL, _form(filename="tiny-q8_0.gguf"))
    assert FeaturedModel.objects.get().filename == "tiny-q8_0.gguf"


def test_a_file_the_repository_lacks_is_refused(logged_in_client, hub):
    response = logged_in_client.post(ADD_URL, _form(filename="nope.gguf"))
    assert response.status_code == 200 and not FeaturedModel.objects.exists()
    assert "nope.gguf" in response.context["adminform"].form.errors["filename"][0]


def test_a_repo_the_hub_does_not_know_is_refused(logged_in_client, hub):
    response = logged_in_client.post(ADD_URL, _form(repo="nobody/nothing-here"))
    assert response.status_code == 200 and not FeaturedModel.objects.exists()
    assert response.context["adminform"].form.errors["repo"]


def test_text_that_is_no_repo_is_refused_with_the_accepted_forms(logged_in_client, hub):
    response = logged_in_client.post(ADD_URL, _form(repo="not a repo"))
    assert "owner/name" in response.context["adminform"].form.errors["repo"][0]


def test_the_change_page_previews_the_card(logged_in_client, hub):
    logged_in_client.post(ADD_URL, _form(description="A very small llama."))
    featured = FeaturedModel.objects.get()
    page = logged_in_client.get(reverse("admin:catalog_featuredmodel_change", args=[featured.pk])).content.decode()
    assert 'class="featured-card"' in page and "A very small llama." in page
    assert "This card is shown now" in page


def test_the_order_set_in_the_list_is_the_api_order(logged_in_client):
    first, second = FeaturedModelFactory(slug="first", order=1), FeaturedModelFactory(slug="second", order=2)
    data = {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2", "_save": "Save",
            "form-0-id": str(first.pk), "form-0-order": "9", "form-0-active": "on",
            "form-1-id": str(second.pk), "form-1-order": "1", "form-1-active": "on"}
    response = logged_in_client.post(reverse("admin:catalog_featuredmodel_changelist"), data)
    assert response.status_code == 302
    models = logged_in_client.get("/api/v1/featured-models").json()["models"]
    assert [m["id"] for m in models] == ["second", "first"]


def test_the_publish_window_decides_what_the_api_shows(logged_in_client, hub):
    later = timezone.now() + timedelta(days=1)
    logged_in_client.post(ADD_URL, _form(published_at_0=later.strftime("%Y-%m-%d"),
                                         published_at_1=later.strftime("%H:%M:%S")))
    assert logged_in_client.get("/api/v1/featured-models").json()["models"] == []
    featured = FeaturedModel.objects.get()
    assert featured.pk not in FeaturedModel.objects.published().values_list("pk", flat=True)
    FeaturedModel.objects.filter(pk=featured.pk).update(published_at=timezone.now() - timedelta(days=2),
                                                        ends_at=timezone.now() - timedelta(days=1))
    assert logged_in_client.get("/api/v1/featured-models").json()["models"] == []


def test_bulk_publish_shows_future_inactive_and_ended_entries_now(logged_in_client):
    now = timezone.now()
    entries = [FeaturedModelFactory(published_at=now + timedelta(days=3)), FeaturedModelFactory(active=False),
               FeaturedModelFactory(ends_at=now - timedelta(hours=1))]
    response = logged_in_client.post(reverse("admin:catalog_featuredmodel_changelist"), {
        "action": "publish", "_selected_action": [e.pk for e in entries]})
    assert response.status_code == 302
    assert FeaturedModel.objects.published().count() == 3
    assert len(logged_in_client.get("/api/v1/featured-models").json()["models"]) == 3


def test_bulk_unpublish_hides_them(logged_in_client):
    entries = [FeaturedModelFactory(), FeaturedModelFactory()]
    logged_in_client.post(reverse("admin:catalog_featuredmodel_changelist"), {
        "action": "unpublish", "_selected_action": [e.pk for e in entries]})
    assert not FeaturedModel.objects.published().exists()
    assert logged_in_client.get("/api/v1/featured-models").json()["models"] == []
