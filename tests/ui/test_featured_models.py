"""The featured carousel: published ones only, Try now, Dismiss until a newer one, Settings shows again."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import FeaturedModel
from downloads.models import DownloadJob
from modella.models import UserSettings
from tests.factories import FeaturedModelFactory

pytestmark = pytest.mark.django_db


def test_only_published_active_unexpired_models_are_shown_in_order(logged_in_client):
    now = timezone.now()
    second = FeaturedModelFactory(title="Second", order=2)
    first = FeaturedModelFactory(title="First", order=1)
    FeaturedModelFactory(title="Future", published_at=now + timedelta(days=1))
    FeaturedModelFactory(title="Inactive", active=False)
    FeaturedModelFactory(title="Ended", ends_at=now - timedelta(hours=1))
    assert list(FeaturedModel.objects.published()) == [first, second]
    body = logged_in_client.get(reverse("home")).content.decode()
    assert "First" in body and "Second" in body and "Future" not in body and "Ended" not in body


def test_dismiss_hides_them_until_a_newer_one_is_published(logged_in_client, user):
    FeaturedModelFactory(title="Old pick", published_at=timezone.now() - timedelta(days=3))
    logged_in_client.post(reverse("featured_dismiss"))
    assert 'id="featured"' not in logged_in_client.get(reverse("home")).content.decode()
    FeaturedModelFactory(title="New pick", published_at=timezone.now())
    body = logged_in_client.get(reverse("home")).content.decode()
    assert 'id="featured"' in body and "New pick" in body


def test_dismiss_with_htmx_removes_the_section_in_place(logged_in_client):
    FeaturedModelFactory()
    response = logged_in_client.post(reverse("featured_dismiss"), headers={"HX-Request": "true"})
    assert '<div id="featured" hx-swap-oob="delete">' in response.content.decode()


def test_settings_can_show_them_again(logged_in_client, user):
    FeaturedModelFactory(published_at=timezone.now() - timedelta(days=3))
    logged_in_client.post(reverse("featured_dismiss"))
    logged_in_client.post(reverse("settings"), {"language": "en", "theme": "dark", "show_featured": "on",
                                                "nsfw_level": "pg13", "nsfw_blur": "on"})
    assert UserSettings.objects.get(user=user).featured_dismissed_at is None
    assert 'id="featured"' in logged_in_client.get(reverse("home")).content.decode()


def test_try_now_queues_the_recommended_file(logged_in_client, hub):
    featured = FeaturedModelFactory(repo="acme/tiny-llama-gguf")
    response = logged_in_client.post(reverse("catalog:package_download", args=[featured.slug]))
    assert response.status_code == 302
    job = DownloadJob.objects.get()
    assert job.repo == "acme/tiny-llama-gguf" and job.variant.is_recommended


def test_try_now_refuses_what_does_not_fit(logged_in_client, hub, monkeypatch):
    from storage import disk

    monkeypatch.setattr(disk, "free_bytes", lambda: 10)
    featured = FeaturedModelFactory(repo="acme/tiny-llama-gguf")
    response = logged_in_client.post(reverse("catalog:package_download", args=[featured.slug]), headers={"HX-Request": "true"})
    assert "This file needs" in response.content.decode()
    assert not DownloadJob.objects.exists()
