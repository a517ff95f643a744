"""Civitai's 401s told apart in a download, and a version link queuing that version's primary file."""

import pytest

from downloads import queue
from downloads.models import DownloadJob
from tests.downloads.conftest import run_job
from tests.downloads.test_civitai_files_and_history import _civitai_variant
from tests.fakehub.civitai import CivitaiRoutes
from tests.fakehub.server import json_response

pytestmark = pytest.mark.django_db(transaction=True)

DISABLED = "The creator of this asset has disabled downloads on this file"


def test_downloads_disabled_by_the_creator_is_said_so_not_log_in(hub, settings, monkeypatch, models_dir):
    settings.CIVITAI_TOKEN = "civ_good"
    variant, _content = _civitai_variant(hub)
    monkeypatch.setattr(CivitaiRoutes, "download", lambda self, req, raw_id: json_response(
        401, {"error": "Unauthorized", "message": DISABLED}))
    job = run_job(queue.enqueue(variant))

    assert job.status == "failed" and job.error_code == "remote_unauthorized"
    assert job.error_details["key"] == "civitai_downloads_disabled"
    assert "disabled downloads" in job.error_message and "paper_lantern.safetensors" in job.error_message
    assert "log" not in job.error_message.lower() and "API key" not in job.error_message
    assert len(hub.requests_for("/api/download/models/777")) == 1  # not retried
    assert not hub.requests_for("/api/v1/me")
    assert not list(models_dir.rglob("*.safetensors"))


def test_a_saved_key_civitai_does_not_accept_is_called_invalid(hub, settings):
    settings.CIVITAI_TOKEN = "civ_revoked"  # the emulator treats it as anonymous, as Civitai does
    variant, _content = _civitai_variant(hub, require_auth=True)
    job = run_job(queue.enqueue(variant))

    assert job.status == "failed" and job.error_code == "remote_unauthorized"
    assert job.error_details["key"] == "civitai_key_invalid"
    assert "did not accept the saved API key" in job.error_message
    assert "civ_revoked" not in job.error_message
    assert len(hub.requests_for("/api/v1/me")) == 1  # the key is checked once
    assert len(hub.requests_for("/api/download/models/777")) == 1


def test_without_a_key_the_login_requirement_still_asks_for_one(hub):
    variant, _content = _civitai_variant(hub, require_auth=True)
    job = run_job(queue.enqueue(variant))

    assert job.error_details["key"] == "civitai_login"
    assert "save an API key in Settings" in job.error_message
    assert not hub.requests_for("/api/v1/me")


def _two_version_model(hub):
    """v2 (newest, the repository's recommended file) and v1, whose primary file comes second."""
    def file(file_id, name, type_="Model", primary=False):
        return {"id": file_id, "name": name, "sizeKB": 100, "type": type_, "primary": primary,
                "metadata": {"format": "SafeTensor"}}

    model = {"id": 4343, "name": "Two Lanterns", "type": "Checkpoint", "modelVersions": [
        {"id": 881, "name": "v2", "baseModel": "SDXL 1.0", "createdAt": "2025-05-01T10:00:00.000Z",
         "files": [file(9102, "two_lanterns_v2.safetensors", primary=True)]},
        {"id": 880, "name": "v1", "baseModel": "SDXL 1.0", "createdAt": "2024-05-01T10:00:00.000Z",
         "files": [file(9100, "two_lanterns_v1_vae.safetensors", type_="VAE"),
                   file(9101, "two_lanterns_v1.safetensors", primary=True)]},
    ]}
    hub.add_civitai_model(model)
    for file_id in (9100, 9101, 9102):
        hub.civitai_file_content(file_id, hub.generated(100 * 1024, seed=file_id))


def test_a_version_link_queues_that_versions_primary_file(hub, api_client):
    _two_version_model(hub)
    url = "https://civitai.com/models/4343?modelVersionId=880"
    resolved = api_client.post("/api/v1/modelfiles/resolve", {"input": url}, format="json").json()
    response = api_client.post("/api/v1/downloads", {"url": url}, format="json")

    assert response.status_code == 201, response.json()
    job = DownloadJob.objects.get(pk=response.json()["id"])
    assert job.variant.civitai_version_id == 880
    assert job.variant.filename == resolved["selected_filename"] == "two_lanterns_v1.safetensors"
    assert job.variant.filename != job.variant.repository.variants.get(is_recommended=True).filename
