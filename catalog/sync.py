"""Fetch a remote repository and store it, with its variants, in the catalog.

`fetch_repository(repo)` is the one entry point (the resolve API, the downloads app and the
update checks call it). Variants are built from the file list:

* every GGUF file is a variant; split sets (`…-00001-of-00003.gguf`) are one variant whose size
  is the sum and whose `files` lists the parts; `mmproj` projector files are variants with the
  role "mmproj", linked from the model variants in the same folder;
* repositories without GGUF files get a variant per safetensors / ckpt / bin / pt weight file
  (sharded safetensors grouped like split GGUF).

* datasets (`datasets/owner/name`) get a variant per data file (README and dotfiles aside);
* a whole-repository variant (role "repository", catalog.whole_repo), once asked for, is kept
  and its file list recomputed from its include/exclude patterns at every fetch.

The repository's full file list is kept in `extra["files"]` (for the whole-repository choice).

A downloaded variant whose remote file changed keeps describing the file on disk; the new
remote state goes into `update_details` and `update_available` is set.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import fit, probe, quant
from catalog.models import ModelRepository, ModelVariant, RepoType, Source
from catalog.resolve import is_hf_dataset_id, is_hf_repo_id
from catalog.sources import huggingface
from modella.errors import InvalidInput

SPLIT_RE = re.compile(r"^(?P<stem>.+)-(?P<index>\d{5})-of-(?P<total>\d{5})\.(?P<ext>gguf|safetensors)$", re.IGNORECASE)
WEIGHT_EXTENSIONS = (".safetensors", ".ckpt", ".bin", ".pt", ".pth")
# Weight-looking files that are not model weights.
NOT_WEIGHTS = re.compile(r"(^|/)(training_args|optimizer|scheduler|rng_state[^/]*|scaler)\.(bin|pt|pth)$")
# A dataset's files offered one by one (beyond this, the whole-repository choice with patterns).
DATASET_FILE_VARIANTS = 500


@dataclass
class VariantSpec:
    filename: str
    files: list[dict]
    format: str
    role: str = ModelVariant.Role.MODEL
    quant: quant.Quant | None = None
    projectors: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(f["size"] for f in self.files)

    @property
    def sha256(self) -> str:
        # A split set has no single hash; each part's is in `files`.
        return self.files[0]["sha256"] if len(self.files) == 1 else ""


def _file_dict(remote_file: huggingface.RemoteFile) -> dict:
    return {"path": remote_file.path, "size": remote_file.size, "sha256": remote_file.sha256,
            "blob_id": remote_file.blob_id}


def build_dataset_variants(files: list[huggingface.RemoteFile]) -> list[VariantSpec]:
    """A dataset's data files, each one downloadable on its own."""
    data = [f for f in files if not posixpath.basename(f.path).startswith(".") and f.path.lower() != "readme.md"]
    specs = []
    for remote_file in sorted(data, key=lambda f: f.path)[:DATASET_FILE_VARIANTS]:
        extension = posixpath.basename(remote_file.path).rsplit(".", 1)[-1].lower() if "." in remote_file.path else ""
        specs.append(VariantSpec(filename=remote_file.path, files=[_file_dict(remote_file)], format=extension[:32]))
    return sorted(specs, key=lambda s: (s.size, s.filename))


def build_variants(files: list[huggingface.RemoteFile]) -> list[VariantSpec]:
    """The downloadable units of a repository, from its file list (see the module docstring)."""
    ggufs = [f for f in files if f.path.lower().endswith(".gguf")]
    if ggufs:
        candidates, fmt = ggufs, "gguf"
    else:
        candidates = [f for f in files if f.path.lower().endswith(WEIGHT_EXTENSIONS) and not NOT_WEIGHTS.search(f.path)]
        fmt = ""
    groups: dict[tuple[str, str], list[huggingface.RemoteFile]] = {}
    singles: list[huggingface.RemoteFile] = []
    for remote_file in candidates:
        match = SPLIT_RE.match(remote_file.path)
        if match:
            groups.setdefault((match.group("stem"), match.group("total")), []).append(remote_file)
        else:
            singles.append(remote_file)
    specs = []
    for remote_file in singles:
        specs.append(_spec([remote_file], fmt))
    for parts in groups.values():
        specs.append(_spec(sorted(parts, key=lambda f: f.path), fmt))
    # Projectors belong to the model variants of their folder (or of the whole repo at top level).
    projectors = [s for s in specs if s.role == ModelVariant.Role.MMPROJ]
    for spec in specs:
        if spec.role == ModelVariant.Role.MODEL:
            folder = posixpath.dirname(spec.filename)
            spec.projectors = [p.filename for p in projectors
                               if posixpath.dirname(p.filename) in (folder, "")]
    return sorted(specs, key=lambda s: (s.role != ModelVariant.Role.MODEL, s.size, s.filename))


def _spec(parts: list[huggingface.RemoteFile], fmt: str) -> VariantSpec:
    first = parts[0].path
    name = posixpath.basename(first).lower()
    extension = name.rsplit(".", 1)[-1]
    role = ModelVariant.Role.MMPROJ if "mmproj" in name else ModelVariant.Role.MODEL
    return VariantSpec(filename=first, files=[_file_dict(p) for p in parts], format=fmt or extension, role=role,
                       quant=quant.parse_quant(first))


def _pick_recommended(specs: list[VariantSpec]) -> VariantSpec | None:
    models = [s for s in specs if s.role == ModelVariant.Role.MODEL]
    if not models:
        return None
    if any(s.format == "gguf" for s in models):
        return quant.pick_recommended([(s, s.quant) for s in models])
    # Weights without quant names: the top-level full checkpoint, i.e. the largest top-level file.
    top = [s for s in models if "/" not in s.filename] or models
    return max(top, key=lambda s: s.size)


def _model_type(remote: huggingface.RemoteRepo, specs: list[VariantSpec]) -> str:
    tags = {t.lower() for t in remote.tags}
    if "lora" in tags or any("lora" in s.filename.lower() for s in specs[:1]):
        return "LORA"
    if any(s.format == "gguf" for s in specs):
        return "LLM"
    if remote.pipeline_tag in ("text-to-image", "image-to-image") or remote.library_name == "diffusers" or (
        tags & {"stable-diffusion", "stable-diffusion-xl", "diffusers"}
    ):
        return "Checkpoint"
    if remote.pipeline_tag in ("text-generation", "image-text-to-text", "conversational", "text2text-generation"):
        return "LLM"
    return remote.pipeline_tag or ""


def _base_model(card: dict) -> str:
    base = card.get("base_model")
    if isinstance(base, list):
        base = base[0] if base else ""
    return str(base or "")[:300]


def _links(remote: huggingface.RemoteRepo, hub_url: str) -> dict:
    paper = next((t.split(":", 1)[1] for t in remote.tags if t.startswith("arxiv:")), None)
    homepage = remote.card_data.get("homepage") or remote.card_data.get("repo") or None
    return {"huggingface": hub_url, "homepage": homepage if isinstance(homepage, str) else None,
            "paper": f"https://arxiv.org/abs/{paper}" if paper else None}


def fetch_repository(repo: str, revision: str | None = None) -> ModelRepository:
    """Fetch `repo` from its hub, store it and its variants, and return it.

    Raises RemoteNotFound, RemoteUnauthorized, UpstreamUnavailable (and RateLimited) from the
    source, InvalidInput for a repo id no hub accepts."""
    if repo.startswith("civitai:"):
        from catalog import civitai_store

        return civitai_store.fetch_repository(repo)
    if not (is_hf_repo_id(repo) or is_hf_dataset_id(repo)):
        raise InvalidInput(_("“%(repo)s” is not a valid Hugging Face repository id (owner/name or "
                             "datasets/owner/name).") % {"repo": repo})
    remote = huggingface.fetch(repo, revision)
    return store(remote)


@transaction.atomic
def store(remote: huggingface.RemoteRepo) -> ModelRepository:
    from catalog import whole_repo

    dataset = remote.repo_type == RepoType.DATASET
    specs = build_dataset_variants(remote.files) if dataset else build_variants(remote.files)
    recommended = None if dataset else _pick_recommended(specs)
    card = remote.card_data
    base_model = _base_model(card)
    name = remote.repo.rsplit("/", 1)[-1]
    family = (quant.family_from_text(name, base_model, card.get("model_name") if isinstance(card.get("model_name"), str) else "")
              or quant.family_from_architecture(remote.gguf.get("architecture", ""))
              or quant.family_from_text(" ".join(remote.tags)))
    repository = ModelRepository.objects.select_for_update().filter(repo__iexact=remote.repo).first()
    if repository is None:
        repository = ModelRepository(repo=remote.repo, source=Source.HUGGINGFACE)
    repository.source = Source.HUGGINGFACE
    repository.repo_type = remote.repo_type
    repository.name = name
    repository.author = remote.repo.removeprefix("datasets/").split("/", 1)[0]
    repository.description = remote.description
    license_value = card.get("license")
    repository.license = (license_value if isinstance(license_value, str) else "")[:100]
    repository.tags = [t for t in remote.tags if ":" not in t][:50]
    repository.likes = remote.likes
    repository.downloads = remote.downloads
    repository.family = family[:64]
    repository.model_type = "Dataset" if dataset else _model_type(remote, specs)[:64]
    repository.base_model = base_model
    repository.gated = remote.gated
    repository.private = remote.private
    repository.access = remote.access
    repository.remote_revision = remote.sha
    repository.remote_last_modified = remote.last_modified
    # Kept across fetches: the attention shape read from a downloaded file (catalog.probe, catalog.fit).
    kept = {k: v for k, v in (repository.extra or {}).items() if k == "gguf_shape"}
    repository.extra = {**kept, "card_data": card, "pipeline_tag": remote.pipeline_tag, "library_name": remote.library_name,
                        "gguf": remote.gguf, "safetensors": remote.safetensors,
                        "files": whole_repo.pack_files(remote.files)}
    repository.synced_at = timezone.now()
    repository.save()
    repository.links = _links(remote, repository.hub_url)
    repository.save(update_fields=["links"])

    parameters_total = remote.gguf.get("total") or remote.safetensors.get("total")
    name_parameters = quant.parameters_from_text(name)
    existing = {v.filename: v for v in repository.variants.all()}
    seen = set()
    whole = existing.get(whole_repo.FILENAME)
    if whole is not None:
        # Asked for earlier: the same patterns over the new file list (an update if it changed).
        specs.append(whole_repo.spec(remote.files, whole.selection))
    for spec in specs:
        variant = existing.get(spec.filename) or ModelVariant(repository=repository, filename=spec.filename)
        seen.add(spec.filename)
        _apply(variant, spec, remote, spec is recommended)
        variant.parameters = variant.probed.get("parameters") or parameters_total or name_parameters
        variant.architecture = variant.probed.get("architecture") or remote.gguf.get("architecture", "")[:64]
        variant.context_length = variant.probed.get("context_length") or remote.gguf.get("context_length")
        variant.model_type = {ModelVariant.Role.MODEL: repository.model_type, ModelVariant.Role.MMPROJ: "mmproj"}.get(
            spec.role, repository.model_type)
        variant.base_model = base_model
        variant.save()
    # Files gone upstream: forget them unless a copy is on disk (that stays, flagged).
    for filename, variant in existing.items():
        if filename not in seen:
            variant.forget_upstream()
    fit.recommend(repository)  # the best-rated variant that fits this machine's GPU, else its RAM
    # No attention shape yet: a worker reads it from the first bytes of one GGUF file (Range request).
    probe.queue_remote_shape(repository)
    return repository


def _apply(variant: ModelVariant, spec: VariantSpec, remote: huggingface.RemoteRepo, recommended: bool) -> None:
    variant.role = spec.role
    variant.format = spec.format
    variant.is_recommended = recommended
    variant.quant_bits = spec.quant.bits if spec.quant else None
    variant.quant_method = spec.quant.method if spec.quant else ""
    variant.probed = variant.probed or {}
    extra = {"projectors": spec.projectors} if spec.projectors else {}
    if variant.local_path and variant.files and _fingerprint(variant.files) != _fingerprint(spec.files):
        # The file on disk no longer matches the remote: describe both, replace nothing.
        variant.update_available = True
        variant.update_details = {
            "checked_at": timezone.now().isoformat(),
            "old": {"sha256": variant.sha256, "size": variant.size, "revision": variant.downloaded_revision,
                    "files": variant.files},
            "new": {"sha256": spec.sha256, "size": spec.size, "revision": remote.sha, "files": spec.files},
            "changed_files": _changed(variant.files, spec.files),
            **extra,
        }
        return
    variant.update_available = False
    variant.update_details = extra
    variant.files = spec.files
    variant.size = spec.size
    variant.sha256 = spec.sha256


def _fingerprint(files: list[dict]) -> list[tuple]:
    # SHA-256 when known (LFS), else the git blob id: either changes with the content.
    return sorted((f.get("path"), f.get("sha256") or f.get("blob_id") or "", f.get("size")) for f in files)


def _changed(old: list[dict], new: list[dict]) -> list[str]:
    before = {f.get("path"): (f.get("sha256") or f.get("blob_id"), f.get("size")) for f in old}
    after = {f.get("path"): (f.get("sha256") or f.get("blob_id"), f.get("size")) for f in new}
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
