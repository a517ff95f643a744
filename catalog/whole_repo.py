"""Whole repositories: every file of a Hugging Face repository (or those matching patterns) as one download.

Weights spread over many files (transformers shards with config.json and tokenizer files,
diffusers folders such as unet/ and text_encoder/, TTS models, datasets) only work as a set.
Such a set is a ModelVariant with the role "repository": its `files` are the repository's files
at the fetched commit that match the include/exclude globs (`selection`), its `filename` the
label FILENAME. The download keeps the repository's relative paths under the usual destination
and pins the commit the list came from; the engine verifies LFS files by SHA-256 and small
regular files by size and git blob SHA-1, and resumes per file.

Patterns behave like huggingface_hub's allow_patterns / ignore_patterns: fnmatch globs over the
path in the repository (`*` also crosses `/`), and a pattern ending in `/` means a whole folder.
"""

from __future__ import annotations

import fnmatch

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import ModelRepository, ModelVariant, RepoType
from catalog.sources.huggingface import RemoteFile
from modella.errors import InvalidInput

# The whole-repository variant's `filename` (one per repository; never a path in the repo).
FILENAME = "[whole repository]"
MAX_PATTERNS = 50
MAX_PATTERN_LENGTH = 200
PREVIEW_PATHS = 20
WEIGHT_EXTENSIONS = (".safetensors", ".bin", ".ckpt", ".pt", ".pth", ".gguf", ".onnx", ".msgpack", ".h5")
LAYOUT_FILES = ("config.json", "model_index.json")


def parse_patterns(value, name: str) -> list[str]:
    """Globs from a JSON list or a text field (one per line or comma-separated). InvalidInput if bad."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        items = [part.strip() for line in value.splitlines() for part in line.split(",")]
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        items = None
    if items is None or not all(isinstance(item, str) for item in items):
        raise InvalidInput(_("%(name)s must be a list of glob patterns such as “*.safetensors”.") % {"name": name},
                           details={name: "list of strings"})
    patterns = [item.strip() for item in items if item.strip()]
    too_long = [p for p in patterns if len(p) > MAX_PATTERN_LENGTH]
    if len(patterns) > MAX_PATTERNS or too_long:
        raise InvalidInput(
            _("%(name)s accepts at most %(count)s patterns of at most %(length)s characters each.")
            % {"name": name, "count": MAX_PATTERNS, "length": MAX_PATTERN_LENGTH},
            details={name: patterns[:MAX_PATTERNS]},
        )
    return list(dict.fromkeys(patterns))


def _globs(patterns: list[str]) -> list[str]:
    # huggingface_hub's filter_repo_objects: "folder/" means everything below the folder.
    return [p + "*" if p.endswith("/") else p for p in patterns]


def matches(path: str, include: list[str], exclude: list[str]) -> bool:
    if include and not any(fnmatch.fnmatch(path, p) for p in _globs(include)):
        return False
    return not any(fnmatch.fnmatch(path, p) for p in _globs(exclude))


def pack_files(files: list[RemoteFile]) -> list[list]:
    """The repository's file list as stored in ModelRepository.extra["files"] (compact)."""
    return [[f.path, f.size, f.sha256, f.blob_id] for f in files]


def stored_files(repository: ModelRepository) -> list[RemoteFile] | None:
    rows = (repository.extra or {}).get("files")
    if not isinstance(rows, list):
        return None  # fetched before whole repositories existed
    return [RemoteFile(path=r[0], size=int(r[1] or 0), sha256=r[2] or "", blob_id=r[3] or "") for r in rows]


def select(files: list[RemoteFile], include: list[str], exclude: list[str]) -> list[RemoteFile]:
    return sorted((f for f in files if matches(f.path, include, exclude)), key=lambda f: f.path)


def spec(files: list[RemoteFile], selection: dict):
    """The whole-repository unit of a file list, for catalog.sync."""
    from catalog.sync import VariantSpec, _file_dict

    chosen = select(files, selection.get("include") or [], selection.get("exclude") or [])
    return VariantSpec(filename=FILENAME, files=[_file_dict(f) for f in chosen], format="repository",
                       role=ModelVariant.Role.REPOSITORY)


def offers_whole_repository(repository: ModelRepository) -> bool:
    """Worth offering: a dataset, several weight files, or a transformers/diffusers layout."""
    if repository.source != "huggingface":
        return False
    files = stored_files(repository) or []
    if repository.repo_type == RepoType.DATASET:
        return bool(files)
    weights = [f for f in files if f.path.lower().endswith(WEIGHT_EXTENSIONS)]
    return len(weights) > 1 or any(f.path in LAYOUT_FILES for f in files)


def _files(repository: ModelRepository) -> list[RemoteFile]:
    files = stored_files(repository)
    if files is None:
        from catalog.sync import fetch_repository

        repository = fetch_repository(repository.repo)
        files = stored_files(repository) or []
    return files


def preview(repository: ModelRepository, include: list[str], exclude: list[str]) -> dict:
    """What a whole-repository download with these patterns would fetch."""
    chosen = select(_files(repository), include, exclude)
    return {
        "repo": repository.repo,
        "revision": repository.remote_revision or None,
        "include": include,
        "exclude": exclude,
        "files_total": len(chosen),
        "size": sum(f.size for f in chosen),
        "files": [{"path": f.path, "size": f.size} for f in chosen[:PREVIEW_PATHS]],
    }


def variant_for(repository: ModelRepository, include: list[str], exclude: list[str]) -> tuple[ModelVariant, bool]:
    """The repository's whole-repository variant set to these patterns, and whether the selection
    differs from a copy already on disk (then the download replaces it)."""
    unit = spec(_files(repository), {"include": include, "exclude": exclude})
    if not unit.files:
        raise InvalidInput(
            _("No file of %(repo)s matches these patterns (include: %(include)s; exclude: %(exclude)s).")
            % {"repo": repository.repo, "include": ", ".join(include) or "*", "exclude": ", ".join(exclude) or "—"},
            details={"include": include, "exclude": exclude},
        )
    variant, _created = ModelVariant.objects.get_or_create(
        repository=repository, filename=FILENAME,
        defaults={"role": ModelVariant.Role.REPOSITORY, "format": "repository"},
    )
    selection = {"include": include, "exclude": exclude}
    replace = bool(variant.local_path) and (variant.selection != selection or variant.files != unit.files)
    variant.role = ModelVariant.Role.REPOSITORY
    variant.format = "repository"
    variant.model_type = repository.model_type
    variant.selection = selection
    variant.files = unit.files
    variant.size = unit.size
    variant.sha256 = ""
    variant.save()
    return variant, replace


def enqueue(repository: ModelRepository, include=None, exclude=None, priority: str = "normal", user=None):
    """Queue every file of `repository` matching the patterns, at the commit the list came from."""
    from downloads import queue

    if repository.source != "huggingface":
        raise InvalidInput(_("Only Hugging Face repositories can be downloaded whole."),
                           details={"repo": repository.repo})
    include = parse_patterns(include, "include")
    exclude = parse_patterns(exclude, "exclude")
    if stored_files(repository) is None:
        from catalog.sync import fetch_repository

        # Listed before whole repositories existed: fetch now, so files and pinned commit agree.
        repository = fetch_repository(repository.repo)
    # A refused download (already queued, not enough space) must leave the variant describing
    # what is on disk or in the queue, not the patterns that were refused.
    with transaction.atomic():
        variant, replace = variant_for(repository, include, exclude)
        return queue.enqueue(variant, priority=priority, user=user, replace=replace,
                             revision=repository.remote_revision)


def local_paths(variant: ModelVariant) -> list[str]:
    """Every file of a downloaded whole-repository variant, relative to the models directory."""
    from downloads.queue import destination_dir

    dest = destination_dir(variant.repository)
    return [f"{dest}/{path}" for path in variant.paths]
