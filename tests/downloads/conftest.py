"""Helpers for the download tests: the emulator wired into settings, and jobs made from it."""

import pytest
from django.core.cache import cache

from catalog.models import ModelVariant
from downloads import queue
from downloads.models import DownloadJob
from tests.factories import ModelRepositoryFactory


@pytest.fixture
def hub(fakehub, settings):
    """The fake hub as Modella's only hub, with short stall/backoff windows for fast tests."""
    settings.HF_ENDPOINT = fakehub.hf_url
    settings.CIVITAI_ENDPOINT = fakehub.civitai_url
    settings.DOWNLOAD_HOSTS = ["127.0.0.1"]
    settings.HF_TOKEN = ""
    settings.CIVITAI_TOKEN = ""
    settings.STALL_SECONDS = 1
    settings.DOWNLOAD_RETRY_BASE_SECONDS = 0.05
    settings.DOWNLOAD_CHECKPOINT_SECONDS = 0.2
    settings.DOWNLOAD_MAX_ATTEMPTS = 4
    settings.DOWNLOAD_CONNECTIONS = 1
    settings.STORAGE_RESERVE_BYTES = 0
    cache.clear()  # per-host back-off notes from an earlier test
    return fakehub


def hf_variant(hub, repo_id: str, files: dict, filename: str | None = None) -> ModelVariant:
    """Put `files` ({path: bytes|content}) in the emulator and one variant for them in the catalog."""
    hub.add_hf_repo(repo_id, files=files)
    repo = hub.hf_repo(repo_id)
    entries = []
    for path in files:
        entry = repo.head.files[path]
        entries.append({"path": path, "size": entry.size, "sha256": entry.sha256})
    owner, name = repo_id.split("/")
    repository = ModelRepositoryFactory(repo=repo_id, author=owner, name=name)
    return ModelVariant.objects.create(
        repository=repository, filename=filename or entries[0]["path"], files=entries,
        size=sum(e["size"] for e in entries), sha256=entries[0]["sha256"] if len(entries) == 1 else "",
        format="gguf",
    )


def run_job(job: DownloadJob) -> DownloadJob:
    """Run the job in this process, as a worker's task would, and return it reloaded."""
    queue.run(job.pk)
    job.refresh_from_db()
    return job


def download(hub, repo_id: str, files: dict, **kwargs) -> DownloadJob:
    variant = hf_variant(hub, repo_id, files)
    return run_job(queue.enqueue(variant, **kwargs))
