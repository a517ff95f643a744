"""What other apps may listen to, so they never reach into the engine.

`download_finished` is sent once a job has reached `completed` or `failed` and the row says so;
receivers get `job` (the DownloadJob, fresh from the database). A receiver that raises is logged
and does not change the job's outcome.
"""

import logging

from django.dispatch import Signal

log = logging.getLogger(__name__)

download_finished = Signal()


def send_finished(job_id: int) -> None:
    from downloads.models import DownloadJob

    job = DownloadJob.objects.select_related("variant__repository").filter(pk=job_id).first()
    if job is None:
        return
    for receiver, result in download_finished.send_robust(sender=DownloadJob, job=job):
        if isinstance(result, Exception):
            log.error("job %s: %r after the download failed", job_id, receiver, exc_info=result)
