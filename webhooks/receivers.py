"""Downloads tell webhooks when a job has finished (downloads.signals.download_finished)."""

import logging

from django.db import transaction
from django.dispatch import receiver

from downloads.signals import download_finished
from webhooks import models

log = logging.getLogger(__name__)

EVENT_FOR_STATUS = {"completed": models.COMPLETED, "failed": models.FAILED}


@receiver(download_finished, dispatch_uid="webhooks.download_finished")
def download_finished_receiver(sender, job, **kwargs) -> None:
    event = EVENT_FOR_STATUS.get(job.status)
    if event is None:
        return
    from downloads.api import item_data

    download = item_data(job)  # taken now: the job row may change again before the commit

    def create_deliveries() -> None:
        # After the commit, so a rolled-back finish sends nothing; guarded, so a webhook problem
        # (even the database refusing the rows) never reaches the download that finished.
        try:
            models.notify(event, download)
        except Exception:  # noqa: BLE001
            log.exception("download %s: could not record its %s webhook deliveries", job.pk, event)

    transaction.on_commit(create_deliveries)
