"""Django-Q2 entry points for downloads: thin functions that take ids (see downloads.queue)."""

from downloads import queue


def run_download(job_id: int) -> str:
    """Claim and run one download; exits at once if another worker holds its lease."""
    return queue.run(job_id)


def recover() -> None:
    """Every minute and when workers start: resume downloads whose worker died."""
    queue.recover()


def cleanup_history() -> int:
    """Daily: forget finished downloads older than MODELLA_HISTORY_DAYS."""
    return queue.cleanup_history()
