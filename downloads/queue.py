"""The download queue: enqueue, run order, the concurrency limit, leases and recovery.

The DownloadJob rows, not the Django-Q2 broker, decide what runs:

* `dispatch()` hands the broker a "run job #id" task only for free slots
  (MAX_CONCURRENT_DOWNLOADS minus running leases minus tasks handed out and not yet claimed),
  picking queued jobs in run order (priority, then age). Jobs wait in the database, not in the
  broker, so a priority change or a new urgent job takes effect at the next free slot.
* `run(job_id)` claims the job with a lease (`lease_owner`, `lease_expires_at`) in one locked
  transaction that also counts running jobs; a re-delivered task that finds a live lease, or a
  task beyond the limit, exits at once. The engine's monitor renews the lease while it works.
* `recover()` (every minute, and when workers start) returns jobs whose lease expired (worker
  killed, server stopped) to the queue and dispatches them; they resume from their offset.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import probe
from downloads import signals
from downloads.models import LIVE_STATUSES, PRIORITY_NAMES, DownloadJob, UpdateItem, UpdateRun
from modella.errors import AlreadyExists, InsufficientStorage, InvalidInput
from storage import disk, snapshots

log = logging.getLogger(__name__)

RUN_FUNC = "downloads.tasks.run_download"
# A task handed to the broker but not claimed within this time is handed out again.
DISPATCH_GRACE = timedelta(minutes=2)
RUNNING = (DownloadJob.Status.DOWNLOADING, DownloadJob.Status.VERIFYING)


def lease_seconds() -> int:
    return getattr(settings, "DOWNLOAD_LEASE_SECONDS", 30)


# --- enqueue ---------------------------------------------------------------------------------------


def destination_dir(repository) -> str:
    """`huggingface/<owner>/<repo>`, `huggingface/datasets/<owner>/<name>` (the dataset's repo id
    carries its `datasets/` prefix) or `civitai/<type>/<name>-<id>` (relative to the models dir)."""
    if repository.source == "civitai":
        model_id = repository.repo.split(":", 1)[-1]
        kind = disk.sanitize_filename(repository.model_type or "Other", default="Other")
        name = disk.sanitize_filename(f"{repository.name or 'model'}-{model_id}", default=f"model-{model_id}")
        return f"civitai/{kind}/{name}"
    return f"huggingface/{repository.repo}"


def _item(job: DownloadJob) -> dict:
    from downloads.api import item_data

    return item_data(job)


def _existing_for(variant) -> DownloadJob | None:
    jobs = DownloadJob.objects.filter(repo=variant.repository.repo, filename=variant.filename)
    job = jobs.filter(status__in=LIVE_STATUSES).first() or jobs.filter(status="failed", dismissed=False).first()
    if job is None and variant.sha256:
        # The same bytes from another source are the same file (§5 #17).
        job = DownloadJob.objects.live().filter(sha256=variant.sha256).first()
    return job


def queued_bytes() -> int:
    return sum(max(0, j.size - j.bytes_done) for j in DownloadJob.objects.live().only("size", "bytes_done"))


def check_space(needed: int) -> None:
    """Refuse a download that would not fit: free space minus what is queued minus the reserve."""
    free = disk.free_bytes()
    queued = queued_bytes()
    reserve = settings.STORAGE_RESERVE_BYTES
    available = max(0, free - queued - reserve)
    if needed > available:
        raise InsufficientStorage(
            _(
                "Not enough free space: this download needs %(needed)s bytes, but only %(available)s are "
                "available (%(free)s free, %(queued)s still to come for queued downloads, %(reserve)s kept in "
                "reserve)."
            )
            % {"needed": needed, "available": available, "free": free, "queued": queued, "reserve": reserve},
            details={"required_bytes": needed, "available_bytes": available, "free_bytes": free,
                     "queued_bytes": queued, "reserve_bytes": reserve},
        )


def verified_copy_in_place(rel: str, entry: dict) -> bool:
    """Whether `rel` already holds this file: recorded with the expected SHA-256 and size, and not
    touched since (same size, mtime and inode). A whole repository after a single-file download of
    one of its files, or a split set after one of its parts, then skips what is already there; the
    engine asks again when the job runs (the file may have changed while the job was queued)."""
    from storage.models import LocalFile

    if not entry.get("sha256"):
        return False
    record = LocalFile.objects.model_files().filter(path=rel, sha256=entry["sha256"]).first()
    if record is None:
        return False
    try:
        stat = disk.safe_path(rel).stat()
    except OSError:
        return False
    return (stat.st_size == record.size == entry.get("size") and stat.st_mtime == record.mtime
            and stat.st_ino == record.inode)


def enqueue(variant, priority: str = "normal", user=None, replace: bool = False, revision: str = "",
            policy: str = "", replaces: dict | None = None) -> DownloadJob:
    """Queue a variant (a file or a split set). Raises AlreadyExists (409), InsufficientStorage
    (507) or InvalidFileName (400); the run task is handed out when the transaction commits.

    `replace=True` queues a newer version of a file that is already downloaded (an update): the
    old file stays in place until the new one is verified and renamed over it. `revision` pins the
    commit up front (a whole repository: every file from the commit its file list came from).
    `policy` (replace, keep, archive) and `replaces` (the old file) make it an update whose old
    file is handled by downloads.updates once the new one is verified."""
    if policy:
        from downloads.updates import check_policy

        check_policy(policy)
    if priority not in PRIORITY_NAMES:
        raise InvalidInput(
            _("Unknown priority %(priority)s: use low, normal, high or urgent.") % {"priority": priority},
            details={"priority": ["low", "normal", "high", "urgent"]},
        )
    variant.refresh_from_db()  # the caller's copy may predate a download that just finished
    repository = variant.repository
    if not replace and variant.local_path and disk.safe_path(variant.local_path).exists():
        raise AlreadyExists(
            _("%(file)s is already downloaded.") % {"file": variant.filename},
            details={"repo": repository.repo, "filename": variant.filename, "local_path": variant.local_path},
        )
    existing = _existing_for(variant)
    if existing is not None:
        raise AlreadyExists(
            _("%(file)s is already in the download queue.") % {"file": variant.filename},
            details={"item": _item(existing)},
        )
    entries = variant.files or [{"path": variant.filename, "size": variant.size, "sha256": variant.sha256}]
    if variant.civitai_file_id and len(entries) == 1:
        entries = [{**entries[0], "file_id": variant.civitai_file_id}]
    dest = destination_dir(repository)
    files = []
    for entry in entries:
        local = entry["path"] if repository.source != "civitai" else disk.sanitize_filename(entry["path"])
        disk.safe_path(f"{dest}/{local}")  # a hostile repository path is refused here (400)
        item = {**entry, "local": local, "sha256": (entry.get("sha256") or "").lower()}
        # Not for an update: keep / archive set the whole old set aside, file by file, as it is replaced.
        if not policy and verified_copy_in_place(f"{dest}/{local}", item):
            item.update(done=True, present=True, rel=f"{dest}/{local}")  # nothing is fetched twice
        files.append(item)
    size = sum(int(f.get("size") or 0) for f in files) or variant.size
    present = sum(int(f.get("size") or 0) for f in files if f.get("done"))
    check_space(size - present)
    try:
        with transaction.atomic():
            job = DownloadJob.objects.create(
                user=user if user is not None and user.is_authenticated else None,
                variant=variant, source=repository.source, repo=repository.repo, filename=variant.filename,
                civitai_version_id=variant.civitai_version_id, files=files, size=size,
                sha256=(variant.sha256 or "").lower(), dest_path=dest, priority=PRIORITY_NAMES[priority],
                current_file=files[0]["path"] if files else "", revision=revision or "", bytes_done=present,
                update_policy=policy, replaces=replaces or {},
            )
    except IntegrityError:
        # Lost a race with an identical request: the unique constraint kept one job per file.
        existing = _existing_for(variant)
        raise AlreadyExists(
            _("%(file)s is already in the download queue.") % {"file": variant.filename},
            details={"item": _item(existing)} if existing else {},
        ) from None
    dispatch_on_commit()
    return job


def requeue(job: DownloadJob) -> None:
    """Queue a failed/cancelled/paused job again, keeping its partial file and offset."""
    try:
        with transaction.atomic():
            DownloadJob.objects.filter(pk=job.pk).update(
                status=DownloadJob.Status.QUEUED, error="", error_code="", error_details={},
                retry_at=None, finished_at=None, cancel_requested=False, pause_requested=False,
                dismissed=False, dispatched_at=None, refetched=False,
            )
    except IntegrityError:
        raise AlreadyExists(_("This file is already in the download queue.")) from None
    dispatch_on_commit()


# --- dispatch and claim ----------------------------------------------------------------------------


def dispatch_on_commit() -> None:
    transaction.on_commit(dispatch)


def dispatch() -> list[int]:
    """Hand run tasks to the broker for as many queued jobs as there are free slots."""
    now = timezone.now()
    with transaction.atomic():
        live = list(
            DownloadJob.objects.select_for_update()
            .filter(status__in=[DownloadJob.Status.QUEUED, *RUNNING])
            .order_by("-priority", "created_at", "pk")
        )
        running = [j for j in live if j.status in RUNNING and j.lease_is_live(now)]
        pending = [j for j in live if j.status == "queued" and j.dispatched_at and j.dispatched_at > now - DISPATCH_GRACE]
        free = settings.MAX_CONCURRENT_DOWNLOADS - len(running) - len(pending)
        if free <= 0:
            return []
        candidates = [
            j for j in live
            if j.status == "queued" and j not in pending and (j.retry_at is None or j.retry_at <= now)
        ]
        chosen = [j.pk for j in candidates[:free]]
        if not chosen:
            return []
        log.info("dispatching downloads %s (%s running, %s handed out)", chosen, len(running), len(pending))
        DownloadJob.objects.filter(pk__in=chosen).update(dispatched_at=now)
        transaction.on_commit(lambda: _send(chosen))
    return chosen


def _send(job_ids: list[int]) -> None:
    from django_q.tasks import async_task

    for job_id in job_ids:
        task_id = async_task(RUN_FUNC, job_id, task_name=f"download-{job_id}-{uuid.uuid4().hex[:6]}")
        DownloadJob.objects.filter(pk=job_id).update(task_id=task_id or "")


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(job_id: int, owner: str) -> DownloadJob | None:
    """Take the job's lease, or None: it is gone, finished, leased by a live worker, or every slot
    is taken. Locks the live rows so two workers cannot both see a free slot."""
    now = timezone.now()
    with transaction.atomic():
        live = list(DownloadJob.objects.select_for_update().filter(status__in=[DownloadJob.Status.QUEUED, *RUNNING]))
        job = next((j for j in live if j.pk == job_id), None)
        if job is None:
            return None
        if job.lease_is_live(now):
            log.info("job %s: leased by %s until %s; this delivery exits", job_id, job.lease_owner, job.lease_expires_at)
            return None
        if job.status == "queued" and job.retry_at and job.retry_at > now:
            DownloadJob.objects.filter(pk=job_id).update(dispatched_at=None)
            return None
        running = [j for j in live if j.pk != job_id and j.status in RUNNING and j.lease_is_live(now)]
        if len(running) >= settings.MAX_CONCURRENT_DOWNLOADS:
            DownloadJob.objects.filter(pk=job_id).update(dispatched_at=None)
            return None
        DownloadJob.objects.filter(pk=job_id).update(
            status=DownloadJob.Status.DOWNLOADING, lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds()), heartbeat_at=now,
            started_at=job.started_at or now, dispatched_at=None, error="", error_code="",
            error_details={}, retry_at=None,
        )
    job.refresh_from_db()
    return job


def run(job_id: int) -> str:
    """The body of the run task: claim, transfer, release, fill the freed slot."""
    from downloads.engine import Download

    owner = new_owner()
    job = claim(job_id, owner)
    if job is None:
        return "skipped"
    try:
        outcome = Download(job, owner).run()
    finally:
        DownloadJob.objects.filter(pk=job_id, lease_owner=owner).update(lease_owner="", lease_expires_at=None)
        dispatch()
    log.info("job %s: %s", job_id, outcome)
    return outcome


def complete(job: DownloadJob, owner: str) -> None:
    """Record a verified download: the job, the catalog variant and the local file rows."""
    from storage.models import LocalFile

    now = timezone.now()
    paths = [f["rel"] for f in job.files if f.get("rel")]
    DownloadJob.objects.filter(pk=job.pk, lease_owner=owner).update(
        status=DownloadJob.Status.COMPLETED, bytes_done=job.size, speed_bps=0, eta_seconds=None,
        finished_at=now, files=job.files, error="", error_code="", error_details={}, retry_at=None,
        offset=0, segments=[], lease_owner="", lease_expires_at=None,
    )
    variant = job.variant
    for entry in job.files:
        if entry.get("rel"):
            path = disk.safe_path(entry["rel"])
            LocalFile.objects.update_or_create(
                path=entry["rel"],
                defaults={"kind": LocalFile.Kind.MODEL, "size": entry["size"], "sha256": entry.get("sha256", ""),
                          "variant": variant, "source": job.source, "mtime": path.stat().st_mtime,
                          "inode": path.stat().st_ino},
            )
    if variant is not None and paths:
        variant.mark_downloaded(paths[0], job.revision)
        try:
            probe.update_variant_from_file(variant, disk.safe_path(paths[0]))
        except Exception:  # noqa: BLE001 - a header we cannot read must not fail a good download
            log.exception("job %s: reading the file header failed", job.pk)
    if job.update_policy:
        from downloads import updates

        try:
            updates.after_complete(job)
        except Exception:  # noqa: BLE001 - the new file is verified and in place; the old one stays
            log.exception("job %s: applying the update policy %s failed", job.pk, job.update_policy)
    try:
        snapshots.take()
    except Exception:  # noqa: BLE001 - the chart missing a point must not fail a good download
        log.exception("job %s: taking a storage snapshot failed", job.pk)
    signals.send_finished(job.pk)


# --- recovery, cancel helpers, history -------------------------------------------------------------


def recover() -> list[int]:
    """Return jobs whose worker died (lease expired) to the queue; hand out waiting jobs."""
    now = timezone.now()
    with transaction.atomic():
        orphaned = list(
            DownloadJob.objects.select_for_update()
            .filter(status__in=RUNNING)
            .exclude(lease_expires_at__gt=now)
            .values_list("pk", "cancel_requested")
        )
        resumed = [pk for pk, cancel in orphaned if not cancel]
        cancelled = [pk for pk, cancel in orphaned if cancel]
        if resumed:
            log.warning("recovering downloads whose worker stopped: %s", resumed)
            DownloadJob.objects.filter(pk__in=resumed).update(
                status=DownloadJob.Status.QUEUED, lease_owner="", lease_expires_at=None,
                dispatched_at=None, speed_bps=0, eta_seconds=None,
            )
        DownloadJob.objects.filter(status="queued", dispatched_at__lt=now - DISPATCH_GRACE).update(dispatched_at=None)
        if cancelled:
            DownloadJob.objects.filter(pk__in=cancelled).update(
                status=DownloadJob.Status.CANCELLED, cancel_requested=False, error_code="cancelled",
                finished_at=now, lease_owner="", lease_expires_at=None,
            )
    for job in DownloadJob.objects.filter(pk__in=cancelled):
        discard_partials(job)
    dispatch()
    return resumed


def discard_partials(job: DownloadJob) -> None:
    """Remove the partial files of a job that will not continue (cancelled, removed)."""
    for entry in job.files:
        # A verified file of an update still waiting to be swapped in is a partial too.
        if (entry.get("done") and not entry.get("pending_rename")) or not entry.get("local"):
            continue
        rel = f"{job.dest_path}/{entry['local']}" if job.dest_path else entry["local"]
        try:
            disk.safe_path(rel + ".part").unlink(missing_ok=True)
        except disk.InvalidFileName:
            continue
    DownloadJob.objects.filter(pk=job.pk).update(offset=0, segments=[], bytes_done=0)


def forget_task(job: DownloadJob) -> None:
    """Delete the job's task from the broker so it is not delivered (ORM broker; best effort)."""
    if not job.task_id:
        return
    try:
        from django_q.brokers import get_broker
        from django_q.conf import Conf
        from django_q.models import OrmQ
        from django_q.signing import SignedPackage

        if Conf.ORM:
            for row in OrmQ.objects.using(Conf.ORM).filter(key=get_broker().list_key):
                if row.task_id() == job.task_id:
                    row.delete()
        elif Conf.REDIS or getattr(Conf, "REDIS", None) is not None:
            broker = get_broker()
            for payload in broker.connection.lrange(broker.list_key, 0, -1):
                if SignedPackage.loads(payload).get("id") == job.task_id:
                    broker.connection.lrem(broker.list_key, 1, payload)
    except Exception:  # noqa: BLE001 - the lease check makes a late delivery harmless anyway
        log.exception("job %s: could not remove its broker task", job.pk)


def cleanup_history(days: int | None = None) -> int:
    """Delete finished jobs older than HISTORY_DAYS, and the update runs of that age whose
    downloads are all over (none running, queued or failed and still retryable); returns how many
    jobs."""
    days = days or settings.HISTORY_DAYS
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _rows = DownloadJob.objects.finished().filter(finished_at__lt=cutoff).delete()
    still_open = UpdateItem.objects.filter(  # a retry of a failed update still reports to its run
        Q(job__status__in=LIVE_STATUSES) | Q(job__status="failed", job__dismissed=False)).values("run_id")
    UpdateRun.objects.filter(created_at__lt=cutoff).exclude(pk__in=still_open).delete()
    return deleted
