"""A Hugging Face model repository: commits of files, with git/LFS identities like the real Hub."""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .content import BytesContent, Content, GeneratedContent

# Patterns of the Hub's default .gitattributes (plus *.gguf, which the Hub stores in LFS too).
LFS_EXTENSIONS = (
    ".7z", ".arrow", ".bin", ".bz2", ".ckpt", ".ftz", ".gz", ".h5", ".joblib", ".mlmodel", ".model",
    ".msgpack", ".npy", ".npz", ".onnx", ".ot", ".parquet", ".pb", ".pickle", ".pkl", ".pt", ".pth",
    ".rar", ".safetensors", ".tar", ".tflite", ".tgz", ".wasm", ".xz", ".zip", ".zst", ".gguf",
)
# The Hub's default .gitattributes of a new dataset repo adds media formats to the model list.
DATASET_LFS_EXTENSIONS = (
    ".lz4", ".mds", ".pcm", ".sam", ".raw", ".aac", ".flac", ".mp3", ".ogg", ".wav", ".bmp", ".gif", ".png",
    ".tiff", ".jpg", ".jpeg", ".webp", ".mp4", ".webm",
)
# Files above this size go to LFS whatever their name (the Hub rejects larger plain git blobs).
LFS_SIZE_THRESHOLD = 10 * 1024 * 1024

GITATTRIBUTES = "".join(
    f"*{ext} filter=lfs diff=lfs merge=lfs -text\n" for ext in LFS_EXTENSIONS
) + "*tfevents* filter=lfs diff=lfs merge=lfs -text\n"

DATASET_GITATTRIBUTES = GITATTRIBUTES + "".join(
    f"*{ext} filter=lfs diff=lfs merge=lfs -text\n" for ext in DATASET_LFS_EXTENSIONS)

EPOCH = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def is_lfs(path: str, content: Content, repo_type: str = "model") -> bool:
    name = path.lower()
    if repo_type == "dataset" and name.endswith(DATASET_LFS_EXTENSIONS):
        return True
    return name.endswith(LFS_EXTENSIONS) or "tfevents" in name or content.size > LFS_SIZE_THRESHOLD


def fingerprint(content: Content) -> str:
    """A cheap stable identity for commit ids (never hashes a large generated file)."""
    if isinstance(content, GeneratedContent):
        return content.cache_key
    if isinstance(content, BytesContent):
        return hashlib.sha1(content.data).hexdigest()
    return f"{type(content).__name__}:{content.size}:{id(content)}"


@dataclass
class FileEntry:
    path: str
    content: Content
    lfs: bool

    @property
    def size(self) -> int:
        return self.content.size

    @property
    def sha256(self) -> str:
        return self.content.sha256

    def lfs_pointer(self) -> bytes:
        return (
            "version https://git-lfs.github.com/spec/v1\n"
            f"oid sha256:{self.content.sha256}\nsize {self.content.size}\n"
        ).encode()

    @property
    def blob_id(self) -> str:
        """The git blob id: of the LFS pointer for LFS files, of the bytes otherwise."""
        cached = self.content.meta.get("_blob_id" if not self.lfs else "_lfs_blob_id")
        if cached:
            return cached
        if self.lfs:
            pointer = self.lfs_pointer()
            value = hashlib.sha1(f"blob {len(pointer)}\0".encode() + pointer).hexdigest()
            self.content.meta["_lfs_blob_id"] = value
        else:
            value = self.content.git_blob_sha1()
            self.content.meta["_blob_id"] = value
        return value

    def lfs_info(self, hash_key: str) -> dict | None:
        """`lfs` object; model-info names the hash `sha256`, the tree API names it `oid`."""
        if not self.lfs:
            return None
        return {hash_key: self.sha256, "size": self.size, "pointerSize": len(self.lfs_pointer())}


@dataclass
class Commit:
    sha: str
    date: datetime
    title: str
    files: dict[str, FileEntry]

    def directories(self) -> set[str]:
        dirs: set[str] = set()
        for path in self.files:
            parent = posixpath.dirname(path)
            while parent:
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        return dirs

    def tree_oid(self, directory: str) -> str:
        prefix = directory.rstrip("/") + "/"
        parts = sorted(f"{p}:{fingerprint(e.content)}" for p, e in self.files.items() if p.startswith(prefix))
        return hashlib.sha1(("tree\0" + "\n".join(parts)).encode()).hexdigest()


@dataclass
class HfRepo:
    id: str
    private: bool = False
    gated: bool | str = False
    card_data: dict | None = None
    likes: int = 0
    downloads: int = 0
    tags: list[str] = field(default_factory=list)
    pipeline_tag: str | None = None
    library_name: str | None = None
    created_at: datetime = EPOCH
    disabled: bool = False
    extra: dict = field(default_factory=dict)  # additional model-info keys (gguf, safetensors, config, ...)
    commits: list[Commit] = field(default_factory=list)
    branches: dict[str, str] = field(default_factory=dict)
    serial: int = 0  # creation order, used for the fake Mongo `_id`
    repo_type: str = "model"  # "model" | "dataset"

    @property
    def author(self) -> str:
        return self.id.split("/")[0]

    @property
    def key(self) -> str:
        """How the repo appears in URLs and fault keys: `owner/name`, or `datasets/owner/name`."""
        return f"datasets/{self.id}" if self.repo_type == "dataset" else self.id

    @property
    def object_id(self) -> str:
        return f"66aa{self.serial:020x}"

    @property
    def repo_hash(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()

    @property
    def head(self) -> Commit:
        return self.commit_by_sha(self.branches["main"])

    def commit_by_sha(self, sha: str) -> Commit:
        return next(c for c in self.commits if c.sha == sha)

    def resolve_revision(self, revision: str) -> Commit | None:
        """A branch name (or refs/heads/<name>, refs/pr/<n>) or a full commit id."""
        name = revision.removeprefix("refs/heads/")
        if name in self.branches:
            return self.commit_by_sha(self.branches[name])
        if len(revision) == 40:
            return next((c for c in self.commits if c.sha == revision.lower()), None)
        return None

    def commit(self, files: dict[str, Content], title: str, sha: str | None = None,
               when: datetime | None = None) -> Commit:
        parent = self.commits[-1].sha if self.commits else ""
        if sha is None:
            listing = "\n".join(f"{p}:{fingerprint(c)}" for p, c in sorted(files.items()))
            sha = hashlib.sha1(f"{self.id}\n{parent}\n{len(self.commits)}\n{title}\n{listing}".encode()).hexdigest()
        if when is None:
            when = (self.commits[-1].date + timedelta(days=3)) if self.commits else self.created_at + timedelta(hours=2)
        entries = {path: FileEntry(path, c, is_lfs(path, c, self.repo_type)) for path, c in files.items()}
        commit = Commit(sha=sha, date=when, title=title, files=entries)
        self.commits.append(commit)
        self.branches["main"] = sha
        return commit

    def derived_tags(self) -> list[str]:
        """Tags like the Hub computes them: library, formats, card license/base model, region."""
        tags: list[str] = []
        files = self.head.files if self.commits else {}
        if self.library_name:
            tags.append(self.library_name)
        if any(p.endswith(".gguf") for p in files):
            tags.append("gguf")
        if any(p.endswith(".safetensors") for p in files):
            tags.append("safetensors")
        tags.extend(self.tags)
        if self.pipeline_tag:
            tags.append(self.pipeline_tag)
        card = self.card_data or {}
        for tag in card.get("tags") or []:
            tags.append(tag)
        if card.get("license"):
            tags.append(f"license:{card['license']}")
        base = card.get("base_model")
        for base_model in [base] if isinstance(base, str) else (base or []):
            tags.append(f"base_model:{base_model}")
        tags.append("region:us")
        return list(dict.fromkeys(tags))


def readme_for(repo_id: str, card_data: dict | None) -> str:
    """A model card with YAML front matter generated from card_data."""
    lines = ["---"]
    for key, value in (card_data or {}).items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"- {item}" for item in value)
        elif isinstance(value, bool):
            lines.append(f"{key}: {str(value).lower()}")
        else:
            lines.append(f"{key}: {value}")
    lines.append("---")
    name = repo_id.split("/")[-1]
    lines += ["", f"# {name}", "", f"Model files for {name}. Generated by the Modella fake hub.", ""]
    return "\n".join(lines)
