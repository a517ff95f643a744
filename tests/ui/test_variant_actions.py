"""Download / Cancel / Retry / Remove / Delete from a variants table: POST forms that work without JS."""

import pytest
from django.urls import reverse

from downloads.models import DownloadJob
from tests.factories import DownloadJobFactory, ModelVariantFactory
from tests.ui.conftest import HTMX

pytestmark = pytest.mark.django_db


def test_download_queues_the_variant_and_redirects_back(logged_in_client, settings):
    settings.STORAGE_RESERVE_BYTES = 0
    variant = ModelVariantFactory(size=1000)
    response = logged_in_client.post(reverse("download_variant", args=[variant.pk]), {"next": "/?sort=-likes"})
    assert response.status_code == 302 and response["Location"] == "/?sort=-likes"
    assert DownloadJob.objects.get().variant == variant


def test_a_second_download_of_the_same_file_is_refused_with_a_message(logged_in_client, settings):
    settings.STORAGE_RESERVE_BYTES = 0
    variant = ModelVariantFactory(size=1000)
    logged_in_client.post(reverse("download_variant", args=[variant.pk]))
    response = logged_in_client.post(reverse("download_variant", args=[variant.pk]), headers=HTMX)
    assert "already in the download queue" in response.content.decode()
    assert DownloadJob.objects.count() == 1


def test_an_htmx_action_answers_with_the_notices_and_a_refresh_event(logged_in_client, settings):
    settings.STORAGE_RESERVE_BYTES = 0
    variant = ModelVariantFactory(size=1000)
    response = logged_in_client.post(reverse("download_variant", args=[variant.pk]), headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "modella:changed" and response["HX-Retarget"] == "#notices"
    body = response.content.decode()
    assert "added to the download queue" in body
    assert 'id="notice-poller" hidden hx-swap-oob="true" hx-get=' in body  # polling starts


def test_cancel_cancels_a_queued_download(logged_in_client):
    job = DownloadJobFactory(status="queued")
    logged_in_client.post(reverse("downloads:cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "cancelled"


def test_retry_queues_a_failed_download_again(logged_in_client):
    job = DownloadJobFactory(status="failed", error="boom")
    logged_in_client.post(reverse("downloads:retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "queued"


def test_remove_takes_a_failed_download_off_the_queue(logged_in_client):
    job = DownloadJobFactory(status="failed")
    logged_in_client.post(reverse("downloads:cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.dismissed


def test_an_action_on_an_unknown_download_is_not_found(logged_in_client):
    assert logged_in_client.post(reverse("downloads:cancel", args=[999999])).status_code == 404


def test_actions_refuse_get(logged_in_client):
    variant = ModelVariantFactory()
    assert logged_in_client.get(reverse("download_variant", args=[variant.pk])).status_code == 405


def test_delete_removes_the_file_and_makes_the_variant_available(logged_in_client, models_dir):
    path = models_dir / "hf" / "a.gguf"
    path.parent.mkdir()
    path.write_bytes(b"x" * 10)
    variant = ModelVariantFactory(local_path="hf/a.gguf")
    logged_in_client.post(reverse("delete_variant", args=[variant.pk]))
    variant.refresh_from_db()
    assert variant.local_path == "" and not path.exists()


def test_the_table_offers_the_action_that_fits_each_status(logged_in_client):
    available = ModelVariantFactory(filename="a.gguf")
    failed = DownloadJobFactory(status="failed", variant=ModelVariantFactory(filename="f.gguf"))
    running = DownloadJobFactory(status="downloading", bytes_done=2_000_000_000, speed_bps=50_000_000, eta_seconds=41,
                                 variant=ModelVariantFactory(filename="r.gguf"))
    body = logged_in_client.get("/").content.decode()
    assert f'id="download-{available.pk}"' in body
    assert f'id="retry-{failed.variant.pk}"' in body
    assert f'id="cancel-{running.variant.pk}"' in body
    assert "<progress" in body and "41 s left" in body
