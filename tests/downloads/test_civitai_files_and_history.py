"""A Civitai file through its 307 + signed storage URL; progress throttling; history cleanup."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import ModelVariant
from downloads import engine, queue
from downloads.models import DownloadJob, UpdateItem, UpdateRun
from tests.downloads.conftest import download, run_job
from tests.factories import DownloadJobFactory, ModelRepositoryFactory
from tests.fakehub import Fault

pytestmark = pytest.mark.django_db(transaction=True)


def _civitai_variant(hub, require_auth=False):
    model = {"id": 4242, "name": "Paper Lantern", "type": "LORA", "modelVersions": [{
        "id": 777, "name": "v1", "baseModel": "SDXL 1.0",
        "files": [{"id": 9001, "name": "paper_lantern.safetensors", "sizeKB": 300, "type": "Model",
                   "primary": True, "metadata": {"format": "SafeTensor"}}]}]}
    hub.add_civitai_model(model, require_auth=require_auth)
    content = hub.generated(300 * 1024, seed=9001)
    hub.civitai_file_content(9001, content)
    repository = ModelRepositoryFactory(repo="civitai:4242", source="civitai", name="Paper Lantern",
                                        model_type="LORA", author="lanternmaker")
    variant = ModelVariant.objects.create(
        repository=repository, filename="paper_lantern.safetensors", size=content.size, sha256=content.sha256,
        files=[{"path": "paper_lantern.safetensors", "size": content.size, "sha256": content.sha256}],
        civitai_version_id=777, civitai_file_id=9001)
    return variant, content


def test_a_civitai_file_downloads_by_type_and_model_name_and_keeps_its_token_on_civitai(hub, settings, models_dir):
    settings.CIVITAI_TOKEN = "civ_good"
    variant, content = _civitai_variant(hub)
    job = run_job(queue.enqueue(variant))

    assert job.status == "completed", job.error
    final = models_dir / "civitai/LORA/Paper Lantern-4242/paper_lantern.safetensors"
    assert hashlib.sha256(final.read_bytes()).hexdigest() == content.sha256
    assert all(r.has_auth for r in hub.requests_for("/api/download/models/777"))
    assert not any(r.has_auth for r in hub.requests if r.listener == "cdn")


def test_a_civitai_login_requirement_is_explained_and_not_retried(hub, models_dir):
    variant, _content = _civitai_variant(hub, require_auth=True)
    job = run_job(queue.enqueue(variant))

    assert job.status == "failed" and job.error_code == "remote_unauthorized"
    assert "API key" in job.error_message
    assert len(hub.requests_for("/api/download/models/777")) == 1
    assert not list(models_dir.rglob("*.safetensors"))


def test_progress_is_written_at_most_about_once_a_second(hub, monkeypatch):
    writes, monitors = [], []
    real = engine.Download.write_progress

    def recording(self, speed):
        writes.append(speed)
        monitors.append(self.monitor)
        real(self, speed)

    monkeypatch.setattr(engine.Download, "write_progress", recording)
    content = hub.generated(3 * 1024 * 1024, seed=131)
    hub.add_hf_repo("acme/slowish-GGUF", files={"s.gguf": content})
    hub.set_fault("acme/slowish-GGUF/s.gguf", Fault(rate_bps=1_000_000))
    started = timezone.now()
    job = download(hub, "acme/slowish-GGUF", {"s.gguf": content})

    seconds = (timezone.now() - started).total_seconds()
    assert job.status == "completed"
    assert 2 <= len(writes) <= seconds + 1
    assert monitors[0].shortest_gap >= 1.0  # as the monitor decided them: never two within a second
    assert max(writes) > 500_000  # speed over the moving window, about the 1 MB/s cap


def test_cleanup_forgets_finished_jobs_older_than_the_history_window(settings):
    settings.HISTORY_DAYS = 30
    old = DownloadJobFactory(status="completed", finished_at=timezone.now() - timedelta(days=31))
    recent = DownloadJobFactory(status="failed", finished_at=timezone.now() - timedelta(days=2))
    queued = DownloadJobFactory()
    assert queue.cleanup_history() == 1
    assert set(DownloadJob.objects.values_list("pk", flat=True)) == {recent.pk, queued.pk}
    assert old.pk not in DownloadJob.objects.values_list("pk", flat=True)


def test_cleanup_forgets_old_update_runs_once_their_downloads_are_over(settings):
    settings.HISTORY_DAYS = 30
    long_ago = timezone.now() - timedelta(days=31)
    over, still_running, retryable, recent = (UpdateRun.objects.create(policy="replace") for _ in range(4))
    UpdateItem.objects.create(run=over, outcome="queued", job=DownloadJobFactory(status="completed"))
    UpdateItem.objects.create(run=over, outcome="queued", job=DownloadJobFactory(status="failed", dismissed=True))
    UpdateItem.objects.create(run=still_running, outcome="queued", job=DownloadJobFactory(status="downloading"))
    UpdateItem.objects.create(run=retryable, outcome="queued", job=DownloadJobFactory(status="failed"))
    UpdateRun.objects.filter(pk__in=[over.pk, still_running.pk, retryable.pk]).update(created_at=long_ago)

    queue.cleanup_history()

    assert set(UpdateRun.objects.values_list("pk", flat=True)) == {still_running.pk, retryable.pk, recent.pk}
    assert not UpdateItem.objects.filter(run=over.pk).exists()
