"""`manage.py modella download|queue|storage`: Modella for scripts and cron.

The subcommands run the API's code paths: `download` finds the variant as `POST /downloads` does
(downloads.api.find_variant: resolve, fetch the repository when unknown) and queues it with
downloads.queue.enqueue; `queue` lists what `GET /downloads/queue` lists; `storage` prints
storage.usage.usage(), the numbers of `GET /storage`. `--json` prints the API's JSON.

Exit status: 0 on success, 1 on an error (the API's message on stderr); `download --wait` exits
1 when the download fails or is cancelled.
"""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from downloads import queue
from downloads.api import COMPLETED_SHOWN, find_variant, item_data
from downloads.models import PRIORITY_NAMES, DownloadJob
from modella.errors import ModellaError
from storage.usage import usage

FINAL_STATUSES = ("completed", "failed", "cancelled")
BAR_WIDTH = 30


class Command(BaseCommand):
    help = _l("Download models, show the queue and the storage from the command line.")

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="{download,queue,storage}")
        download = commands.add_parser("download", help=_l("Queue a model file for download."))
        download.add_argument("repo", help=_l("owner/name, a Hugging Face or Civitai link, or civitai:<id>"))
        download.add_argument("--file", dest="filename", default=None,
                              help=_l("The file to download (default: the recommended one)."))
        download.add_argument("--priority", choices=list(PRIORITY_NAMES), default="normal")
        download.add_argument("--wait", action="store_true", help=_l("Wait until the download has finished."))
        download.add_argument("--interval", type=float, default=1.0, help=_l("Seconds between progress updates."))
        download.add_argument("--json", action="store_true", dest="as_json", help=_l("Print the queued item as JSON."))
        listing = commands.add_parser("queue", help=_l("Show the download queue."))
        listing.add_argument("--json", action="store_true", dest="as_json", help=_l("Print the API's JSON."))
        storage = commands.add_parser("storage", help=_l("Show the storage usage."))
        storage.add_argument("--json", action="store_true", dest="as_json", help=_l("Print the API's JSON."))

    def handle(self, *args, subcommand: str, **options):
        try:
            return getattr(self, f"handle_{subcommand}")(**options)
        except ModellaError as exc:
            raise CommandError(str(exc.message)) from exc

    # --- download -------------------------------------------------------------------------------
    def handle_download(self, repo: str, filename: str | None, priority: str, wait: bool, interval: float,
                        as_json: bool = False, **options) -> None:
        variant = find_variant("", filename, url=repo)
        job = queue.enqueue(variant, priority=priority)
        if as_json:
            self._json(item_data(job))
        else:
            self.stdout.write(_("Queued %(repo)s/%(filename)s (%(size)s) as download #%(id)s.")
                              % {"repo": job.repo, "filename": job.filename, "size": filesizeformat(job.size),
                                 "id": job.pk})
        if wait:
            self._wait(job, interval)

    def _wait(self, job: DownloadJob, interval: float) -> None:
        tty = self.stdout.isatty()
        last_status = None
        while True:
            job.refresh_from_db()
            if tty:
                self.stdout.write(f"\r{self._bar(job)}", ending="")
                self.stdout.flush()
            elif job.status != last_status:
                self.stdout.write(_("%(status)s: %(progress)s%%") % {"status": job.get_status_display(),
                                                                       "progress": job.progress})
            last_status = job.status
            if job.status in FINAL_STATUSES:
                break
            time.sleep(interval)
        if tty:
            self.stdout.write("")
        if job.status != "completed":
            raise CommandError(_("The download %(status)s: %(error)s")
                               % {"status": job.get_status_display().lower(), "error": job.error_message or "—"})
        self.stdout.write(self.style.SUCCESS(_("Downloaded %(filename)s.") % {"filename": job.filename}))

    @staticmethod
    def _bar(job: DownloadJob) -> str:
        done = int(BAR_WIDTH * job.progress / 100)
        speed = f"{filesizeformat(job.speed_bps)}/s" if job.speed_bps else ""
        return f"[{'#' * done}{'.' * (BAR_WIDTH - done)}] {job.progress:5.1f}% {job.get_status_display()} {speed}"

    # --- queue ----------------------------------------------------------------------------------
    def handle_queue(self, as_json: bool = False, **options) -> None:
        active = list(DownloadJob.objects.active().run_order())
        completed = list(DownloadJob.objects.recent_completed()[:COMPLETED_SHOWN])
        if as_json:
            return self._json({"active": [item_data(j) for j in active],
                               "completed": [item_data(j) for j in completed]})
        if not active:
            self.stdout.write(_("The queue is empty."))
        for job in active:
            line = (f"#{job.pk:<5} {job.get_status_display():<12} {job.progress:5.1f}%  "
                    f"{job.priority_name:<7} {filesizeformat(job.size):>10}  {job.repo}/{job.filename}")
            if job.status == "failed" and job.error_message:
                line += f"\n       {job.error_message}"
            self.stdout.write(line)
        if completed:
            self.stdout.write(_("Recently completed:"))
            for job in completed:
                self.stdout.write(f"#{job.pk:<5} {filesizeformat(job.size):>10}  {job.repo}/{job.filename}")

    # --- storage --------------------------------------------------------------------------------
    def handle_storage(self, as_json: bool = False, **options) -> None:
        data = usage()
        if as_json:
            return self._json(data)
        rows = [
            (_("Total"), filesizeformat(data["total_bytes"])),
            (_("Used"), filesizeformat(data["used_bytes"])),
            (_("Available"), filesizeformat(data["available_bytes"])),
            (_("Models"), _("%(count)s files, %(size)s") % {"count": data["model_count"],
                                                            "size": filesizeformat(data["models_bytes"])}),
        ]
        for label, value in rows:
            self.stdout.write(f"{label:<12} {value}")
        for title, key in ((_("By source"), "by_source"), (_("By type"), "by_type")):
            if data.get(key):
                self.stdout.write(f"{title}:")
                for name, size in data[key].items():
                    self.stdout.write(f"  {name:<20} {filesizeformat(size)}")

    def _json(self, data) -> None:
        self.stdout.write(json.dumps(data, indent=2))
