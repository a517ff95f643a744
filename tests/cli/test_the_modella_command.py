"""`manage.py modella download|queue|storage` runs the API's code paths: resolve and fetch from the
hub (the emulator), enqueue with the storage check, the queue's listing and the storage numbers."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from downloads.models import DownloadJob
from tests.factories import DownloadJobFactory

pytestmark = pytest.mark.django_db


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*args, stdout=None) -> str:
    out = stdout or io.StringIO()
    call_command("modella", *args, stdout=out)
    return out.getvalue()


def test_download_fetches_the_repo_and_queues_the_recommended_file(hub):
    output = run("download", "acme/tiny-llama-gguf")
    job = DownloadJob.objects.get()
    assert job.variant.is_recommended and job.priority_name == "normal"
    assert f"as download #{job.pk}" in output and "acme/tiny-llama-gguf" in output


def test_download_takes_a_file_a_priority_and_prints_json(hub):
    output = run("download", "acme/tiny-llama-gguf", "--file", "tiny-q8_0.gguf", "--priority", "high", "--json")
    item = json.loads(output)
    assert item["filename"] == "tiny-q8_0.gguf" and item["priority"] == "high" and item["status"] == "queued"


def test_download_accepts_a_hub_link(hub):
    run("download", f"{hub.hf_url}/acme/tiny-llama-gguf/blob/main/tiny-f16.gguf")
    assert DownloadJob.objects.get().filename == "tiny-f16.gguf"


def test_an_unknown_repo_is_an_error_with_the_apis_message(hub):
    with pytest.raises(CommandError, match="nobody/nothing"):
        run("download", "nobody/nothing")


def test_a_second_download_of_the_same_file_is_refused(hub):
    run("download", "acme/tiny-llama-gguf")
    with pytest.raises(CommandError, match="already in the download queue"):
        run("download", "acme/tiny-llama-gguf")


def test_a_download_that_does_not_fit_is_refused(hub, settings):
    settings.STORAGE_RESERVE_BYTES = 10**18
    with pytest.raises(CommandError, match="Not enough free space"):
        run("download", "acme/tiny-llama-gguf")


def test_wait_shows_a_progress_bar_on_a_terminal_until_the_download_completes(hub, monkeypatch):
    steps = iter([("downloading", 50), ("completed", 100)])

    def worker_progress(seconds):
        status, percent = next(steps)
        job = DownloadJob.objects.get()
        DownloadJob.objects.filter(pk=job.pk).update(status=status, bytes_done=job.size * percent // 100)

    monkeypatch.setattr("modella.management.commands.modella.time.sleep", worker_progress)
    output = run("download", "acme/tiny-llama-gguf", "--wait", stdout=TTY())
    assert "\r[" in output and "50.0%" in output and "100.0%" in output and "Downloaded" in output


def test_wait_prints_plain_lines_when_not_on_a_terminal_and_fails_with_the_error(hub, monkeypatch):
    def fail(seconds):
        DownloadJob.objects.update(status="failed", error="The hub said no.")

    monkeypatch.setattr("modella.management.commands.modella.time.sleep", fail)
    out = io.StringIO()
    with pytest.raises(CommandError, match="The hub said no."):
        call_command("modella", "download", "acme/tiny-llama-gguf", "--wait", stdout=out)
    assert "\r" not in out.getvalue() and "Queued: 0.0%" in out.getvalue()


def test_queue_lists_active_jobs_in_run_order_and_recent_completed_ones():
    DownloadJobFactory(filename="later.gguf", status="queued")
    DownloadJobFactory(filename="first.gguf", status="queued", priority=DownloadJob.Priority.URGENT)
    DownloadJobFactory(filename="done.gguf", status="completed")
    output = run("queue")
    assert output.index("first.gguf") < output.index("later.gguf") < output.index("Recently completed")
    assert output.index("Recently completed") < output.index("done.gguf")


def test_queue_json_is_the_apis(api_client):
    DownloadJobFactory(status="failed", error="broken")
    assert json.loads(run("queue", "--json")) == api_client.get("/api/v1/downloads/queue").json()


def test_an_empty_queue_says_so():
    assert "The queue is empty." in run("queue")


def test_storage_prints_the_usage_and_its_json_is_the_apis(api_client):
    output = run("storage")
    assert "Total" in output and "Available" in output and "Models" in output
    ours, api = json.loads(run("storage", "--json")), api_client.get("/api/v1/storage").json()
    # The disk's free space moves while other programs write; the models part must be equal.
    assert set(ours) == set(api)
    assert {k: ours[k] for k in ("model_count", "models_bytes", "by_source")} == {
        k: api[k] for k in ("model_count", "models_bytes", "by_source")}
