"""Helpers for the download tests: the emulator wired into settings, and jobs made from it."""


from catalog.models import ModelVariant
from downloads import queue
from downloads.models import DownloadJob
from tests.factories import ModelRepositoryFactory


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
