import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)


def _recover_on_worker_start(sender, proc_name=None, **kwargs) -> None:
    """When the cluster (re)starts, jobs left running by a stopped server go back to the queue."""
    from django.db import connection

    from downloads import queue

    try:
        queue.recover()
    except Exception:  # noqa: BLE001 - the minute schedule retries; a worker must still start
        log.exception("download recovery at worker start failed")
    finally:
        connection.close()


class DownloadsConfig(AppConfig):
    name = "downloads"
    verbose_name = _("Downloads")

    def ready(self) -> None:
        from django_q.signals import post_spawn

        post_spawn.connect(_recover_on_worker_start, dispatch_uid="downloads-recover-on-spawn")
