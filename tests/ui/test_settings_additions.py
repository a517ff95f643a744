"""Settings shows the models directory (validated), the download concurrency and restarts the tour."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_usable_models_directory_is_confirmed(logged_in_client, models_dir, settings):
    settings.MAX_CONCURRENT_DOWNLOADS = 3
    body = logged_in_client.get(reverse("settings")).content.decode()
    assert str(models_dir) in body
    assert "The folder exists and Modella can write to it." in body
    assert "Downloads at once" in body and "<dd>3</dd>" in body


def test_a_missing_models_directory_is_explained(logged_in_client, settings, tmp_path):
    settings.MODELS_DIR = tmp_path / "nowhere"
    body = logged_in_client.get(reverse("settings")).content.decode()
    assert "The folder does not exist" in body
