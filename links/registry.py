"""Linking library files into app folders: the one place where Modella writes outside the models
directory, so every rule about it lives here.

- A link is a hard link when the model file and the app's folder are on the same filesystem, else
  a symbolic link to the file's absolute path (`AppFolder.link_mode` can force one kind). A file
  is never copied: when no link can be made, the user is told why.
- Nothing at a link path is ever overwritten: a file there that is not ours is a conflict.
- Link paths are built from validated folder templates and sanitised names, and every folder on
  the way is opened with O_NOFOLLOW from the resolved app root: a symlinked subfolder pointing
  elsewhere, `..` or an absolute name cannot lead out of the app's folder (or into the models
  directory).
- A link is removed only when the registry recorded it AND what sits there still is ours: the same
  inode as recorded (hard link) or a symlink to the recorded target. A foreign file is never touched.
"""

from __future__ import annotations

import errno
import logging
import os
import posixpath
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from links.models import AppFolder, Link
from modella.errors import AlreadyExists, InvalidFileName, InvalidInput
from storage import disk
from storage.models import MODEL_EXTENSIONS

log = logging.getLogger(__name__)

# Who may manage app folders: the one place Modella writes outside the models directory, so the
# owner's decision (a staff account), not every account's. Pages and API both refuse with this.
STAFF_ONLY = gettext_lazy("Only an administrator can manage app folders. Ask the owner of this Modella to make "
                          "your account staff in the admin.")

# Modella's model categories, in the order the mapping form shows them.
CATEGORIES = {
    "checkpoint": gettext_lazy("Checkpoints"),
    "diffusion_model": gettext_lazy("Diffusion models (GGUF / UNet)"),
    "lora": gettext_lazy("LoRA, LoCon, DoRA"),
    "vae": gettext_lazy("VAE"),
    "embedding": gettext_lazy("Embeddings (textual inversion)"),
    "controlnet": gettext_lazy("ControlNet"),
    "upscaler": gettext_lazy("Upscalers"),
    "hypernetwork": gettext_lazy("Hypernetworks"),
    "motion": gettext_lazy("Motion modules (AnimateDiff)"),
    "text_encoder": gettext_lazy("Text encoders (CLIP, T5)"),
    "llm": gettext_lazy("Language models (GGUF)"),
    "mmproj": gettext_lazy("Vision projectors (mmproj, GGUF)"),
}
PUBLISHER, REPO = "{publisher}", "{repo}"

_SD_WEBUI = {
    "checkpoint": "models/Stable-diffusion", "lora": "models/Lora", "vae": "models/VAE",
    "embedding": "embeddings", "controlnet": "models/ControlNet", "upscaler": "models/ESRGAN",
    "hypernetwork": "models/hypernetworks",
}
# Each app's own folder layout, relative to the folder the user registers (the app's install
# folder; InvokeAI's root, which holds `autoimport/`; LM Studio's models folder).
DEFAULT_MAPPINGS = {
    AppFolder.Kind.COMFYUI: {
        "checkpoint": "models/checkpoints", "diffusion_model": "models/unet", "lora": "models/loras",
        "vae": "models/vae", "embedding": "models/embeddings", "controlnet": "models/controlnet",
        "upscaler": "models/upscale_models", "hypernetwork": "models/hypernetworks",
        "motion": "models/animatediff_models", "text_encoder": "models/clip",
    },
    AppFolder.Kind.A1111: _SD_WEBUI,
    # Forge also loads GGUF diffusion models beside the checkpoints, and text encoders.
    AppFolder.Kind.FORGE: {**_SD_WEBUI, "diffusion_model": "models/Stable-diffusion",
                           "text_encoder": "models/text_encoder"},
    AppFolder.Kind.INVOKEAI: {
        "checkpoint": "autoimport/main", "lora": "autoimport/lora", "embedding": "autoimport/embedding",
        "controlnet": "autoimport/controlnet", "vae": "autoimport/vae",
    },
    # LM Studio wants <models folder>/<publisher>/<repo>/<file>.gguf; a vision model's projector
    # sits beside its weights.
    AppFolder.Kind.LMSTUDIO: {"llm": f"{PUBLISHER}/{REPO}", "mmproj": f"{PUBLISHER}/{REPO}"},
    AppFolder.Kind.CUSTOM: {},
}

# Model types (Civitai's `type`, the catalog's and the header probe's) -> category.
_TYPE_CATEGORY = {
    "checkpoint": "checkpoint", "lora": "lora", "locon": "lora", "dora": "lora", "lycoris": "lora",
    "textualinversion": "embedding", "embedding": "embedding", "vae": "vae", "controlnet": "controlnet",
    "upscaler": "upscaler", "hypernetwork": "hypernetwork", "motionmodule": "motion", "mmproj": "mmproj",
    "llm": "llm", "textencoder": "text_encoder",
}
# GGUF architectures of image models (city96's ComfyUI-GGUF names) and of text encoders.
DIFFUSION_ARCHITECTURES = {"flux", "sd1", "sdxl", "sd3", "aura", "hidream", "ltxv", "hyvid", "wan", "cosmos",
                           "lumina2", "chroma", "qwen_image"}
TEXT_ENCODER_ARCHITECTURES = {"t5", "t5encoder", "umt5"}
# What counts as a model file when looking for foreign files in an app's folders.
FOREIGN_EXTENSIONS = (*MODEL_EXTENSIONS, ".pth", ".sft", ".onnx")
MAX_ROOT = 1000  # AppFolder.root's length
MAX_FOLDER = 300  # a mapped folder: with two names and a file name it fits Link.link_path
MAX_LINK_PATH = 1000  # Link.link_path's length
MAX_FOREIGN = 500
MAX_WALK = 20000


class UnsafeLinkPath(InvalidInput):
    default_message = gettext_lazy("This link would leave the app's folder.")


def default_mapping(kind: str) -> dict[str, str]:
    given = DEFAULT_MAPPINGS.get(kind, {})
    return {key: given.get(key, "") for key in CATEGORIES}


# --- Validation of what the user enters --------------------------------------------------------


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" or c in disk._BIDI_CONTROLS for c in text)


def clean_root(value: str) -> str:
    """The app's folder as stored: an absolute, existing, writable directory that is neither `/`
    nor inside the models directory. Raises InvalidInput with the reason."""
    value = value.strip() if isinstance(value, str) else ""
    if not value or len(value) > MAX_ROOT:
        raise InvalidInput(_("Enter the app's folder (at most %(max)d characters).") % {"max": MAX_ROOT},
                           details={"field": "root"})
    if _has_control(value) or not os.path.isabs(value):
        raise InvalidInput(_("Enter the app's folder as an absolute path, such as /home/me/ComfyUI."),
                           details={"field": "root"})
    value = os.path.normpath(value)
    resolved = Path(os.path.realpath(value))  # not Path.resolve(): it raises on a symlink loop
    if resolved == Path(resolved.anchor):
        raise InvalidInput(_("The root of the filesystem cannot be an app folder."), details={"field": "root"})
    if not resolved.is_dir():
        raise InvalidInput(_("The folder “%(path)s” does not exist.") % {"path": value}, details={"field": "root"})
    models = disk.models_dir().resolve()
    if resolved == models or models in resolved.parents:
        raise InvalidInput(_("An app folder cannot be inside Modella's models directory."), details={"field": "root"})
    if not os.access(resolved, os.W_OK | os.X_OK):
        raise InvalidInput(_("Modella cannot write to the folder “%(path)s”.") % {"path": value},
                           details={"field": "root"})
    return value


def clean_folder(value: str) -> str:
    """A mapping entry: a relative folder whose parts are plain names or the whole-part
    placeholders {publisher} and {repo}; "" means "not linked"."""
    value = (value or "").strip().rstrip("/")
    if not value:
        return ""
    problem = None
    if len(value) > MAX_FOLDER:
        problem = _("it is longer than %(max)d characters") % {"max": MAX_FOLDER}
    elif _has_control(value) or "\\" in value:
        problem = _("it contains a backslash or control characters")
    elif value.startswith("/") or disk._DRIVE.match(value):
        problem = _("it must be relative to the app's folder")
    else:
        for part in value.split("/"):
            if part in (PUBLISHER, REPO):
                continue
            if part in ("", ".", ".."):
                problem = _("it contains an empty, “.” or “..” part")
            elif "{" in part or "}" in part:
                problem = _("only {publisher} and {repo} may be used, each as a whole folder name")
            elif disk.sanitize_filename(part) != part:
                problem = _("“%(part)s” is not a valid folder name") % {"part": part}
            if problem:
                break
    if problem:
        raise InvalidInput(_("The folder “%(folder)s” is not allowed: %(reason)s.") % {"folder": value,
                                                                                       "reason": problem},
                           details={"folder": value})
    return value


def clean_mapping(mapping, base: dict | None = None) -> dict[str, str]:
    """A full mapping: `base` (every category) updated with the valid entries of `mapping`."""
    if not isinstance(mapping, dict):
        raise InvalidInput(_("The mapping must be an object of model category to folder."))
    unknown = sorted(str(k) for k in mapping if k not in CATEGORIES)
    if unknown:
        raise InvalidInput(_("Unknown model categories: %(names)s. Known: %(known)s.")
                           % {"names": ", ".join(unknown), "known": ", ".join(CATEGORIES)},
                           details={"unknown": unknown})
    result = {key: (base or {}).get(key, "") for key in CATEGORIES}
    for key, value in mapping.items():
        if value is not None and not isinstance(value, str):
            raise InvalidInput(_("The folder for “%(category)s” must be text.") % {"category": key})
        result[key] = clean_folder(value or "")
    return result


def save_app(app: AppFolder | None, data: dict) -> AppFolder:
    """Create (`app` None) or change an app folder from what the user sent (page form or API).

    A new app, or one whose kind changes, starts from that kind's mapping; `mapping` in `data`
    overrides single categories. Moving the root first removes the links under the old one.
    """
    creating = app is None
    app = app or AppFolder()
    if creating or "name" in data:
        name = str(data.get("name") or "").strip()
        if not name or len(name) > 100:
            raise InvalidInput(_("Enter a name of at most 100 characters."), details={"field": "name"})
        if AppFolder.objects.filter(name=name).exclude(pk=app.pk).exists():
            raise AlreadyExists(_("An app folder named “%(name)s” exists already.") % {"name": name},
                                details={"field": "name"})
        app.name = name
    old_kind = app.kind if not creating else None
    if creating or "kind" in data:
        kind = data.get("kind") or AppFolder.Kind.CUSTOM
        if kind not in AppFolder.Kind.values:
            raise InvalidInput(_("Unknown app “%(kind)s”. Known: %(known)s.")
                               % {"kind": kind, "known": ", ".join(AppFolder.Kind.values)}, details={"field": "kind"})
        app.kind = kind
    if creating or app.kind != old_kind:
        base = default_mapping(app.kind)
    else:
        base = {**default_mapping(""), **(app.mapping or {})}
    app.mapping = clean_mapping(data.get("mapping") or {}, base)
    if "link_mode" in data or creating:
        mode = data.get("link_mode") or AppFolder.LinkMode.AUTO
        if mode not in AppFolder.LinkMode.values:
            raise InvalidInput(_("Unknown link mode “%(mode)s”. Known: %(known)s.")
                               % {"mode": mode, "known": ", ".join(AppFolder.LinkMode.values)},
                               details={"field": "link_mode"})
        app.link_mode = mode
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            raise InvalidInput(_("“enabled” must be true or false."), details={"field": "enabled"})
        app.enabled = data["enabled"]
    if creating or "root" in data:
        root = clean_root(data.get("root"))
        if not creating and root != app.root:
            unlink_all(app)  # the registry's paths are relative to the old root
        app.root = root
    app.save()
    return app


# --- Which library file goes where -------------------------------------------------------------


def category_of(model_type: str, path: str, architecture: str = "", repo_filename: str = "") -> str | None:
    """The category of a model file, or None when no app folder takes it."""
    is_gguf = path.lower().endswith(".gguf")
    category = _TYPE_CATEGORY.get(re.sub(r"[^a-z]", "", (model_type or "").lower()))
    if category is None and is_gguf:
        category = "llm"  # GGUF files without a known type are language models (HF pipeline tags)
    if is_gguf and category in ("llm", "checkpoint"):
        arch = (architecture or "").lower()
        if category == "checkpoint" or arch in DIFFUSION_ARCHITECTURES:
            return "diffusion_model"
        if arch in TEXT_ENCODER_ARCHITECTURES:
            return "text_encoder"
    if category in ("llm", "mmproj") and not is_gguf:
        return None  # LM Studio loads GGUF; transformers weights are not a file an app can load alone
    if "/" in repo_filename and posixpath.basename(repo_filename).startswith(("diffusion_pytorch_model", "model.")):
        return None  # one file of a diffusers/transformers folder layout: useless without its folder
    return category


@dataclass
class LinkSource:
    """A library model as the linker sees it: its files and where they belong."""

    paths: list[str]
    category: str | None
    publisher: str
    repo: str


def source_for_entry(entry) -> LinkSource:
    """A storage.usage.Entry (a downloaded variant or an imported file, split sets whole)."""
    header = entry.header or {}
    category = category_of(entry.model_type, entry.paths[0], str(header.get("architecture") or ""), entry.name)
    if entry.source == "huggingface" and "/" in entry.repository:
        publisher, repo = entry.repository.split("/", 1)
    elif entry.source == "civitai":
        publisher, repo = "civitai", entry.repository.split(":", 1)[-1]
    else:
        folder = posixpath.basename(entry.repository) if entry.repository not in ("", ".") else ""
        publisher, repo = "local", folder or posixpath.splitext(posixpath.basename(entry.paths[0]))[0]
    return LinkSource(paths=list(entry.paths), category=category, publisher=publisher, repo=repo)


def library_sources(paths: set[str] | None = None) -> list[LinkSource]:
    """Every model in the library (or those with a file among `paths`)."""
    from storage.usage import known_entries

    entries = known_entries()
    if paths is not None:
        entries = [e for e in entries if paths.intersection(e.paths)]
    return [source_for_entry(e) for e in entries]


@dataclass
class Planned:
    source_path: str
    link_path: str
    own_dirs: int


def plan(app: AppFolder, source: LinkSource) -> list[Planned]:
    """Where each file of `source` is linked in `app` ([] when its category is not mapped)."""
    template = (app.mapping or {}).get(source.category or "", "")
    if not template:
        return []
    folder, own_dirs = [], 0
    for part in clean_folder(template).split("/"):
        if part in (PUBLISHER, REPO):
            own_dirs = own_dirs or len(template.split("/")) - len(folder)
            value = source.publisher if part == PUBLISHER else source.repo
            part = disk.sanitize_filename(value, default="unknown")
        folder.append(part)
    return [Planned(path, "/".join([*folder, disk.sanitize_filename(posixpath.basename(path))]), own_dirs)
            for path in source.paths]


def wanted_links(app: AppFolder, sources: list[LinkSource]) -> tuple[dict[str, Planned], list[Planned]]:
    """(link path -> what should be there, the links two models both want: conflicts)."""
    wanted: dict[str, Planned] = {}
    clashes: list[Planned] = []
    if not app.enabled:
        return wanted, clashes
    for source in sources:
        for planned in plan(app, source):
            if planned.link_path in wanted and wanted[planned.link_path].source_path != planned.source_path:
                clashes.append(planned)
            else:
                wanted[planned.link_path] = planned
    return wanted, clashes


# --- The filesystem, without ever following a symlink inside the app's folder --------------------


def app_root(app: AppFolder) -> Path:
    return Path(os.path.realpath(app.root))  # not Path.resolve(): it raises on a symlink loop


def _split(link_path: str) -> tuple[list[str], str]:
    if len(link_path) > MAX_LINK_PATH:
        raise InvalidInput(_("The link “%(path)s…” would be longer than %(max)d characters.")
                           % {"path": link_path[:80], "max": MAX_LINK_PATH})
    parts = link_path.split("/")
    for part in parts:
        if part in ("", ".", "..") or "\\" in part or "\0" in part:
            raise UnsafeLinkPath(_("The link “%(path)s” would leave the app's folder.") % {"path": link_path})
    return parts[:-1], parts[-1]


def _open_folder(app: AppFolder, parts: list[str], create: bool) -> int:
    """A directory fd of root/parts, opened part by part with O_NOFOLLOW (created if asked)."""
    root = app_root(app)
    models = disk.models_dir().resolve()
    lexical = root.joinpath(*parts)
    if lexical == models or models in lexical.parents:
        raise UnsafeLinkPath(_("The folder “%(path)s” is inside Modella's models directory.") % {"path": lexical})
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts:
            if create:
                try:
                    os.mkdir(part, mode=disk.DIR_MODE, dir_fd=fd)
                except FileExistsError:
                    pass
            try:
                child = os.open(part, flags, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise UnsafeLinkPath(
                        _("“%(part)s” in the app's folder is a symbolic link or a file, not a folder: Modella "
                          "does not follow links out of the app's folder.") % {"part": part},
                        details={"folder": "/".join(parts)}) from None
                raise
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _lstat(fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _points_at(fd: int, name: str, info: os.stat_result, target: str) -> bool:
    return stat.S_ISLNK(info.st_mode) and os.readlink(name, dir_fd=fd) == target


def _recorded_as_ours(fd: int, name: str, info: os.stat_result, row: Link) -> bool:
    """Whether what sits at a registry row's link path is still the link Modella made."""
    if row.kind == Link.Kind.HARD:
        return stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) == (row.device, row.inode)
    return bool(row.target) and _points_at(fd, name, info, row.target)


def _is_link_to(fd: int, name: str, info: os.stat_result, source: os.stat_result, target: str) -> bool:
    """Whether the entry at `name` already is a link to the source file (ours to adopt)."""
    if stat.S_ISREG(info.st_mode):
        return (info.st_dev, info.st_ino) == (source.st_dev, source.st_ino)
    return _points_at(fd, name, info, target)


def link_kind(mode: str, source_dev: int, folder_dev: int) -> str:
    """hard or sym for a link mode and the two filesystems; InvalidInput when it cannot be done."""
    if mode == AppFolder.LinkMode.SYMLINK:
        return Link.Kind.SYM
    if source_dev == folder_dev:
        return Link.Kind.HARD
    if mode == AppFolder.LinkMode.HARDLINK:
        raise InvalidInput(_("The model file and the app's folder are on different filesystems: hard links are "
                             "impossible. Choose symbolic links or automatic for this app."))
    return Link.Kind.SYM


# --- Making and removing links ------------------------------------------------------------------


@dataclass
class Outcome:
    status: str  # linked | exists | conflict | error
    link_path: str
    source_path: str
    message: str = ""
    kind: str = ""


def link_one(app: AppFolder, planned: Planned) -> Outcome:
    """Make (or confirm) one link; never overwrites anything that is not our own link."""
    result = Outcome("error", planned.link_path, planned.source_path)
    try:
        source_file = disk.safe_path(planned.source_path)
        source = os.stat(source_file, follow_symlinks=False)
        if not stat.S_ISREG(source.st_mode):
            raise FileNotFoundError(planned.source_path)
        target = os.path.realpath(source_file)
        parts, name = _split(planned.link_path)
        fd = _open_folder(app, parts, create=True)
    except (InvalidInput, InvalidFileName) as exc:
        result.message = str(exc.message)
        return result
    except OSError as exc:
        result.message = _("%(path)s: %(error)s") % {"path": planned.link_path, "error": exc.strerror or exc}
        return result
    try:
        row = Link.objects.filter(app=app, link_path=planned.link_path).first()
        info = _lstat(fd, name)
        if info is not None and _is_link_to(fd, name, info, source, target):
            kind = Link.Kind.HARD if stat.S_ISREG(info.st_mode) else Link.Kind.SYM
            _record(app, planned, kind, target, info)
            result.status, result.kind = "exists", kind
            return result
        if info is not None and row is not None and _recorded_as_ours(fd, name, info, row):
            os.unlink(name, dir_fd=fd)  # our own stale link (the file was replaced, e.g. by an update)
            info = None
        if info is not None:
            result.status = "conflict"
            result.message = _("“%(path)s” already exists in %(app)s and is not Modella's link: it was left "
                               "alone.") % {"path": planned.link_path, "app": app.name}
            return result
        kind = link_kind(app.link_mode, source.st_dev, os.fstat(fd).st_dev)
        if kind == Link.Kind.HARD:
            try:
                os.link(source_file, name, dst_dir_fd=fd, follow_symlinks=False)
            except FileExistsError:
                raise
            except OSError:
                # A filesystem without hard links (or a link count limit): a symlink, never a copy.
                if app.link_mode == AppFolder.LinkMode.HARDLINK:
                    raise
                kind = Link.Kind.SYM
        if kind == Link.Kind.SYM:
            os.symlink(target, name, dir_fd=fd)
        _record(app, planned, kind, target, os.stat(name, dir_fd=fd, follow_symlinks=False))
        result.status, result.kind = "linked", kind
    except FileExistsError:
        result.status = "conflict"
        result.message = _("“%(path)s” appeared in %(app)s while linking: it was left alone.") % {
            "path": planned.link_path, "app": app.name}
    except InvalidInput as exc:
        result.message = str(exc.message)
    except OSError as exc:
        result.message = _("%(path)s: %(error)s") % {"path": planned.link_path, "error": exc.strerror or exc}
    finally:
        os.close(fd)
    return result


def _record(app: AppFolder, planned: Planned, kind: str, target: str, info: os.stat_result) -> None:
    Link.objects.update_or_create(app=app, link_path=planned.link_path, defaults={
        "source_path": planned.source_path, "kind": kind, "own_dirs": planned.own_dirs,
        "target": target if kind == Link.Kind.SYM else "",
        "device": info.st_dev if kind == Link.Kind.HARD else 0,
        "inode": info.st_ino if kind == Link.Kind.HARD else 0,
    })


def unlink(row: Link) -> bool:
    """Remove a recorded link from disk if it still is ours, and forget it. True if removed."""
    removed = False
    try:
        parts, name = _split(row.link_path)
        fd = _open_folder(row.app, parts, create=False)
    except (InvalidInput, OSError):
        fd = None  # its folder is gone or became a symlink: nothing of ours to remove there
    if fd is not None:
        try:
            info = _lstat(fd, name)
            if info is not None and _recorded_as_ours(fd, name, info, row):
                os.unlink(name, dir_fd=fd)
                removed = True
        finally:
            os.close(fd)
        if removed:
            _prune(row.app, parts, row.own_dirs)
    row.delete()
    return removed


def _prune(app: AppFolder, parts: list[str], own_dirs: int) -> None:
    """Remove the now empty {publisher}/{repo} folders Modella made (never the app's own folders)."""
    for depth in range(len(parts), max(len(parts) - own_dirs, 0), -1):
        try:
            fd = _open_folder(app, parts[: depth - 1], create=False)
        except (InvalidInput, OSError):
            return
        try:
            os.rmdir(parts[depth - 1], dir_fd=fd)
        except OSError:
            return  # not empty (the user's files, or another model's links)
        finally:
            os.close(fd)


@dataclass
class Report:
    linked: list[Outcome] = field(default_factory=list)
    existing: int = 0
    conflicts: list[Outcome] = field(default_factory=list)
    errors: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        if outcome.status == "linked":
            self.linked.append(outcome)
        elif outcome.status == "exists":
            self.existing += 1
        elif outcome.status == "conflict":
            self.conflicts.append(outcome)
        else:
            self.errors.append(outcome)

    def as_dict(self) -> dict:
        def rows(outcomes):
            return [{"link_path": o.link_path, "source_path": o.source_path, "kind": o.kind or None,
                     "message": o.message} for o in outcomes]

        return {"linked": rows(self.linked), "existing": self.existing, "conflicts": rows(self.conflicts),
                "errors": rows(self.errors)}


def link_all(app: AppFolder, sources: list[LinkSource] | None = None) -> Report:
    """Link every library model the app's mapping takes and the registry does not have yet."""
    report = Report()
    sources = library_sources() if sources is None else sources
    wanted, clashes = wanted_links(app, sources)
    recorded = set(app.links.values_list("link_path", flat=True))
    for planned in wanted.values():
        if planned.link_path not in recorded:
            report.add(link_one(app, planned))
    for planned in clashes:
        report.add(_clash(app, planned, wanted[planned.link_path]))
    return report


def _clash(app: AppFolder, planned: Planned, winner: Planned) -> Outcome:
    return Outcome("conflict", planned.link_path, planned.source_path, _(
        "“%(path)s” in %(app)s is already taken by %(other)s: two models have the same file name.")
        % {"path": planned.link_path, "app": app.name, "other": winner.source_path})


def remove_app(app: AppFolder) -> int:
    """Remove the app's links (those still ours) and the app; returns how many links were removed."""
    removed = sum(unlink(row) for row in list(app.links.select_related("app")))
    app.delete()
    return removed


def unlink_all(app: AppFolder) -> int:
    return sum(unlink(row) for row in list(app.links.select_related("app")))


# --- Health check and repair -----------------------------------------------------------------------

FINDING_KINDS = {
    "broken": gettext_lazy("Broken link: its model file is gone or was replaced"),
    "orphaned": gettext_lazy("Orphaned: recorded, but the link is missing"),
    "outdated": gettext_lazy("Outdated: the mapping no longer puts this model here"),
    "missing": gettext_lazy("Missing: this model should be linked here"),
    "conflict": gettext_lazy("Conflict: another file is in the way"),
    "foreign": gettext_lazy("Foreign file: not made by Modella (left alone)"),
}
REPAIRABLE = ("broken", "orphaned", "outdated", "missing")


@dataclass
class Finding:
    kind: str
    link_path: str
    source_path: str = ""
    link_id: int | None = None

    @property
    def label(self) -> str:
        return str(FINDING_KINDS[self.kind])

    @property
    def repairable(self) -> bool:
        return self.kind in REPAIRABLE or (self.kind == "foreign" and self.link_id is not None)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "link_path": self.link_path, "source_path": self.source_path or None,
                "link_id": self.link_id, "message": self.label, "repairable": self.repairable}


def _row_state(row: Link) -> str:
    """ok | missing | broken | foreign for one registry row."""
    try:
        parts, name = _split(row.link_path)
        fd = _open_folder(row.app, parts, create=False)
    except (InvalidInput, OSError):
        return "missing"
    try:
        info = _lstat(fd, name)
        if info is None:
            return "missing"
        if not _recorded_as_ours(fd, name, info, row):
            return "foreign"
    finally:
        os.close(fd)
    try:
        source = os.stat(disk.safe_path(row.source_path), follow_symlinks=False)
        real = os.path.realpath(disk.safe_path(row.source_path))
    except (InvalidInput, InvalidFileName, OSError):
        return "broken"
    if row.kind == Link.Kind.HARD:
        return "ok" if (source.st_dev, source.st_ino) == (row.device, row.inode) else "broken"
    return "ok" if real == row.target and stat.S_ISREG(source.st_mode) else "broken"


def check(app: AppFolder, sources: list[LinkSource] | None = None) -> list[Finding]:
    """Everything wrong with an app folder's links, and the files in it that are not ours."""
    sources = library_sources() if sources is None else sources
    wanted, clashes = wanted_links(app, sources)
    rows = list(app.links.select_related("app"))
    recorded = {row.link_path for row in rows}
    findings: list[Finding] = []
    for row in rows:
        state = _row_state(row)
        if state == "ok":
            want = wanted.get(row.link_path)
            if app.enabled and (want is None or want.source_path != row.source_path):
                findings.append(Finding("outdated", row.link_path, row.source_path, row.pk))
        elif state == "missing":
            findings.append(Finding("orphaned", row.link_path, row.source_path, row.pk))
        else:
            findings.append(Finding(state, row.link_path, row.source_path, row.pk))
    taken = set(recorded)
    for planned in wanted.values():
        if planned.link_path in recorded:
            continue
        taken.add(planned.link_path)
        findings.append(Finding(_free_or_taken(app, planned), planned.link_path, planned.source_path))
    findings.extend(Finding("conflict", p.link_path, p.source_path) for p in clashes)
    findings.extend(Finding("foreign", path) for path in foreign_files(app, skip=taken))
    return findings


def _free_or_taken(app: AppFolder, planned: Planned) -> str:
    """missing when the link can be made (or is already there, unrecorded), else conflict."""
    try:
        parts, name = _split(planned.link_path)
        fd = _open_folder(app, parts, create=False)
    except FileNotFoundError:
        return "missing"
    except (InvalidInput, OSError):
        return "conflict"
    try:
        info = _lstat(fd, name)
        if info is None:
            return "missing"
        source_file = disk.safe_path(planned.source_path)
        source = os.stat(source_file, follow_symlinks=False)
        return "missing" if _is_link_to(fd, name, info, source, os.path.realpath(source_file)) else "conflict"
    except (InvalidInput, InvalidFileName, OSError):
        return "conflict"
    finally:
        os.close(fd)


def _static_prefix(template: str) -> tuple[str, ...]:
    """The folders of a template before its first placeholder ("{publisher}/{repo}" -> the root)."""
    prefix: list[str] = []
    for part in template.split("/"):
        if part in (PUBLISHER, REPO):
            break
        prefix.append(part)
    return tuple(prefix)


def foreign_files(app: AppFolder, skip: set[str]) -> list[str]:
    """Model files and symlinks in the app's mapped folders that Modella did not make."""
    prefixes = {_static_prefix(template) for template in (app.mapping or {}).values() if template}
    found: list[str] = []
    seen = 0
    root = app_root(app)
    for prefix in sorted(prefixes, key=len):
        if any(prefix[: len(other)] == other for other in prefixes if other != prefix and len(other) < len(prefix)):
            continue  # walked with its parent
        try:
            os.close(_open_folder(app, list(prefix), create=False))
        except (InvalidInput, OSError):
            continue  # missing, or a symlink out of the app's folder: nothing to list safely
        for folder, dirs, files in os.walk(root.joinpath(*prefix)):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(folder, d)))
            for name in sorted(files):
                seen += 1
                if seen > MAX_WALK or len(found) >= MAX_FOREIGN:
                    return found
                full = os.path.join(folder, name)
                relative = Path(full).relative_to(root).as_posix()
                if relative in skip or name.startswith("."):
                    continue
                if os.path.islink(full) or name.lower().endswith(FOREIGN_EXTENSIONS):
                    found.append(relative)
    return found


@dataclass
class RepairResult:
    fixed: int = 0  # findings that were there before and are gone now
    removed: int = 0  # broken and outdated links taken away
    forgotten: int = 0  # registry entries without a link of ours
    report: Report = field(default_factory=Report)
    remaining: list[Finding] = field(default_factory=list)  # what the health check still finds

    def as_dict(self) -> dict:
        return {"fixed": self.fixed, "removed": self.removed, "forgotten": self.forgotten, **self.report.as_dict(),
                "remaining": [f.as_dict() for f in self.remaining]}


def repair(app: AppFolder) -> RepairResult:
    """Fix what the health check finds: remove broken and outdated links (ours only), forget
    registry entries without a link, then link what is missing. Foreign files stay as they are.

    Refuses (InvalidInput) while the app's folder itself is missing: every link would look
    orphaned, and forgetting them would leave them unrecorded when the folder (an unmounted
    drive) comes back."""
    if not app_root(app).is_dir():
        raise InvalidInput(_("The folder “%(path)s” of %(app)s is missing (is its drive mounted?): nothing was "
                             "repaired.") % {"path": app.root, "app": app.name}, details={"root": app.root})
    sources = library_sources()
    result = RepairResult()
    rows = {row.pk: row for row in app.links.select_related("app")}
    before = check(app, sources)
    for finding in before:
        row = rows.get(finding.link_id)
        if row is None:
            continue  # missing links are made below; foreign files and conflicts are the user's
        if finding.kind in ("broken", "outdated"):
            result.removed += unlink(row)
        else:  # orphaned, or a file that is not ours now sits where our link was
            row.delete()
            result.forgotten += 1
    result.report = link_all(app, sources)
    result.remaining = check(app, sources)
    left = {(f.kind, f.link_path) for f in result.remaining}
    result.fixed = sum(f.repairable and (f.kind, f.link_path) not in left for f in before)
    return result


# --- Hooks: downloads, imports, renames and removals --------------------------------------------


def _enabled_apps() -> list[AppFolder]:
    return list(AppFolder.objects.filter(enabled=True))


def link_library_files(paths: list[str]) -> None:
    """New files in the library (a finished download): link them into every enabled app."""
    apps = _enabled_apps()
    if not apps or not paths:
        return
    sources = library_sources(set(paths))
    for app in apps:
        for source in sources:
            for planned in plan(app, source):
                outcome = link_one(app, planned)
                if outcome.status in ("conflict", "error"):
                    log.warning("linking %s into %s: %s", planned.source_path, app.name, outcome.message)


def library_changed() -> None:
    """After a scan imported or identified files: link what is not linked yet."""
    apps = _enabled_apps()
    sources = library_sources() if apps else []
    for app in apps:
        report = link_all(app, sources)
        for outcome in report.conflicts + report.errors:
            log.warning("linking %s into %s: %s", outcome.source_path, app.name, outcome.message)


def files_removed(paths: list[str]) -> None:
    """Files left the library: remove their links (those still ours) from every app."""
    for row in Link.objects.filter(source_path__in=list(paths)).select_related("app"):
        unlink(row)


def file_renamed(old: str, new: str) -> None:
    """A library file was renamed: its links go, links under the new name come."""
    with transaction.atomic():
        files_removed([old])
    link_library_files([new])


def safely(function, *args) -> None:
    """Run a hook so that a problem with an app folder never fails the storage action itself."""
    try:
        function(*args)
    except Exception:  # noqa: BLE001 - logged; the health check shows what is left to repair
        log.exception("app folder links: %s failed", function.__name__)

