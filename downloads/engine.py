"""The transfer engine: one DownloadJob's bytes, from the hub to a verified file.

Shape of a run (`Download(job, owner).run()`):

* For each file of the job (one, or the parts of a split GGUF set), learn its identity before
  the first byte: size and SHA-256 (HF HEAD: X-Linked-Size / X-Linked-Etag / X-Repo-Commit, else
  the catalog's sha256; Civitai: the catalog's file hashes). The commit is pinned on the job.
* Each attempt resolves the transfer URL again from the stable source URL (signed CDN URLs
  expire), following redirects by hand: only to allowed hosts, and never carrying the
  Authorization header to another host.
* Bytes stream into `<final>.part` beside the final path. Single stream: a reader thread receives,
  a writer thread hashes and writes (SHA-256 releases the GIL, so hashing overlaps the network).
  Parallel ranges (big files): several connections `pwrite` their segments and a hasher thread
  hashes the contiguous prefix as it grows (reading it back from the page cache while it is hot),
  so the final hash needs no second read of the whole file.
* The durable offset is recorded in the database only after an fsync (every few seconds), so a
  restart trusts min(recorded offset, file length) and re-downloads at most one checkpoint.
* A monitor thread writes progress at most once a second, renews the job's lease, notices cancel
  and pause requests within half a second, and is the stall watchdog: when too few bytes arrive
  for STALL_SECONDS it shuts the socket down, and the attempt resumes with a Range request.
* Errors are classified (retryable with backoff and jitter, Retry-After honoured; refreshable:
  resolve the URL again; fatal) and each reaches the user as a message key rendered in their
  language (`DownloadJob.error_message`).
* On completion the size and SHA-256 are checked, the file is fsynced, renamed atomically into
  place and the directory fsynced. A file failing verification is moved aside (listed as a
  quarantined LocalFile) and fetched once more from zero before the job fails.
"""

from __future__ import annotations

import contextlib
import email.utils
import errno
import hashlib
import http.client
import logging
import os
import queue as queue_module
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import requests
import urllib3
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from downloads import signals
from downloads.models import DownloadJob
from modella import health, outbound
from storage import disk

log = logging.getLogger(__name__)

READ_SIZE = 1 << 20  # bytes asked of the socket per read (parallel ranges)
HASH_READ_SIZE = 8 << 20  # bytes read back per step when hashing from disk
# Single stream: reused receive buffers in flight between receiver, writer and hasher; memory
# stays flat (16 MiB). bench/transfer.py: 1 MiB buffers beat 256 KiB ones by ~10% (fewer syscalls
# and hand-offs), and larger ones gained nothing more.
BUFFER_SIZE = 1 << 20
BUFFER_COUNT = 16
HANDOFF_SECONDS = 0.25  # a buffer is handed on when full or after this long (slow streams)
MAX_REDIRECTS = 10
MAX_REFRESHES = 8  # expired signed URLs resolved again, per file
STALL_MIN_BPS = 1024  # below this average over the stall window, a stream counts as stalled
SPEED_WINDOW = 5.0


def _setting(name: str, default):
    return getattr(settings, name, default)


DB_ERRORS = (OperationalError, InterfaceError)


def _drop_broken_connection() -> None:
    """After a database error: close this thread's connection if it is dead (PostgreSQL restarted),
    so that the next query opens a new one instead of failing on the old socket forever."""
    try:
        connection.close_if_unusable_or_obsolete()
    except DB_ERRORS:
        connection.close()


def _with_db_retry(call, *args, **kwargs):
    """Run a database write, waiting out a short outage (PostgreSQL restarting, SQLite locked) while
    the bytes keep flowing. After DOWNLOAD_DB_OUTAGE_SECONDS the error propagates: the lease then
    lapses and the recovery pass resumes the job from its durable offset."""
    deadline = time.monotonic() + _setting("DOWNLOAD_DB_OUTAGE_SECONDS", 60)
    delay = 0.2
    while True:
        try:
            return call(*args, **kwargs)
        except DB_ERRORS as exc:
            _drop_broken_connection()
            if time.monotonic() + delay > deadline:
                raise
            log.warning("database unavailable (%s); retrying in %.1f s", exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


# --- errors ------------------------------------------------------------------------------------


class TransferError(Exception):
    """A failed attempt. `key` names the user message (DownloadJob.ERROR_MESSAGES)."""

    code = "upstream_unavailable"
    retryable = True

    def __init__(self, key: str, retry_after: float | None = None, code: str | None = None,
                 retryable: bool | None = None, **params):
        self.key = key
        self.params = params
        self.retry_after = retry_after
        if code:
            self.code = code
        if retryable is not None:
            self.retryable = retryable
        super().__init__(f"{self.code}: {key} {params}")


class Fatal(TransferError):
    retryable = False


class Stalled(TransferError):
    code = "stalled"


class UrlExpired(TransferError):
    """The signed transfer URL stopped working: resolve it again and continue at the offset."""


class RemoteChanged(TransferError):
    """The file at the source is not the one the partial belongs to: start over from zero."""


class RangeIgnored(TransferError):
    """The server answered a Range request with the whole file (200)."""


class ChecksumMismatch(Fatal):
    code = "checksum_mismatch"


class DiskFull(Fatal):
    code = "insufficient_storage"


class Stopped(Exception):
    """Cancel, pause or a lost lease: leave the byte loop at once."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class Deferred(Exception):
    """The hub asked us to wait longer than a worker should sleep: queue the job for later."""

    def __init__(self, seconds: float, error: TransferError):
        self.seconds = seconds
        self.error = error
        super().__init__(seconds)


# --- HTTP helpers --------------------------------------------------------------------------------


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _hub_of(url: str) -> str:
    """The hub whose API endpoint `url` is on (same scheme, host and port), or "" (a CDN, storage)."""
    origin = _origin(url)
    if origin == _origin(settings.HF_ENDPOINT):
        return "huggingface"
    if origin == _origin(settings.CIVITAI_ENDPOINT):
        return "civitai"
    return ""


def host_allowed(host: str) -> bool:
    """The configured endpoints' hosts and DOWNLOAD_HOSTS, never an internal IP (modella.outbound)."""
    return outbound.host_allowed(host)


def parse_retry_after(response: requests.Response) -> float | None:
    """Seconds to wait from `RateLimit: ...;r=0;t=N`, or `Retry-After` (seconds or HTTP-date)."""
    ratelimit = response.headers.get("RateLimit", "")
    match = re.search(r";\s*r=(\d+)\s*;\s*t=(\d+)", ratelimit)
    if match and int(match.group(1)) == 0:
        return float(match.group(2)) + 1
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if re.fullmatch(r"[0-9]+", value):  # not isdigit(): "²" passes it, float() fails
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def parse_content_disposition(value: str | None) -> str | None:
    """The file name of a Content-Disposition header (`filename*` wins), unsanitised."""
    if not value:
        return None
    match = re.search(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", value, re.IGNORECASE)
    if match:
        try:
            return unquote(match.group(2).strip().strip('"'), encoding=match.group(1) or "utf-8")
        except LookupError:
            return unquote(match.group(2).strip())
    match = re.search(r'filename\s*=\s*"((?:[^"\\]|\\.)*)"', value, re.IGNORECASE) or re.search(
        r"filename\s*=\s*([^;]+)", value, re.IGNORECASE
    )
    return match.group(1).strip() if match else None


_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)


def parse_content_range(value: str | None) -> tuple[int, int, int | None] | None:
    match = _CONTENT_RANGE.match(value or "")
    if not match:
        return None
    total = None if match.group(3) == "*" else int(match.group(3))
    return int(match.group(1)), int(match.group(2)), total


def make_session() -> requests.Session:
    session = requests.Session()
    # trust_env off: ~/.netrc must never add credentials to a request Modella did not mean to sign.
    session.trust_env = False
    session.headers.update({
        "User-Agent": f"Modella/{settings.VERSION}",
        "Accept-Encoding": "identity",
    })
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _host_wait(host: str) -> float:
    try:
        until = cache.get(f"downloads:host-wait:{host}")
    except Exception:  # noqa: BLE001 - the cache (Redis) restarting must not fail a download
        log.warning("cache unavailable: no shared back-off for %s this time", host)
        return 0.0
    return max(0.0, until - time.time()) if until else 0.0


def _set_host_wait(host: str, seconds: float) -> None:
    # Shared with every download to that host (across processes when the cache is Redis).
    try:
        cache.set(f"downloads:host-wait:{host}", time.time() + seconds, timeout=int(seconds) + 5)
    except Exception:  # noqa: BLE001 - this download still backs off; others just are not told
        log.warning("cache unavailable: back-off for %s not shared", host)


# --- the remote file ------------------------------------------------------------------------------


@dataclass
class Remote:
    """Where a file comes from (stable) and what it must be (identity)."""

    url: str  # stable URL: HF resolve URL at the pinned commit, or Civitai's download endpoint
    token: str
    source: str
    path: str
    size: int = 0
    sha256: str = ""
    etag: str = ""
    commit: str = ""


@dataclass
class FileState:
    entry: dict
    final: Path
    part: Path
    rel: str
    hasher: object = field(default_factory=hashlib.sha256)
    hashed: int = 0  # bytes [0, hashed) are in `hasher`
    written: int = 0  # single stream: bytes [0, written) are in the partial file
    durable: int = 0  # bytes known fsynced
    segments: list | None = None  # parallel: [{"start", "end", "pos"}]
    durable_segments: list | None = None
    no_range: bool = False

    def reset(self) -> None:
        self.hasher = hashlib.sha256()
        self.hashed = self.written = self.durable = 0
        self.segments = self.durable_segments = None

    @property
    def on_disk(self) -> int:
        if self.segments is not None:
            return sum(s["pos"] - s["start"] for s in self.segments)
        return self.written


def _write_all(fd: int, data, pos: int) -> None:
    """pwrite everything (short writes happen on some filesystems)."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, pos)
        view = view[written:]
        pos += written


def _drop_cached(fd: int, start: int, length: int) -> None:
    """Evict a range already fsynced (and hashed) from the page cache.

    A 20 GB model would otherwise push the user's working set out of memory, and the kernel has
    to reclaim those pages later anyway; dropping them as we go lets the next range reuse the same
    memory (bench/transfer.py: ~10% faster on this VM's disk). Advice only: never fails a download.
    """
    if length <= 0:
        return  # a length of 0 would mean "to the end of the file"
    with contextlib.suppress(OSError):
        os.posix_fadvise(fd, start, length, os.POSIX_FADV_DONTNEED)


def _take(free: queue_module.Queue, threads: list[threading.Thread]) -> bytearray:
    """A free buffer; never waits forever on a pipeline stage that died."""
    while True:
        try:
            return free.get(timeout=1.0)
        except queue_module.Empty:
            if not all(thread.is_alive() for thread in threads):
                raise TransferError("write_failed", retryable=False, reason="pipeline stopped") from None


class _BodyReader:
    """`readinto(view)` for a response body: straight from the socket when the body is plain.

    A plain body (identity encoding, not chunked, Content-Length equal to the bytes wanted) is
    read with the socket file's `readinto1`: one recv per call into the caller's buffer, no
    intermediate objects. Anything else (gzip despite identity, chunked, no length) goes through
    urllib3, which decodes; bytes beyond what was wanted are kept and reported by `overflow()`.
    """

    def __init__(self, response, wanted: int):
        raw = response.raw
        self.raw = raw
        self.encoded = response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
        self.pending = b""
        fp = getattr(raw, "_fp", None)  # http.client.HTTPResponse
        sock_file = getattr(fp, "fp", None)
        self.direct = None
        if (not self.encoded and not getattr(raw, "chunked", False) and getattr(fp, "length", None) == wanted
                and hasattr(sock_file, "readinto1")):
            self.direct = sock_file.readinto1

    def readinto(self, view) -> int:
        if self.direct is not None:
            return self.direct(view)
        if not self.pending:
            if self.encoded:
                self.pending = self.raw.read(1 << 18, decode_content=True)
            else:
                self.pending = self.raw.read1(min(READ_SIZE, len(view)))
        n = min(len(view), len(self.pending))
        view[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n

    def overflow(self) -> int:
        """Bytes received beyond the wanted length (a decoded body longer than the file)."""
        if self.direct is not None:
            return 0
        if not self.pending and self.encoded:
            self.pending = self.raw.read(1 << 18, decode_content=True)
        return len(self.pending)


# --- the monitor (progress, lease, cancel, stall watchdog) ---------------------------------------


class Monitor(threading.Thread):
    def __init__(self, download: Download):
        super().__init__(name=f"download-{download.job.pk}-monitor", daemon=True)
        self.dl = download
        self.done = threading.Event()
        self.samples: deque[tuple[float, int]] = deque()
        self.db_writes = 0
        self.shortest_gap = float("inf")  # seconds between two progress writes (bench/transfer.py)
        self.lock_errors = 0

    def run(self) -> None:
        last_write = 0.0
        last_lease = time.monotonic()
        lease_every = max(1.0, self.dl.lease_seconds / 3)
        try:
            while not self.done.wait(0.25):
                now = time.monotonic()
                self.dl.check_stall(now)
                try:
                    self.dl.read_flags()
                    changed = self.dl.progress_changed()
                    if (changed and now - last_write >= 1.0) or now - last_lease >= lease_every:
                        self.dl.write_progress(self.speed(now))
                        self.db_writes += 1
                        if last_write:
                            self.shortest_gap = min(self.shortest_gap, now - last_write)
                        last_write = last_lease = now
                except DB_ERRORS as exc:  # SQLite busy, PostgreSQL restarting: skip this write, keep transferring
                    self.lock_errors += 1
                    log.warning("job %s: progress write skipped: %s", self.dl.job.pk, exc)
                    _drop_broken_connection()  # the next write reconnects
        finally:
            connection.close()

    def speed(self, now: float) -> int:
        done = self.dl.bytes_done()
        self.samples.append((now, done))
        while self.samples and now - self.samples[0][0] > SPEED_WINDOW:
            self.samples.popleft()
        first_t, first_b = self.samples[0]
        if now - first_t < 0.5 or done < first_b:
            return 0
        return int((done - first_b) / (now - first_t))


# --- the download ----------------------------------------------------------------------------------


class Download:
    """Runs one claimed job to an end state. `run()` never raises for transfer problems."""

    def __init__(self, job: DownloadJob, owner: str):
        self.job = job
        self.owner = owner
        self.session = make_session()
        self.lease_seconds = _setting("DOWNLOAD_LEASE_SECONDS", 30)
        self.stall_seconds = float(settings.STALL_SECONDS)
        self.stop_event = threading.Event()
        self.stop_reason: str | None = None
        self.received = 0  # bytes off the wire, for the stall watchdog
        self.stream_started: float | None = None
        self.stalled = False
        self._responses: set = set()
        self._responses_lock = threading.Lock()
        self.state: FileState | None = None
        self.done_bytes = sum(f.get("size", 0) for f in job.files if f.get("done"))
        self.status = DownloadJob.Status.DOWNLOADING
        self.notice: dict | None = None  # error_code/error shown while retrying
        self._written_progress: tuple | None = None
        self.monitor = Monitor(self)

    # -- monitor hooks --
    def bytes_done(self) -> int:
        return self.done_bytes + (self.state.on_disk if self.state else 0)

    def check_stall(self, now: float) -> None:
        started = self.stream_started
        if started is None or self.stalled:
            return
        window = self.stall_seconds
        history = getattr(self, "_stall_history", None)
        if history is None or history[0] != started:
            history = self._stall_history = (started, deque())
        samples = history[1]
        samples.append((now, self.received))
        while samples and now - samples[0][0] > window:
            samples.popleft()
        if now - started < window or not samples:
            return
        if self.received - samples[0][1] < STALL_MIN_BPS * window * 0.9:
            log.warning("job %s: stalled, no data for %.0f s; reconnecting", self.job.pk, window)
            self.stalled = True
            self.abort_streams()

    def read_flags(self) -> None:
        row = (
            DownloadJob.objects.filter(pk=self.job.pk)
            .values("cancel_requested", "pause_requested", "lease_owner", "status")
            .first()
        )
        if row is None or row["cancel_requested"]:
            self.stop("cancel")
        elif row["lease_owner"] != self.owner:
            self.stop("lease_lost")
        elif row["pause_requested"]:
            self.stop("pause")

    def progress_changed(self) -> bool:
        current = (self.bytes_done(), self.status, str(self.notice), self.state and self.state.durable)
        return current != self._written_progress

    def write_progress(self, speed: int) -> None:
        done = self.bytes_done()
        remaining = max(0, self.job.size - done)
        fields = {
            "bytes_done": done,
            "speed_bps": speed,
            "eta_seconds": int(remaining / speed) if speed > 0 else None,
            "status": self.status,
            "lease_expires_at": timezone.now() + timedelta(seconds=self.lease_seconds),
            "heartbeat_at": timezone.now(),
            "current_file": self.state.entry["path"] if self.state else self.job.current_file,
        }
        if self.state is not None:
            if self.state.durable_segments is not None:
                fields["segments"] = self.state.durable_segments
                fields["offset"] = 0
            else:
                fields["offset"] = self.state.durable
                fields["segments"] = []
        if self.notice is not None:
            fields.update(self.notice)
        updated = DownloadJob.objects.filter(pk=self.job.pk, lease_owner=self.owner).update(**fields)
        self._written_progress = (done, self.status, str(self.notice), self.state and self.state.durable)
        if not updated:
            self.stop("lease_lost")

    # -- stopping --
    def stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
            log.info("job %s: stopping (%s)", self.job.pk, reason)
        self.stop_event.set()
        self.abort_streams()

    def check_stop(self) -> None:
        if self.stop_event.is_set():
            raise Stopped(self.stop_reason or "cancel")

    def abort_streams(self) -> None:
        """Wake a reader blocked in recv() from another thread: shut its socket down."""
        with self._responses_lock:
            responses = list(self._responses)
        for response in responses:
            try:
                response.raw.shutdown()
            except Exception:  # noqa: BLE001 - already closed or released: nothing to wake
                pass

    def _track(self, response) -> None:
        with self._responses_lock:
            self._responses.add(response)

    def _untrack(self, response) -> None:
        with self._responses_lock:
            self._responses.discard(response)
        response.close()

    def _set_job(self, **fields) -> int:
        return _with_db_retry(DownloadJob.objects.filter(pk=self.job.pk, lease_owner=self.owner).update, **fields)

    # -- the run --
    def run(self) -> str:
        """Download every file of the job; returns the end state ("completed", "failed", ...)."""
        self.monitor.start()
        try:
            outcome = self._run()
        finally:
            self.monitor.done.set()
            self.monitor.join(timeout=5)
            self.session.close()
        return outcome

    def _run(self) -> str:
        job = self.job
        try:
            self._recheck_present_files()
            for index, entry in enumerate(job.files):
                if entry.get("done"):
                    continue
                self.check_stop()
                self._download_file(index, entry)
                self.done_bytes += entry["size"]
                self.state = None
                self._set_job(files=job.files, offset=0, segments=[], bytes_done=self.done_bytes,
                              revision=job.revision)
            self._place_pending()
            self.monitor.done.set()  # no progress write may follow the completion
            self.monitor.join(timeout=5)
            self._complete()
            return "completed"
        except Stopped as stop:
            return self._stopped(stop.reason)
        except Deferred as deferred:
            return self._defer(deferred)
        except TransferError as error:
            return self._fail(error)
        except disk.InvalidFileName as error:
            return self._fail(Fatal("invalid_file_name", code="invalid_file_name", name=error.details.get("name", "")))

    def _recheck_present_files(self) -> None:
        """Files found on disk and verified when the job was queued (downloads.queue) are skipped,
        unless they changed or went away while the job waited: then they are fetched after all."""
        from downloads import queue

        changed = [entry for entry in self.job.files if entry.get("present") and entry.get("done")
                   and not _with_db_retry(queue.verified_copy_in_place, entry["rel"], entry)]
        for entry in changed:
            log.info("job %s: %s changed on disk since it was queued; fetching it", self.job.pk, entry["rel"])
            for key in ("done", "present", "rel"):
                entry.pop(key, None)
        if changed:
            self.done_bytes = sum(f.get("size", 0) for f in self.job.files if f.get("done"))
            self._set_job(files=self.job.files, bytes_done=self.done_bytes)

    def _download_file(self, index: int, entry: dict) -> None:
        job = self.job
        rel = f"{job.dest_path}/{entry['local']}" if job.dest_path else entry["local"]
        final = disk.safe_path(rel)
        part = disk.safe_path(rel + ".part")
        st = self.state = FileState(entry=entry, final=final, part=part, rel=rel)
        disk.make_dirs(final.parent)
        self._set_job(current_file=entry["path"])
        self._restore(st)
        errors_in_row = 0
        refreshes = 0
        last_progress = -1
        while True:
            self.check_stop()
            try:
                if st.part.exists() and entry.get("size") and st.part.stat().st_size == entry["size"] \
                        and st.segments is None and st.written == 0:
                    # Crash after the last byte, before the rename: hash what is there and promote.
                    self._hash_from_disk(st, entry["size"])
                    st.written = st.durable = entry["size"]
                if st.written < entry.get("size", 0) or not entry.get("size") or st.hashed < st.written:
                    remote = self._describe(entry)
                    self._reconcile(st, remote)
                    if st.written < entry["size"] or st.segments is not None:
                        self._transfer(st, remote)
                self._finish(st)
                return
            except Stopped:
                raise
            except ChecksumMismatch as mismatch:
                self._quarantine(st, mismatch)
                if job.refetched:
                    raise
                job.refetched = True
                self._set_job(refetched=True)
                log.warning("job %s: checksum mismatch, fetching %s once more from zero", job.pk, entry["path"])
                continue
            except RemoteChanged as changed:
                log.warning("job %s: %s changed at the source; starting over", job.pk, entry["path"])
                self._discard(st)
                errors_in_row += 1
                if errors_in_row > 3:
                    raise Fatal("source_changed", code="upstream_unavailable", path=entry["path"]) from changed
                continue
            except UrlExpired:
                refreshes += 1
                if refreshes > MAX_REFRESHES:
                    raise
                log.info("job %s: transfer URL expired; resolving it again", job.pk)
                continue
            except TransferError as error:
                if not error.retryable:
                    raise
                if self.bytes_done() > last_progress and last_progress >= 0:
                    errors_in_row = 0  # bytes flowed since the last error: a fresh budget
                last_progress = self.bytes_done()
                errors_in_row += 1
                self._backoff(error, errors_in_row)
            finally:
                self.stream_started = None
                self.stalled = False

    # -- identity --
    def _describe(self, entry: dict) -> Remote:
        job = self.job
        if job.source == "civitai":
            return self._describe_civitai(entry)
        revision = job.revision or "main"
        url = f"{settings.HF_ENDPOINT}/{job.repo}/resolve/{quote(revision, safe='')}/{quote(entry['path'])}"
        token = _hub_token("huggingface")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self._request("HEAD", url, headers=headers, follow=False)
        hops = 0
        while response.is_redirect and not urlsplit(response.headers["Location"]).netloc and hops < MAX_REDIRECTS:
            # Only relative redirects (renamed repo, resolve-cache) are followed for metadata.
            response = self._request("HEAD", urljoin(response.url, response.headers["Location"]),
                                     headers=headers, follow=False)
            hops += 1
        self._raise_for_status(response, url, entry)
        commit = response.headers.get("X-Repo-Commit", "")
        etag = (response.headers.get("X-Linked-Etag") or response.headers.get("ETag") or "")
        etag = etag.removeprefix("W/").strip('"')
        size_header = response.headers.get("X-Linked-Size") or (
            None if response.is_redirect else response.headers.get("Content-Length")
        )
        remote = Remote(url=url, token=token, source="huggingface", path=entry["path"], etag=etag, commit=commit)
        remote.size = int(size_header) if size_header and size_header.isdigit() else int(entry.get("size") or 0)
        remote.sha256 = etag.lower() if re.fullmatch(r"[0-9a-fA-F]{64}", etag) else (entry.get("sha256") or "")
        if commit and not job.revision:
            # Pin the commit: a branch that moves during the download cannot splice two versions.
            job.revision = commit
            remote.url = f"{settings.HF_ENDPOINT}/{job.repo}/resolve/{commit}/{quote(entry['path'])}"
            self._set_job(revision=commit)
        return remote

    def _describe_civitai(self, entry: dict) -> Remote:
        job = self.job
        url = f"{settings.CIVITAI_ENDPOINT}/api/download/models/{job.civitai_version_id}"
        if entry.get("file_id"):
            url += f"?fileId={entry['file_id']}"
        token = _hub_token("civitai")
        return Remote(url=url, token=token, source="civitai", path=entry["path"], size=int(entry.get("size") or 0),
                      sha256=(entry.get("sha256") or "").lower(), etag=(entry.get("sha256") or "").lower())

    def _reconcile(self, st: FileState, remote: Remote) -> None:
        """Compare the remote identity with what the partial belongs to; adopt it for a fresh file."""
        entry = st.entry
        known = entry.get("etag")
        if known and remote.etag and known != remote.etag or (entry.get("size") and remote.size
                                                              and entry["size"] != remote.size and st.on_disk):
            raise RemoteChanged("source_changed", path=entry["path"])
        if entry.get("sha256") and remote.sha256 and entry["sha256"].lower() != remote.sha256 and st.on_disk:
            raise RemoteChanged("source_changed", path=entry["path"])
        changed = False
        for key in ("etag", "sha256", "size"):
            value = getattr(remote, key)
            if value and entry.get(key) != value:
                entry[key] = value
                changed = True
        if re.fullmatch(r"[0-9a-f]{40}", remote.etag or "") and not entry.get("sha256"):
            # A regular (non-LFS) file: its ETag is the git blob id, what the content is checked against.
            if entry.get("blob_id") and entry["blob_id"] != remote.etag and st.on_disk:
                raise RemoteChanged("source_changed", path=entry["path"])
            if entry.get("blob_id") != remote.etag:
                entry["blob_id"] = remote.etag
                changed = True
        if changed:
            self.job.size = sum(int(f.get("size") or 0) for f in self.job.files)
            self._set_job(files=self.job.files, size=self.job.size)
        if not entry.get("size") and not _known_empty(entry):
            raise Fatal("size_unknown", code="size_mismatch", path=entry["path"])

    # -- HTTP --
    def _request(self, method: str, url: str, headers: dict, follow: bool = True, stream: bool = False):
        """One request chain with redirects followed by hand (allowed hosts only)."""
        origin = _origin(url)
        hops = 0
        while True:
            host = _host(url)
            if not outbound.url_allowed(url):  # other hosts, internal IPs, file:// and the like
                raise Fatal("redirect_not_allowed", code="upstream_unavailable", host=host)
            wait = _host_wait(host)
            if wait > 0:
                # Another download from this host was told to back off: honour it here too.
                if wait > _setting("DOWNLOAD_MAX_WAIT_SECONDS", 300):
                    raise TransferError("rate_limited", code="rate_limited", retry_after=wait, status=429)
                self.stop_event.wait(wait)
                self.check_stop()
            send = dict(headers)
            if _origin(url) != origin:
                send.pop("Authorization", None)  # never hand a hub token to a CDN or another host
            hub = _hub_of(url)
            retry_at = health.open_until(hub) if hub else None
            if retry_at is not None:
                # The hub is down (circuit breaker open): the job waits in the queue, it does not fail.
                raise Deferred(max(1.0, (retry_at - timezone.now()).total_seconds()),
                               TransferError("hub_down", code="upstream_unavailable", hub=hub))
            try:
                response = self.session.request(
                    method, url, headers=send, allow_redirects=False, stream=stream,
                    timeout=(settings.HUB_TIMEOUT, max(self.stall_seconds * 2, 10)),
                )
            except requests.RequestException as exc:
                if self.stop_event.is_set():
                    raise Stopped(self.stop_reason or "cancel") from exc
                if self.stalled:
                    raise Stalled("stalled") from exc
                if hub:
                    health.record_failure(hub)
                raise TransferError("connection", reason=type(exc).__name__) from exc
            if hub:
                (health.record_failure if response.status_code >= 500 else health.record_success)(hub)
            if not follow or not response.is_redirect:
                return response
            hops += 1
            location = response.headers.get("Location", "")
            response.close()
            if hops > MAX_REDIRECTS or not location:
                raise TransferError("too_many_redirects", retryable=False)
            url = urljoin(url, location)

    def _raise_for_status(self, response, url: str, entry: dict) -> None:
        status = response.status_code
        if status < 400:
            return
        on_endpoint = _origin(response.url) == _origin(url)
        error_code = response.headers.get("X-Error-Code", "")
        try:
            body = response.json() if "json" in response.headers.get("Content-Type", "") else {}
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        response.close()
        path = entry["path"]
        if status in (401, 403) and on_endpoint:
            if self.job.source == "civitai":
                if str(body.get("error", "")).lower() == "early access":
                    raise Fatal("civitai_early_access", code="remote_unauthorized", deadline=body.get("deadline", ""))
                message = str(body.get("message") or body.get("error") or "")
                if status == 401:
                    raise self._civitai_unauthorized(message, path)
                raise Fatal("civitai_forbidden", code="remote_unauthorized", message=message)
            if error_code == "GatedRepo":
                raise Fatal("hf_gated", code="remote_unauthorized",
                            url=f"{settings.HF_ENDPOINT}/{self.job.repo}", has_token=bool(_hub_token("huggingface")))
            if error_code == "RepoNotFound" and not _hub_token("huggingface"):
                raise Fatal("hf_token_needed", code="remote_unauthorized", repo=self.job.repo)
            if error_code in ("RepoNotFound", "RevisionNotFound", "EntryNotFound"):
                raise Fatal("not_found", code="remote_not_found", path=path, repo=self.job.repo)
            raise Fatal("hf_token_rejected", code="remote_unauthorized", repo=self.job.repo)
        if status in (400, 401, 403, 410) and not on_endpoint:
            raise UrlExpired("url_expired", status=status)
        if status in (404, 410):
            raise Fatal("not_found", code="remote_not_found", path=path, repo=self.job.repo)
        if status == 429:
            wait = parse_retry_after(response)
            if wait:
                _set_host_wait(_host(response.url), wait)  # other downloads from this host wait too
            raise TransferError("rate_limited", code="rate_limited", retry_after=wait, status=status)
        if status == 408 or status >= 500:
            raise TransferError("upstream_status", retry_after=parse_retry_after(response), status=status)
        raise Fatal("upstream_status", status=status)

    @staticmethod
    def _civitai_unauthorized(message: str, path: str) -> Fatal:
        """Civitai's 401, told apart: downloads disabled by the creator, a saved key Civitai does not
        accept (checked once with GET /api/v1/me: public endpoints treat a bad key as anonymous),
        a valid key still refused, or no key at all."""
        if "disabled downloads" in message.lower():
            return Fatal("civitai_downloads_disabled", code="remote_unauthorized", path=path)
        key = _hub_token("civitai")
        if not key:
            return Fatal("civitai_login", code="remote_unauthorized", message=message)
        from catalog.sources import civitai

        try:
            valid = civitai.check_token(key)
        except Exception:  # noqa: BLE001 - Civitai unreachable or limiting: the key may be fine
            log.warning("could not check the Civitai API key", exc_info=True)
            valid = True
        if not valid:
            return Fatal("civitai_key_invalid", code="remote_unauthorized", path=path)
        return Fatal("civitai_login_refused", code="remote_unauthorized", path=path, message=message)

    def _open(self, remote: Remote, start: int, end: int | None = None, if_range: str = ""):
        """GET the body from `start` (to `end` inclusive), through the redirect chain."""
        headers = {"Authorization": f"Bearer {remote.token}"} if remote.token else {}
        if start or end is not None:
            headers["Range"] = f"bytes={start}-{'' if end is None else end}"
            if if_range:
                # The storage's own ETag: if the object changed, it answers 200 with the new whole.
                headers["If-Range"] = if_range
        self.job.attempts += 1
        DownloadJob.objects.filter(pk=self.job.pk).update(attempts=self.job.attempts)
        self.stream_started = time.monotonic()
        response = self._request("GET", remote.url, headers=headers, stream=True)
        if response.status_code == 416:
            response.close()
            raise RemoteChanged("source_changed", path=remote.path)
        self._raise_for_status(response, remote.url, {"path": remote.path})
        self._check_body_type(response, remote, start)
        return response

    def _check_body_type(self, response, remote: Remote, start: int) -> None:
        """Refuse an HTML/JSON error page, and a length that cannot be the file, before writing."""
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        length = response.headers.get("Content-Length")
        encoded = response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
        if response.status_code == 206:
            expected = None  # checked against Content-Range by the caller
        else:
            expected = remote.size
        if content_type in ("text/html", "application/xhtml+xml") or (
            content_type == "application/json" and not remote.path.endswith(".json")
        ):
            response.close()
            raise TransferError("error_page", code="upstream_unavailable", content_type=content_type)
        if expected is not None and length and length.isdigit() and not encoded and int(length) != expected:
            response.close()
            raise TransferError("size_mismatch", code="size_mismatch", expected=expected, actual=int(length))

    # -- the byte loops --
    def _transfer(self, st: FileState, remote: Remote) -> None:
        connections = settings.DOWNLOAD_CONNECTIONS
        if (st.segments is not None or (connections > 1 and remote.size >= settings.PARALLEL_THRESHOLD_BYTES
                                         and st.written == 0 and not st.no_range)):
            try:
                self._transfer_parallel(st, remote, connections)
                return
            except RangeIgnored:
                log.warning("job %s: the server ignores Range; downloading in one stream", self.job.pk)
                st.no_range = True
                st.reset()
                st.part.unlink(missing_ok=True)
        self._transfer_single(st, remote)

    def _transfer_single(self, st: FileState, remote: Remote) -> None:
        size = remote.size
        response = self._open(remote, st.written, if_range=st.entry.get("body_etag", "") if st.written else "")
        self._track(response)
        body_etag = response.headers.get("ETag", "")
        if body_etag and not body_etag.startswith("W/") and st.entry.get("body_etag") != body_etag:
            st.entry["body_etag"] = body_etag
            self._set_job(files=self.job.files)
        try:
            if st.written and response.status_code == 200:
                # A 200 to a Range request is the whole file: start over, never append.
                log.warning("job %s: Range ignored by the server; restarting from zero", self.job.pk)
                st.reset()
                if response.headers.get("Content-Length", str(size)) != str(size) and \
                        response.headers.get("Content-Encoding", "identity") == "identity":
                    raise TransferError("size_mismatch", code="size_mismatch", expected=size,
                                        actual=int(response.headers["Content-Length"]))
            elif response.status_code == 206:
                self._check_content_range(response, st.written, size)
            elif response.status_code != 200:
                raise TransferError("upstream_status", status=response.status_code)
            fd = os.open(st.part, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                os.ftruncate(fd, st.written)
                self._pump(response, fd, st, size)
            finally:
                os.close(fd)
        finally:
            self._untrack(response)
        if st.written < size:
            raise TransferError("short_body", expected=size, actual=st.written)

    def _check_content_range(self, response, start: int, size: int) -> None:
        parsed = parse_content_range(response.headers.get("Content-Range"))
        if parsed is None:
            raise TransferError("bad_range", retryable=True)
        first, _last, total = parsed
        if total is not None and total != size:
            raise RemoteChanged("source_changed", path=response.url)
        if first != start:
            raise TransferError("bad_range", got=first, wanted=start)

    def _pump(self, response, fd: int, st: FileState, size: int) -> None:
        """Single stream: three stages on a few large reused buffers, so memory stays flat.

        This thread receives straight into a free buffer (`readinto`, no per-chunk objects) and
        hands it on when it is full or after HANDOFF_SECONDS (a slow stream still shows progress);
        a writer thread `pwrite`s it, a hasher thread feeds it to SHA-256 (which releases the GIL)
        and returns it to the free pool. Write before hash, so `hashed <= written` always. A
        checkpoint thread fsyncs every few seconds or DOWNLOAD_CHECKPOINT_BYTES without stopping
        the writer: the durable offset is the write position taken before the fsync began.
        """
        free: queue_module.Queue = queue_module.Queue()
        for _ in range(BUFFER_COUNT):
            free.put(bytearray(BUFFER_SIZE))
        to_write: queue_module.Queue = queue_module.Queue()
        to_hash: queue_module.Queue = queue_module.Queue()
        failure: list[BaseException] = []
        checkpoint_seconds = _setting("DOWNLOAD_CHECKPOINT_SECONDS", 10)
        # Small checkpoints keep the page cache's dirty data small: writeback overlaps the transfer
        # instead of piling up for the final fsync (bench/transfer.py: 32 MiB ~1.2x faster than 256).
        checkpoint_bytes = _setting("DOWNLOAD_CHECKPOINT_BYTES", 32 << 20)
        written_event = threading.Event()
        pumping = threading.Event()
        pumping.set()

        def fail(exc: BaseException) -> None:
            if not failure:
                failure.append(exc)
            self.abort_streams()

        def writer() -> None:
            pos = st.written
            while True:
                item = to_write.get()
                if item is None:
                    to_hash.put(None)
                    return
                buf, n = item
                if failure:
                    free.put(buf)
                    continue
                done = 0
                try:
                    with memoryview(buf) as view:
                        while done < n:  # short writes happen (a filling disk writes what fits)
                            done += os.pwrite(fd, view[done:n], pos + done)
                except OSError as exc:
                    fail(exc)  # the bytes that did reach the file still count, for the resume
                pos += done
                st.written = pos
                written_event.set()
                if done:
                    to_hash.put((buf, done))
                else:
                    free.put(buf)

        def hasher() -> None:
            while True:
                item = to_hash.get()
                if item is None:
                    return
                buf, n = item
                with memoryview(buf) as view:
                    st.hasher.update(view[:n])
                st.hashed += n
                free.put(buf)

        def checkpointer() -> None:
            last_t, last_pos = time.monotonic(), st.durable
            while pumping.is_set():
                written_event.wait(0.2)
                written_event.clear()
                pos = st.written
                if pos > last_pos and (pos - last_pos >= checkpoint_bytes
                                       or time.monotonic() - last_t >= checkpoint_seconds):
                    try:
                        os.fsync(fd)
                    except OSError as exc:
                        fail(exc)
                        return
                    st.durable = max(st.durable, pos)
                    _drop_cached(fd, last_pos, pos - last_pos)
                    last_t, last_pos = time.monotonic(), pos

        name = f"download-{self.job.pk}"
        threads = [threading.Thread(target=writer, name=f"{name}-writer", daemon=True),
                   threading.Thread(target=hasher, name=f"{name}-hasher", daemon=True)]
        syncer = threading.Thread(target=checkpointer, name=f"{name}-checkpoint", daemon=True)
        for thread in (*threads, syncer):
            thread.start()
        remaining = size - st.written
        body = _BodyReader(response, remaining)
        error: BaseException | None = None
        try:
            while remaining > 0 and not failure and not self.stop_event.is_set():
                buf = _take(free, threads)
                filled, end = 0, False
                limit = min(len(buf), remaining)
                handoff = time.monotonic() + HANDOFF_SECONDS
                try:
                    with memoryview(buf) as view:
                        while filled < limit:
                            n = body.readinto(view[filled:limit])
                            if not n:
                                end = True
                                break
                            filled += n
                            self.received += n
                            if time.monotonic() >= handoff:
                                break
                finally:  # hand on what arrived, even when the connection broke mid-buffer
                    if filled:
                        remaining -= filled
                        to_write.put((buf, filled))
                    else:
                        free.put(buf)
                if end:
                    break
            if remaining == 0 and body.overflow():
                raise TransferError("size_mismatch", code="size_mismatch", expected=size,
                                    actual=size + body.overflow())
        except TransferError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - connection reset, protocol error, shutdown by watchdog
            error = exc
        finally:
            to_write.put(None)
            for thread in threads:
                thread.join()
            pumping.clear()
            written_event.set()
            syncer.join()
            try:  # what did reach the file is kept for the resume (e.g. after ENOSPC)
                os.fsync(fd)
                st.durable = st.written
                _drop_cached(fd, 0, st.written)
            except OSError as exc:
                if not failure:
                    failure.append(exc)
        if failure:
            exc = failure[0]
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFull("disk_full", free=disk.free_bytes()) from exc
            raise Fatal("write_failed", code="upstream_unavailable", reason=str(exc)) from exc
        self.check_stop()
        if self.stalled:
            raise Stalled("stalled") from error
        if isinstance(error, TransferError):
            raise error
        if error is not None:
            raise TransferError("connection", reason=type(error).__name__) from error

    def _transfer_parallel(self, st: FileState, remote: Remote, connections: int) -> None:
        """Several Range connections into one sparse partial; the prefix is hashed as it fills.

        Hash choice: a hasher thread reads back [hashed, contiguous prefix) from the file while it
        is still in the page cache; no buffer is held for out-of-order segments (memory stays
        flat), and at the end only the tail after the last slow segment is left to hash.
        """
        size = remote.size
        if st.segments is None:
            step = -(-size // connections)
            st.segments = [{"start": s, "end": min(s + step, size), "pos": s} for s in range(0, size, step)]
            st.durable_segments = [dict(s) for s in st.segments]
            # Recorded before the sparse file exists, so a crash never leaves a full-length
            # partial that looks like a finished single-stream download.
            self._set_job(segments=st.durable_segments, offset=0)
        fd = os.open(st.part, os.O_RDWR | os.O_CREAT, 0o644)
        failures: list[BaseException] = []
        finished = threading.Event()
        fatal = threading.Event()
        workers: list[threading.Thread] = []
        hash_thread: threading.Thread | None = None
        try:
            if os.fstat(fd).st_size < size:
                os.ftruncate(fd, size)  # sparse: no bytes written yet
            self.stream_started = time.monotonic()

            def segment_worker(seg: dict) -> None:
                response = None
                try:
                    response = self._open(remote, seg["pos"], seg["end"] - 1)
                    self._track(response)
                    if response.status_code == 200:
                        raise RangeIgnored("range_ignored")
                    self._check_content_range(response, seg["pos"], size)
                    body = _BodyReader(response, seg["end"] - seg["pos"])
                    with memoryview(bytearray(READ_SIZE)) as buf:
                        while seg["pos"] < seg["end"] and not fatal.is_set() and not self.stop_event.is_set():
                            n = body.readinto(buf[:min(READ_SIZE, seg["end"] - seg["pos"])])
                            if not n:
                                raise TransferError("short_body", expected=seg["end"], actual=seg["pos"])
                            _write_all(fd, buf[:n], seg["pos"])
                            seg["pos"] += n
                            self.received += n
                except BaseException as exc:  # noqa: BLE001 - reported to the main thread
                    failures.append(exc)
                    # A dropped segment leaves the others running (their bytes are not wasted);
                    # a fatal error, a full disk or no Range support stops them all.
                    if not _only_this_segment(exc):
                        fatal.set()
                        self.abort_streams()
                finally:
                    if response is not None:
                        self._untrack(response)
                    connection.close()  # the hub-health checks opened this thread's own connection

            def hasher() -> None:
                try:
                    with memoryview(bytearray(HASH_READ_SIZE)) as buf:
                        while not fatal.is_set() and not self.stop_event.is_set():  # else it goes on later
                            prefix = self._contiguous(st)
                            if st.hashed < prefix:
                                n = os.preadv(fd, [buf[:min(HASH_READ_SIZE, prefix - st.hashed)]], st.hashed)
                                st.hasher.update(buf[:n])
                                st.hashed += n
                            elif finished.is_set():
                                return
                            else:
                                finished.wait(0.05)
                except OSError as exc:
                    failures.append(exc)

            def checkpoint() -> bool:
                try:
                    self._checkpoint_segments(fd, st)
                    return True
                except OSError as exc:  # EIO, or a full disk noticed only at fsync (NFS): stop every range
                    failures.append(exc)
                    fatal.set()
                    self.abort_streams()
                    return False

            workers = [threading.Thread(target=segment_worker, args=(seg,), daemon=True)
                       for seg in st.segments if seg["pos"] < seg["end"]]
            hash_thread = threading.Thread(target=hasher, daemon=True)
            hash_thread.start()
            for worker in workers:
                worker.start()
            checkpoint_seconds = _setting("DOWNLOAD_CHECKPOINT_SECONDS", 10)
            checkpoint_bytes = _setting("DOWNLOAD_CHECKPOINT_BYTES", 32 << 20)  # as in _pump: writeback overlaps
            last_sync, last_received = time.monotonic(), self.received
            while alive := [w for w in workers if w.is_alive()]:
                alive[0].join(timeout=0.05)
                if (time.monotonic() - last_sync >= checkpoint_seconds
                        or self.received - last_received >= checkpoint_bytes):
                    last_received = self.received
                    if not checkpoint():
                        break
                    last_sync = time.monotonic()
            finished.set()
            hash_thread.join()
            if not fatal.is_set():
                checkpoint()
        finally:
            # No thread may outlive the descriptor: a write to a closed (and reused) number could
            # land in another file. Whatever ended this loop early, stop the ranges and wait.
            finished.set()
            if any(worker.is_alive() for worker in workers):
                fatal.set()
                self.abort_streams()
            for thread in (*workers, *([hash_thread] if hash_thread else [])):
                thread.join()
            os.close(fd)
        if failures:
            exc = failures[0]
            if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFull("disk_full", free=disk.free_bytes()) from exc
            self.check_stop()
            if self.stalled:
                raise Stalled("stalled") from exc
            if isinstance(exc, (TransferError, RangeIgnored)):
                raise exc
            raise TransferError("connection", reason=type(exc).__name__) from exc
        self.check_stop()
        st.written = size
        st.durable = size

    @staticmethod
    def _contiguous(st: FileState) -> int:
        for seg in st.segments:
            if seg["pos"] < seg["end"]:
                return seg["pos"]
        return st.segments[-1]["end"] if st.segments else 0

    @staticmethod
    def _checkpoint_segments(fd: int, st: FileState) -> None:
        snapshot = [dict(s) for s in st.segments]  # positions first, then fsync: never ahead of disk
        hashed = st.hashed  # the hasher reads back from the page cache: keep what it has not read
        os.fsync(fd)
        st.durable_segments = snapshot
        _drop_cached(fd, 0, hashed)

    # -- resume state, finish, quarantine --
    def _restore(self, st: FileState) -> None:
        """Continue a partial left by an earlier run: trust min(recorded offset, file length)."""
        job = self.job
        if not st.part.exists():
            return
        length = st.part.stat().st_size
        if job.segments and job.current_file == st.entry["path"]:
            st.segments = [dict(s) for s in job.segments]
            st.durable_segments = [dict(s) for s in job.segments]
            if length < st.entry.get("size", 0):
                st.reset()
                st.part.unlink()
            return
        if length == st.entry.get("size") and length:
            return  # full length: hashed and promoted by the caller
        offset = min(job.offset if job.current_file == st.entry["path"] else 0, length)
        if offset < length:
            with open(st.part, "r+b") as fh:
                fh.truncate(offset)
        self._hash_from_disk(st, offset)
        st.written = st.durable = offset
        log.info("job %s: resuming %s at byte %s", job.pk, st.entry["path"], offset)

    def _hash_from_disk(self, st: FileState, upto: int) -> None:
        st.hasher = hashlib.sha256()
        st.hashed = 0
        with open(st.part, "rb") as fh:
            while st.hashed < upto:
                self.check_stop()
                data = fh.read(min(HASH_READ_SIZE, upto - st.hashed))
                if not data:
                    break
                st.hasher.update(data)
                st.hashed += len(data)

    def _finish(self, st: FileState) -> None:
        entry = st.entry
        self.status = DownloadJob.Status.VERIFYING
        size = entry["size"]
        if size == 0 and _known_empty(entry) and not st.part.exists():
            st.part.touch()  # an empty file of a whole repository (__init__.py, .gitkeep)
        actual_size = st.part.stat().st_size
        if actual_size != size:
            st.part.unlink()
            st.reset()
            raise TransferError("size_mismatch", code="size_mismatch", expected=size, actual=actual_size)
        if st.hashed < size:  # parallel hasher interrupted, or a resumed full file
            self._hash_from_disk(st, size)
        digest = st.hasher.hexdigest()
        expected = (entry.get("sha256") or "").lower()
        if expected and digest != expected:
            raise ChecksumMismatch("checksum_mismatch", expected=expected, actual=digest, path=entry["path"])
        if not expected and entry.get("blob_id"):
            # A small regular file (config.json, tokenizer.json): the Hub gives no SHA-256, only the
            # git blob id, sha1(b"blob <size>\0" + content). Small, so read back once more.
            blob = _git_blob_sha1(st.part, size)
            if blob != entry["blob_id"].lower():
                raise ChecksumMismatch("blob_mismatch", expected=entry["blob_id"], actual=blob, path=entry["path"])
        fd = os.open(st.part, os.O_RDONLY)
        try:
            os.fchmod(fd, disk.FILE_MODE)  # 0o644 whatever the umask (or an earlier run) left
            os.fsync(fd)
        finally:
            os.close(fd)
        if self.job.update_policy and len(self.job.files) > 1:
            # An update of several files (a split set) swaps them in together once every one is
            # verified (_place_pending): a failed or cancelled update leaves the whole old set.
            entry["pending_rename"] = True
        else:
            self._place(entry, st.rel)
        entry["sha256"] = digest
        entry["done"] = True
        entry["rel"] = st.rel
        self.status = DownloadJob.Status.DOWNLOADING
        self.notice = None

    def _place(self, entry: dict, rel: str) -> None:
        """Rename a verified `<rel>.part` onto `rel`."""
        final = disk.safe_path(rel)
        if self.job.update_policy:  # keep / archive: the old file moves aside first (downloads.updates)
            from downloads import updates

            updates.before_final_rename(self.job, entry, rel)
            if entry.get("moved_aside"):  # saved first: a crash before the rename must not lose where it went
                self._set_job(files=self.job.files)
        os.replace(disk.safe_path(rel + ".part"), final)  # atomic: the final path only ever holds a verified file
        disk.fsync_dir(final.parent)

    def _place_pending(self) -> None:
        for entry in self.job.files:
            if not entry.get("pending_rename"):
                continue
            if disk.safe_path(entry["rel"] + ".part").exists():  # else placed before a crash
                self._place(entry, entry["rel"])
            del entry["pending_rename"]
            self._set_job(files=self.job.files)

    def _quarantine(self, st: FileState, mismatch: ChecksumMismatch) -> None:
        from storage.models import LocalFile

        if st.part.exists():
            # Named by its hash: two identical bad copies (the same flipped byte twice) are one file.
            target = st.part.with_name(f"{st.final.name}.corrupt-{mismatch.params.get('actual', 'x')[:12]}")
            os.replace(st.part, target)
            LocalFile.objects.update_or_create(
                path=disk.relative_to_models(target),
                defaults={"kind": LocalFile.Kind.QUARANTINED, "size": target.stat().st_size,
                          "sha256": mismatch.params.get("actual", ""), "variant": self.job.variant,
                          "source": self.job.source},
            )
        st.reset()
        self.job.segments, self.job.offset = [], 0
        self._set_job(offset=0, segments=[])

    def _discard(self, st: FileState) -> None:
        st.part.unlink(missing_ok=True)
        st.reset()
        # Forget the old identity: the next describe adopts the source's current one.
        st.entry.pop("etag", None)
        st.entry.pop("sha256", None)
        st.entry.pop("blob_id", None)
        self.job.segments, self.job.offset = [], 0
        self._set_job(offset=0, segments=[], files=self.job.files)

    def _backoff(self, error: TransferError, attempt: int) -> None:
        self.stream_started = None  # no stream while waiting: the stall watchdog rests
        limit = _setting("DOWNLOAD_MAX_ATTEMPTS", 6)
        if attempt > limit:
            raise Fatal(error.key, code=error.code if error.code != "stalled" else "upstream_unavailable",
                        attempts=attempt - 1, **error.params)
        base = _setting("DOWNLOAD_RETRY_BASE_SECONDS", 2.0)
        delay = min(60.0, base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
        if error.retry_after is not None:
            delay = max(delay, error.retry_after)
        if delay > _setting("DOWNLOAD_MAX_WAIT_SECONDS", 300):
            raise Deferred(delay, error)
        log.warning("job %s: %s; retrying in %.1f s (attempt %s)", self.job.pk, error, delay, attempt)
        key = {"stalled": "retrying_stalled", "rate_limited": "retrying_rate_limited"}.get(error.code, "retrying")
        details = {"key": key, "seconds": max(1, round(delay)), "reason": error.key}
        self.notice = {
            "error_code": error.code,
            "error": DownloadJob.render_error(details, english=True),
            "error_details": details,
            "retry_at": timezone.now() + timedelta(seconds=delay),
        }
        self._set_job(**self.notice)
        self.stop_event.wait(delay)
        self.check_stop()
        self.notice = {"error_code": "", "error": "", "error_details": {}, "retry_at": None}

    # -- end states --
    def _complete(self) -> None:
        from downloads import queue

        _with_db_retry(queue.complete, self.job, self.owner)

    def _durable_fields(self) -> dict:
        st = self.state
        if st is None:
            return {}
        if st.durable_segments is not None:
            return {"segments": st.durable_segments, "offset": 0}
        return {"offset": st.durable, "segments": []}

    def _fail(self, error: TransferError) -> str:
        log.error("job %s failed: %s", self.job.pk, error)
        details = {"key": error.key, **{k: str(v) for k, v in error.params.items()}}
        self._set_job(
            **self._durable_fields(),
            status=DownloadJob.Status.FAILED, error_code=error.code,
            error=DownloadJob.render_error(details, english=True), error_details=details,
            finished_at=timezone.now(), speed_bps=0, eta_seconds=None, retry_at=None,
            bytes_done=self.bytes_done(), lease_owner="", lease_expires_at=None,
        )
        signals.send_finished(self.job.pk)
        return "failed"

    def _defer(self, deferred: Deferred) -> str:
        retry_at = timezone.now() + timedelta(seconds=deferred.seconds)
        key = "hub_down" if deferred.error.key == "hub_down" else "deferred"
        details = {"key": key, "seconds": round(deferred.seconds)}
        self._set_job(
            **self._durable_fields(),
            status=DownloadJob.Status.QUEUED, error_code=deferred.error.code,
            error=DownloadJob.render_error(details, english=True), error_details=details, retry_at=retry_at,
            speed_bps=0, eta_seconds=None, lease_owner="", lease_expires_at=None,
        )
        return "deferred"

    def _stopped(self, reason: str) -> str:
        from downloads import queue

        if reason == "lease_lost":
            return "lease_lost"
        if reason == "pause":
            self._set_job(**self._durable_fields(), status=DownloadJob.Status.PAUSED, pause_requested=False, speed_bps=0,
                          eta_seconds=None, bytes_done=self.bytes_done(), lease_owner="", lease_expires_at=None)
            return "paused"
        self._set_job(status=DownloadJob.Status.CANCELLED, cancel_requested=False, error_code="cancelled",
                      error="", speed_bps=0, eta_seconds=None, finished_at=timezone.now(),
                      lease_owner="", lease_expires_at=None)
        self.job.refresh_from_db()
        queue.discard_partials(self.job)
        return "cancelled"


def _known_empty(entry: dict) -> bool:
    """The hub listed this file as empty (size 0 with a git blob id), so 0 bytes is its real size."""
    return entry.get("size") == 0 and bool(entry.get("blob_id"))


def _git_blob_sha1(path: Path, size: int) -> str:
    digest = hashlib.sha1(b"blob %d\0" % size)  # noqa: S324 - git's object id, not a security hash
    with open(path, "rb") as fh:
        while data := fh.read(HASH_READ_SIZE):
            digest.update(data)
    return digest.hexdigest()


def _only_this_segment(exc: BaseException) -> bool:
    """Errors that end one connection only (reset, early close, timeout, 5xx)."""
    if isinstance(exc, (RangeIgnored, RemoteChanged, UrlExpired)):
        return False
    if isinstance(exc, TransferError):
        return exc.retryable
    if isinstance(exc, OSError):
        return exc.errno not in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException))


def _hub_token(source: str) -> str:
    from modella.models import hub_token

    return hub_token(source)
