"""Uploads: model files sent from the user's computer into the library, in resumable chunks.

The protocol (API.md "Uploads") is a small tus-like one: `start` records the name and size and
creates an empty partial file in a hidden folder of the models directory
(`.modella-uploads/<id>.part`, which scans skip); `receive` appends one chunk that must start at the
upload's current offset; when the offset reaches the size the file is finished: checked against
the SHA-256 the client announced (if any), moved atomically to `uploads/<name>` (never replacing a
file: a `-1`, `-2`... suffix is added) and imported like a scanned file (LocalFile row, header
probe, identification on Civitai). The no-JavaScript form posts ordinary multipart data; its
`FormFileHandler` streams each file into the same hidden folder and ends in the same `finish_file`.

Durability: a chunk's bytes are fsynced before the offset is recorded, so the recorded offset never
claims bytes that are not on disk. Bytes beyond it (a crash between the two) are cut off by the
next chunk. A connection that drops mid-chunk keeps what arrived: the offset moves to it.

Hashing: SHA-256 is computed incrementally while the bytes arrive. Python's hash objects cannot be
saved to the database, so the running hasher stays in this process's memory (keyed by upload id,
with the offset it covers). When the next chunk reaches another process, or after a restart, the
hasher is rebuilt by reading the bytes already on disk once; in the common case (one web process)
the finished file is never read again.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import posixpath
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modella.errors import AlreadyExists, InsufficientStorage, InvalidInput, ModellaError, NotFound
from storage import disk, identify, scan
from storage.models import MODEL_EXTENSIONS, LocalFile, Upload, links_hook

log = logging.getLogger(__name__)

PARTIALS_DIR = ".modella-uploads"  # hidden: scans skip names that start with a dot
UPLOADS_DIR = "uploads"
READ_BLOCK = 1024 * 1024
STALE_SECONDS = 24 * 3600  # orphaned partials (a form upload cut off by a crash) older than this go


class OffsetMismatch(ModellaError):
    code, status = "offset_mismatch", 409
    default_message = gettext_lazy("This chunk does not start where the upload stands; continue from the offset given.")


class UploadBusy(ModellaError):
    code, status = "upload_busy", 409
    default_message = gettext_lazy("Another chunk of this upload is being received right now; try again in a moment.")


class ChecksumMismatch(ModellaError):
    code, status = "checksum_mismatch", 400
    default_message = gettext_lazy("The uploaded file's SHA-256 differs from the one announced; the file was discarded.")


# --- names and space -----------------------------------------------------------------------------


def accepted_extensions() -> str:
    return ", ".join(MODEL_EXTENSIONS)


def clean_name(filename: str) -> str:
    """The name the uploaded file will get, or InvalidInput for anything that is not a model file."""
    name = disk.sanitize_filename(filename or "", default="")
    if not name or not scan.is_model_file(name):
        raise InvalidInput(
            _("“%(name)s” is not a model file. Modella accepts %(extensions)s files.")
            % {"name": (filename or "")[:200], "extensions": accepted_extensions()},
            details={"filename": (filename or "")[:200], "accepted": list(MODEL_EXTENSIONS)},
        )
    return name


def check_size(size: int) -> None:
    if size > settings.UPLOAD_MAX_BYTES:
        raise InvalidInput(
            _("This file is larger than the %(limit)s bytes an upload may have (MODELLA_UPLOAD_MAX_BYTES).")
            % {"limit": settings.UPLOAD_MAX_BYTES},
            details={"size": size, "max_bytes": settings.UPLOAD_MAX_BYTES},
        )


def pending_bytes(exclude: Upload | None = None) -> int:
    """Bytes still to arrive for unfinished uploads (they will need the space too)."""
    rows = Upload.objects.unfinished().exclude(pk=getattr(exclude, "pk", None)).values_list("size", "offset")
    return sum(max(0, size - offset) for size, offset in rows)


def check_space(needed: int, exclude: Upload | None = None) -> None:
    """Refuse an upload that would not fit: free space minus queued downloads, unfinished uploads
    and the reserve. The details have the shape modella.responses.refusal_text reads."""
    from downloads.queue import queued_bytes

    free = disk.free_bytes()
    queued = queued_bytes() + pending_bytes(exclude)
    reserve = settings.STORAGE_RESERVE_BYTES
    available = max(0, free - queued - reserve)
    if needed > available:
        raise InsufficientStorage(
            _("Not enough free space: this upload needs %(needed)s bytes, but only %(available)s are available "
              "(%(free)s free, %(queued)s still to come for downloads and other uploads, %(reserve)s kept in "
              "reserve).")
            % {"needed": needed, "available": available, "free": free, "queued": queued, "reserve": reserve},
            details={"required_bytes": needed, "available_bytes": available, "free_bytes": free,
                     "queued_bytes": queued, "reserve_bytes": reserve},
        )


def partials_dir() -> Path:
    path = disk.safe_path(PARTIALS_DIR)
    disk.make_dirs(path)
    return path


def partial_relative(upload: Upload) -> str:
    return f"{PARTIALS_DIR}/{upload.pk}.part"


# --- the running hashers -------------------------------------------------------------------------
# upload id -> (offset covered, hasher). A request takes its upload's hasher out while it writes and
# puts it back with the new offset only when the chunk is on disk: an error halfway leaves nothing
# stale behind (the next chunk rebuilds it from the file).
_hashers: OrderedDict = OrderedDict()
_hashers_lock = threading.Lock()
MAX_HASHERS = 64


def _take_hasher(upload: Upload, fh, offset: int):
    with _hashers_lock:
        covered, hasher = _hashers.pop(upload.pk, (None, None))
    if hasher is None or covered > offset:
        hasher, covered = hashlib.sha256(), 0
    if covered < offset:  # another process took the earlier chunks, or this one restarted
        fh.seek(covered)
        remaining = offset - covered
        while remaining and (block := fh.read(min(READ_BLOCK, remaining))):
            hasher.update(block)
            remaining -= len(block)
    return hasher


def _keep_hasher(upload: Upload, offset: int, hasher) -> None:
    with _hashers_lock:
        _hashers[upload.pk] = (offset, hasher)
        while len(_hashers) > MAX_HASHERS:
            _hashers.popitem(last=False)


def _drop_hasher(upload: Upload) -> None:
    with _hashers_lock:
        _hashers.pop(upload.pk, None)


# --- the protocol --------------------------------------------------------------------------------


def start(user, filename: str, size: int, sha256: str = "") -> Upload:
    """Record a new upload and create its empty partial file. Raises InvalidInput (name, size),
    AlreadyExists (a file with the announced SHA-256 is in the library) or InsufficientStorage."""
    name = clean_name(filename)
    if size < 1:
        raise InvalidInput(_("The file is empty."), details={"size": size})
    check_size(size)
    sha256 = (sha256 or "").lower()
    if sha256:
        existing = LocalFile.objects.model_files().filter(sha256=sha256).first()
        if existing is not None:
            raise AlreadyExists(
                _("This file is already in the library as %(path)s.") % {"path": existing.path},
                details={"path": existing.path, "local_file": existing.pk},
            )
    check_space(size)
    discard_stale_partials()
    upload = Upload.objects.create(user=user, filename=name, size=size, expected_sha256=sha256)
    fd = os.open(partials_dir() / f"{upload.pk}.part", os.O_WRONLY | os.O_CREAT | os.O_EXCL, disk.FILE_MODE)
    os.fchmod(fd, disk.FILE_MODE)  # whatever the umask says
    os.close(fd)
    return upload


def receive(upload: Upload, offset: int, stream, length: int) -> Upload:
    """Write one chunk of `length` bytes read from `stream` at `offset`.

    Raises OffsetMismatch (409, details.offset: where to continue), UploadBusy (409: another chunk
    of this upload is being written), InvalidInput, InsufficientStorage, NotFound (cancelled) or
    ChecksumMismatch (on the last chunk). A stream that ends early is not an error: the bytes that
    arrived are kept and the offset moves to them.
    """
    if upload.status == Upload.Status.COMPLETED:
        raise OffsetMismatch(details={"offset": upload.size})
    if upload.status == Upload.Status.FAILED:
        raise InvalidInput(_("This upload failed (%(error)s); start it again.") % {"error": upload.error})
    if offset < 0 or length < 0 or offset + length > upload.size:
        raise InvalidInput(
            _("This chunk would end at byte %(end)s, past the file's size of %(size)s bytes.")
            % {"end": offset + length, "size": upload.size},
            details={"offset": offset, "length": length, "size": upload.size},
        )
    try:
        fh = open(disk.safe_path(partial_relative(upload)), "r+b")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        raise NotFound(_("This upload was cancelled.")) from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # one writer per upload, across processes
        except BlockingIOError:
            raise UploadBusy(details={"offset": upload.offset}) from None
        try:
            upload.refresh_from_db()  # the offset as the previous writer left it
        except Upload.DoesNotExist:
            raise NotFound(_("This upload was cancelled.")) from None
        if upload.status != Upload.Status.UPLOADING or offset != upload.offset:
            raise OffsetMismatch(details={"offset": upload.offset})
        if length > max(0, disk.free_bytes() - settings.STORAGE_RESERVE_BYTES):
            check_space(length, exclude=upload)  # raises with the full explanation
        hasher = _take_hasher(upload, fh, offset)
        fh.truncate(offset)  # bytes past the recorded offset were never acknowledged
        fh.seek(offset)
        received = 0
        while received < length:
            try:
                block = stream.read(min(READ_BLOCK, length - received))
            except (OSError, ValueError):  # the client went away mid-chunk: keep what arrived
                block = b""
            if not block:
                break
            fh.write(block)
            hasher.update(block)
            received += len(block)
        fh.flush()
        os.fsync(fh.fileno())  # on disk before the offset says so
        new_offset = offset + received
        if not Upload.objects.filter(pk=upload.pk, status=Upload.Status.UPLOADING).update(offset=new_offset):
            raise NotFound(_("This upload was cancelled."))
        upload.offset = new_offset
        if new_offset < upload.size:
            _keep_hasher(upload, new_offset, hasher)
            return upload
        _finish(upload, hasher.hexdigest())
    return upload


def _finish(upload: Upload, sha256: str) -> None:
    _drop_hasher(upload)
    if upload.expected_sha256 and upload.expected_sha256 != sha256:
        disk.delete(partial_relative(upload))
        error = ChecksumMismatch(details={"expected": upload.expected_sha256, "actual": sha256})
        upload.status, upload.error_code, upload.error, upload.sha256 = (
            Upload.Status.FAILED, error.code, str(error.message), sha256)
        upload.save(update_fields=["status", "error_code", "error", "sha256", "updated_at"])
        raise error
    local = finish_file(partial_relative(upload), upload.filename, sha256)
    upload.status, upload.sha256, upload.path, upload.local_file = (
        Upload.Status.COMPLETED, sha256, local.path, local)
    upload.save(update_fields=["status", "sha256", "path", "local_file", "updated_at"])


def cancel(upload: Upload) -> None:
    """Forget an upload; an unfinished one's partial file is removed (a finished file stays).
    Raises UploadBusy while a chunk is being received: cancelling under a finishing chunk would
    delete the row that chunk is about to complete."""
    if upload.status == Upload.Status.UPLOADING:
        try:
            fh = open(disk.safe_path(partial_relative(upload)), "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            fh = None
        if fh is not None:
            with fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise UploadBusy(details={"offset": upload.offset}) from None
                disk.delete(partial_relative(upload))
                _drop_hasher(upload)
                upload.delete()  # under the lock: a waiting chunk then finds no upload
            return
    _drop_hasher(upload)
    upload.delete()


# --- finishing: place the file and import it like a scanned one ----------------------------------


def place(partial: str, filename: str) -> str:
    """Move a finished partial file to uploads/<filename> atomically without replacing any file;
    returns its path relative to the models directory."""
    stem, ext = posixpath.splitext(filename)
    for attempt in range(1000):
        # Shorten the stem for the suffix: a name at the length limit would otherwise be trimmed
        # back to itself and collide on every attempt.
        suffix = f"-{attempt}{ext}"
        short = stem.encode("utf-8")[: disk.MAX_COMPONENT_BYTES - len(suffix.encode("utf-8"))].decode("utf-8", "ignore")
        name = filename if attempt == 0 else disk.sanitize_filename(short + suffix)
        try:
            return disk.rename(partial, f"{UPLOADS_DIR}/{name}")
        except FileExistsError:
            continue
    raise InvalidInput(_("Too many files named “%(name)s” exist already.") % {"name": filename})


def finish_file(partial: str, filename: str, sha256: str) -> LocalFile:
    """Place a complete, hashed partial file and add it to the library: a LocalFile row with its
    header read (storage.scan.probe), then identified on Civitai by its hash (storage.identify)."""
    relative = place(partial, filename)
    path = disk.safe_path(relative)
    info = path.stat()
    header = scan.probe(path, scan.ScanResult())
    with transaction.atomic():
        # A row may remain from a file of this name deleted outside Modella: this is the file now.
        local, _created = LocalFile.objects.update_or_create(path=relative, defaults={
            "kind": LocalFile.Kind.MODEL, "size": info.st_size, "mtime": info.st_mtime, "inode": info.st_ino,
            "sha256": sha256, "header": header, "model_type": scan._model_type(header),
            "base_model": str(header.get("base_model") or "")[:300], "variant": None, "source": "local",
            "identified_at": None,
        })
    try:
        identify.identify(local)
    except ModellaError as exc:  # the hub is down or limiting us: the next scan asks again
        log.warning("Civitai lookup failed for uploaded %s: %s", relative, exc)
    links_hook("library_changed")  # like after a scan: the new file goes into the app folders
    try:
        from storage import library

        library.snapshot_after_change()
    except Exception:  # noqa: BLE001 - a missing chart point must not fail a good upload
        log.exception("taking a storage snapshot after an upload failed")
    return local


def discard_stale_partials() -> int:
    """Remove partial files that belong to no unfinished upload and were not touched for a day
    (what a crash in the middle of a form upload leaves behind). Returns how many went."""
    folder = disk.safe_path(PARTIALS_DIR)
    if not folder.is_dir():
        return 0
    live = {f"{pk}.part" for pk in Upload.objects.unfinished().values_list("pk", flat=True)}
    removed = 0
    for entry in os.scandir(folder):
        if entry.name in live or not entry.is_file(follow_symlinks=False):
            continue
        if time.time() - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS:
            disk.delete(f"{PARTIALS_DIR}/{entry.name}")
            removed += 1
    return removed


# --- the no-JavaScript form ----------------------------------------------------------------------


@dataclass
class ReceivedFile:
    """A file field of a form upload, already on disk in the partial folder and hashed."""

    name: str  # the sanitised name
    partial: str  # relative to the models directory
    size: int
    sha256: str


class FormFileHandler(FileUploadHandler):
    """Django upload handler that streams each form file straight into the partial folder (the
    same filesystem as its final place, so finishing is a rename, and no copy in /tmp), hashing on
    the way. Files that are not model files are skipped unread; their names are in `refused`."""

    def __init__(self, request=None):
        super().__init__(request)
        self.refused: list[str] = []
        self.received: list[ReceivedFile] = []
        self._partial = None  # not `file`: Django's parser closes a handler's `file` attribute
        self.hasher = None

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        try:
            self.name = clean_name(file_name)
        except InvalidInput:
            self.refused.append(file_name)
            raise SkipFile() from None
        self._partial = tempfile.NamedTemporaryFile(dir=partials_dir(), prefix="form-", suffix=".part", delete=False)  # noqa: SIM115
        os.fchmod(self._partial.fileno(), disk.FILE_MODE)
        self.hasher = hashlib.sha256()

    def receive_data_chunk(self, raw_data, start):
        self._partial.write(raw_data)
        self.hasher.update(raw_data)
        return None  # consumed: no later handler sees it

    def file_complete(self, file_size):
        self._partial.flush()
        os.fsync(self._partial.fileno())
        self._partial.close()
        received = ReceivedFile(self.name, disk.relative_to_models(Path(self._partial.name).resolve()), file_size,
                                self.hasher.hexdigest())
        self._partial = None
        self.received.append(received)
        return received

    def upload_interrupted(self):
        if self._partial is not None:
            self._partial.close()
            Path(self._partial.name).unlink(missing_ok=True)
            self._partial = None


def finish_form_file(received: ReceivedFile) -> LocalFile:
    if received.size < 1:
        disk.delete(received.partial)
        raise InvalidInput(_("“%(name)s” is empty.") % {"name": received.name})
    return finish_file(received.partial, received.name, received.sha256)
