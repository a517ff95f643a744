"""User input -> source + repository (+ revision, file): the one place that knows the input forms.

`parse()` is pure (no network, no database): it only says *what* the text names. Fetching is
`catalog.sync.fetch_repository`'s job. Anything it does not recognise is `InvalidInput`, with a
message that lists the accepted forms; it never raises anything else, whatever the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from modella.errors import InvalidInput

MAX_INPUT_LENGTH = 2048

# Hugging Face repo ids: `owner/name`, letters, digits, `-`, `_`, `.`; no `--`/`..`, no leading
# or trailing `-`/`.` (huggingface_hub's validate_repo_id), at most 96 characters per part.
_HF_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?"
_HF_REPO_RE = re.compile(rf"^(?P<owner>{_HF_PART})/(?P<name>{_HF_PART})$")
_CIVITAI_ID_RE = re.compile(r"^civitai:(?P<id>\d{1,12})(?:@(?P<version>\d{1,12}))?$", re.IGNORECASE)
_DIGITS_RE = re.compile(r"^\d{1,12}$")

HF_HOSTS = {"huggingface.co", "www.huggingface.co", "hf.co"}
CIVITAI_HOSTS = {"civitai.com", "www.civitai.com", "civitai.red", "www.civitai.red"}
# Paths under huggingface.co that are not model repositories.
_HF_RESERVED_OWNERS = {"datasets", "spaces", "docs", "api", "models", "collections", "papers", "blog", "settings"}

ACCEPTED_FORMS = [
    "owner/name",
    "datasets/owner/name",
    "https://huggingface.co/owner/name",
    "https://huggingface.co/owner/name/tree/<revision>",
    "https://huggingface.co/owner/name/blob/<revision>/<file>",
    "https://huggingface.co/owner/name/resolve/<revision>/<file>",
    "https://huggingface.co/datasets/owner/name",
    "https://huggingface.co/datasets/owner/name/resolve/<revision>/<file>",
    "https://civitai.com/models/<id>",
    "https://civitai.com/models/<id>?modelVersionId=<version id>",
    "civitai:<id>",
]


@dataclass(frozen=True)
class Resolved:
    source: str  # "huggingface" | "civitai"
    repo: str  # the API's `repo`: "owner/name", "datasets/owner/name" or "civitai:<id>"
    revision: str | None = None
    filename: str | None = None
    civitai_version_id: int | None = None


def parse(text) -> Resolved:
    """Say which repository (and file) `text` names. Raises InvalidInput for anything else."""
    try:
        result = _parse(text)
    except InvalidInput:
        raise
    except Exception:  # defensive: a parser bug must still be a 400, never a 500
        result = None
    if result is None:
        raise invalid_input_error(text)
    return result


def invalid_input_error(text) -> InvalidInput:
    return InvalidInput(
        _("This is not a model reference Modella understands. Use one of: %(forms)s.")
        % {"forms": "; ".join(ACCEPTED_FORMS)},
        details={"input": str(text)[:200] if isinstance(text, str) else None, "accepted": ACCEPTED_FORMS},
    )


def is_hf_repo_id(value: str) -> bool:
    return bool(_HF_REPO_RE.match(value)) and ".." not in value and "--" not in value


DATASET_PREFIX = "datasets/"


def is_hf_dataset_id(value: str) -> bool:
    """`datasets/owner/name`: how Modella names a Hugging Face dataset (and how its URLs start)."""
    return value.startswith(DATASET_PREFIX) and is_hf_repo_id(value[len(DATASET_PREFIX):])


def split_repo_type(repo: str) -> tuple[str, str]:
    """("dataset", "owner/name") for `datasets/owner/name`, else ("model", repo)."""
    if repo.startswith(DATASET_PREFIX):
        return "dataset", repo[len(DATASET_PREFIX):]
    return "model", repo


def _parse(text) -> Resolved | None:
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text or len(text) > MAX_INPUT_LENGTH or any(ch.isspace() for ch in text):
        return None
    match = _CIVITAI_ID_RE.match(text)
    if match:
        version = match.group("version")
        return Resolved("civitai", f"civitai:{int(match.group('id'))}", civitai_version_id=int(version) if version else None)
    if "://" not in text:
        name = text[len(DATASET_PREFIX):]
        if text[: len(DATASET_PREFIX)].lower() == DATASET_PREFIX:
            # "datasets" is the Hub's namespace for datasets, never a model owner.
            return Resolved("huggingface", DATASET_PREFIX + name) if is_hf_repo_id(name) else None
        if is_hf_repo_id(text):
            return Resolved("huggingface", text)
        # A URL pasted without its scheme: "huggingface.co/owner/name", "civitai.com/models/1".
        host = text.split("/", 1)[0].lower()
        if host in HF_HOSTS | CIVITAI_HOSTS:
            return _parse_url("https://" + text)
        return None
    return _parse_url(text)


def _hf_hosts() -> set[str]:
    # The configured endpoint (the emulator in tests, a mirror in production) counts as the Hub too.
    hosts = set(HF_HOSTS)
    configured = urlsplit(settings.HF_ENDPOINT).netloc.lower()
    if configured:
        hosts.add(configured)
    return hosts


def _parse_url(text: str) -> Resolved | None:
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        return None
    host = parts.netloc.lower().rsplit("@", 1)[-1]
    segments = [unquote(s) for s in parts.path.split("/") if s]
    if host in CIVITAI_HOSTS:
        return _parse_civitai(segments, parts.query)
    if host in _hf_hosts():
        return _parse_hf(segments)
    return None


def _parse_hf(segments: list[str]) -> Resolved | None:
    prefix = ""
    if segments and segments[0].lower() == "datasets":
        # https://huggingface.co/datasets/owner/name[/tree|blob|resolve/...]: a dataset repository.
        prefix, segments = DATASET_PREFIX, segments[1:]
    if len(segments) < 2 or segments[0].lower() in _HF_RESERVED_OWNERS:
        return None
    repo = f"{segments[0]}/{segments[1]}"
    if not is_hf_repo_id(repo):
        return None
    repo = prefix + repo
    rest = segments[2:]
    if not rest:
        return Resolved("huggingface", repo)
    kind, args = rest[0], rest[1:]
    if kind == "tree" and args:
        # `/tree/<rev>[/<folder>]`: a folder is still the whole repository.
        return Resolved("huggingface", repo, revision=args[0])
    if kind in ("blob", "resolve") and len(args) >= 2:
        filename = "/".join(args[1:])
        if ".." in args[1:] or filename.startswith("/"):
            return None
        return Resolved("huggingface", repo, revision=args[0], filename=filename)
    return None


def _parse_civitai(segments: list[str], query: str) -> Resolved | None:
    if len(segments) < 2 or segments[0] != "models" or not _DIGITS_RE.match(segments[1]):
        return None
    version = None
    values = parse_qs(query).get("modelVersionId")
    if values:
        if not _DIGITS_RE.match(values[0]):
            return None
        version = int(values[0])
    return Resolved("civitai", f"civitai:{int(segments[1])}", civitai_version_id=version)
