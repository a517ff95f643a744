"""The models directory on disk: safe paths inside it and free space.

`safe_path` is the one function that turns a relative name into a filesystem path. Every name
that comes from outside (a repository path, a Civitai file name, a Content-Disposition header, a
user's rename) goes through it, so nothing is ever created outside settings.MODELS_DIR.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from modella.errors import InvalidFileName

MAX_COMPONENT_BYTES = 255
# Bidirectional overrides and isolates make "evil\u202egguf.exe" display as "evilexe.fuggf".
_BIDI_CONTROLS = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DRIVE = re.compile(r"^[A-Za-z]:")
# Characters Windows (and Samba shares of the models volume) cannot store in a name.
_RESERVED = re.compile(r'[<>:"|?*\\/]')
# Device names Windows refuses as a file name, with or without an extension ("nul.gguf", "COM1.txt").
_WINDOWS_DEVICE = re.compile(r"^(CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])$", re.IGNORECASE)
FILE_MODE = 0o644  # downloads are readable by the tools that load models, writable by Modella only
DIR_MODE = 0o755


def is_windows_device_name(part: str) -> bool:
    """Whether `part` is a reserved Windows device name, in any case, with any extension."""
    return bool(_WINDOWS_DEVICE.match(part.split(".", 1)[0].rstrip(" ")))


def models_dir() -> Path:
    return Path(settings.MODELS_DIR)


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS


def _refuse(relative: str, reason: str) -> InvalidFileName:
    return InvalidFileName(
        _("The file name “%(name)s” is not allowed: %(reason)s.") % {"name": relative[:300], "reason": reason},
        details={"name": relative[:300], "reason": reason},
    )


def safe_path(relative: str) -> Path:
    """The absolute path of `relative` inside the models directory, or InvalidFileName.

    Refuses `..`, absolute paths, drive letters, backslashes, NUL and control characters,
    bidirectional overrides, components longer than 255 bytes, reserved Windows device names
    (CON, NUL, COM1, LPT1, ... with any extension; MODELLA_WINDOWS_SAFE_NAMES, default on, for a
    models directory shared with Windows), and anything whose resolved path
    (following symlinks that already exist) lies outside the models directory.
    """
    if not isinstance(relative, str) or not relative.strip():
        raise _refuse(str(relative), _("the name is empty"))
    if any(_is_control(c) for c in relative):
        raise _refuse(relative, _("it contains control characters"))
    if relative.startswith(("/", "\\")) or _DRIVE.match(relative):
        raise _refuse(relative, _("it is an absolute path"))
    if "\\" in relative:
        raise _refuse(relative, _("it contains a backslash"))
    parts = relative.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise _refuse(relative, _("it contains an empty, “.” or “..” part"))
        if len(part.encode("utf-8", "surrogatepass")) > MAX_COMPONENT_BYTES:
            raise _refuse(relative, _("a part of it is longer than 255 bytes"))
        if getattr(settings, "WINDOWS_SAFE_NAMES", True) and is_windows_device_name(part):
            raise _refuse(relative, _("it is a name Windows reserves for a device"))
    root = models_dir().resolve()
    path = root.joinpath(*parts)
    # resolve() follows symlinks that exist on the way: a link pointing out of the root is caught.
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        raise _refuse(relative, _("it points outside the models directory"))
    return path


def relative_to_models(path: Path) -> str:
    return Path(path).relative_to(models_dir().resolve()).as_posix()


def sanitize_filename(name: str, default: str = "download") -> str:
    """A safe single file name made from an untrusted one (Content-Disposition, a Civitai name).

    Keeps only the last path component, drops control and bidi characters, replaces characters
    that are reserved on common filesystems, strips leading dots and surrounding spaces, and
    trims to 255 bytes while keeping the extension. The result always passes `safe_path`.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if not _is_control(c))
    name = _DRIVE.sub("", name)
    name = _RESERVED.sub("_", name)
    name = name.strip().lstrip(".").strip()
    name = name.rstrip(". ")
    if not name:
        name = default
    if is_windows_device_name(name):
        name = "_" + name
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_COMPONENT_BYTES:
        stem, dot, ext = name.rpartition(".")
        ext = f".{ext}" if dot and 0 < len(ext.encode()) <= 16 else ""
        budget = MAX_COMPONENT_BYTES - len(ext.encode("utf-8"))
        stem = (stem if ext else name).encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(". ")
        name = (stem or default) + ext
    return name


def make_dirs(path: Path) -> None:
    """Create `path` and its missing parents as 0o755, whatever the process umask says."""
    path = Path(path)
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(directory, DIR_MODE)


def free_bytes() -> int:
    """Free bytes (for an unprivileged user) on the filesystem that holds the models directory."""
    path = models_dir()
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in `path` durable (POSIX needs the directory fsynced)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # pragma: no cover - platforms without directory fds (Windows)
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- Renaming and deleting files the user manages (storage app) ---------------------------------
# Both go through safe_path for the source and the target, so a hostile name or a symlink that
# leads out of the models directory is refused before anything on disk changes.


def rename(relative: str, new_relative: str) -> str:
    """Rename a file inside the models directory without ever replacing another file.

    Returns the new relative path. Raises InvalidFileName for names that leave the directory,
    FileNotFoundError when the source is gone and FileExistsError when the target exists.
    """
    source = safe_path(relative)
    target = safe_path(new_relative)
    if not source.is_file():
        raise FileNotFoundError(relative)
    make_dirs(target.parent)
    # link + unlink is an atomic "rename unless the target exists" (rename() would silently
    # replace a file another download or the user just put there).
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError:  # filesystems without hard links: a check-then-rename is the best we have
        if target.exists():
            raise FileExistsError(new_relative) from None
        os.rename(source, target)
    else:
        os.unlink(source)
    fsync_dir(target.parent)
    if source.parent != target.parent:
        fsync_dir(source.parent)
    return relative_to_models(target.parent.resolve() / target.name)


def delete(relative: str) -> int:
    """Delete one file inside the models directory; returns the bytes freed (0 if it was gone)."""
    import stat

    path = safe_path(relative)
    try:
        info = path.lstat()
    except FileNotFoundError:
        return 0
    is_link = stat.S_ISLNK(info.st_mode)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(relative)
    path.unlink(missing_ok=True)
    # A hard-linked file frees nothing until its last name goes; a symlink frees only itself.
    return 0 if is_link or info.st_nlink > 1 else info.st_size


def usage() -> dict:
    """Disk and library usage, as `GET /api/v1/storage` returns it (see storage.usage)."""
    from storage.usage import usage as _usage  # storage.usage needs the ORM; disk must not

    return _usage()
