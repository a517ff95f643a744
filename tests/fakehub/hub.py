"""FakeHub: the public object tests use to run and script the emulated hubs."""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime
from urllib.parse import quote

from . import formats
from .cdn import CdnRoutes
from .civitai import CivitaiRoutes
from .civitai_store import CivitaiStore
from .content import BytesContent, Content, GeneratedContent, as_content
from .faults import Fault, FaultBook
from .hf import HfRoutes
from .hf_repo import DATASET_GITATTRIBUTES, EPOCH, GITATTRIBUTES, Commit, FileEntry, HfRepo, readme_for
from .server import Listener, RequestRecord
from .signing import Signer


def default_hf_tokens() -> dict[str, dict]:
    from .catalog_seed import GATED_AUTO, GATED_MANUAL

    return {
        # may read every gated repo, and owns the private repo (modella-tester/...)
        "hf_good": {"name": "modella-tester", "granted": {GATED_AUTO, GATED_MANUAL}, "pending": set()},
        # asked for access to the manual gated repo; still waiting
        "hf_pending": {"name": "pending-user", "granted": set(), "pending": {GATED_MANUAL}},
        # a valid token with no grants at all
        "hf_nogrant": {"name": "other-user", "granted": set(), "pending": set()},
    }


class FakeHub:
    """Local Hugging Face Hub + CDN + Civitai emulator on three 127.0.0.1 ports.

    `FakeHub(port=P)` uses P, P+1, P+2 (hub, cdn, civitai); the default picks free ports.
    """

    def __init__(self, port: int | None = None, seed: bool = True, verbose: bool = False) -> None:
        self._seed = seed
        self._verbose = verbose
        self._port = port
        self._lock = threading.RLock()
        self._log_lock = threading.Lock()
        self._generation = 0
        self._listeners: dict[str, Listener] = {}
        self.signer = Signer()
        self.faults = FaultBook()
        self.civitai = CivitaiStore()
        self._requests: list[RequestRecord] = []
        self._hf_repos: dict[str, HfRepo] = {}
        self._serial = 0
        self._set_defaults()

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> FakeHub:
        if self._listeners:
            return self
        routes = {"hub": HfRoutes(self), "cdn": CdnRoutes(self), "civitai": CivitaiRoutes(self)}
        for offset, (name, router) in enumerate(routes.items()):
            port = 0 if self._port is None else self._port + offset
            self._listeners[name] = Listener(name, router, self._log, lambda: self._generation, port=port,
                                             verbose=self._verbose)
        for listener in self._listeners.values():
            listener.start()
        self.reset()
        return self

    def stop(self) -> None:
        self._generation += 1
        for listener in self._listeners.values():
            listener.stop()
        self._listeners.clear()

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def hf_url(self) -> str:
        return self._listeners["hub"].url

    @property
    def cdn_url(self) -> str:
        return self._listeners["cdn"].url

    @property
    def civitai_url(self) -> str:
        return self._listeners["civitai"].url

    def _set_defaults(self) -> None:
        self.hf_tokens: dict[str, dict] = default_hf_tokens()
        self.civitai_tokens: set[str] = {"civ_good"}
        # token -> version ids whose Early Access the token has bought
        self.civitai_purchases: dict[str, set[int]] = {}
        # the site setting UNAUTHENTICATED_DOWNLOAD: when False every anonymous download is 401
        self.civitai_anonymous_downloads = True
        # True: every /api/v1/models answer is 503; an int N: the next N answers are
        self.civitai_overloaded: bool | int = False
        self.tree_page_size = 1000
        # True: regular files answer a relative 307 to /api/resolve-cache/... first, as the real Hub may
        self.hf_resolve_cache = False
        self.search_page_size = 1000

    def reset(self) -> None:
        """Back to the seeded demo catalog; faults, request log, tokens and switches restored."""
        from .catalog_seed import seed_catalog

        with self._lock:
            self._generation += 1  # aborts stalled or throttled responses of the previous test
            self.faults.clear()
            self.clear_requests()
            self._hf_repos.clear()
            self._serial = 0
            self.civitai = CivitaiStore()
            self._set_defaults()
            if self._seed:
                seed_catalog(self)

    # ---- request log ----------------------------------------------------------------------
    def _log(self, record: RequestRecord) -> None:
        with self._log_lock:
            self._requests.append(record)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._log_lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._log_lock:
            self._requests.clear()

    def requests_for(self, path_substring: str, listener: str | None = None) -> list[RequestRecord]:
        return [r for r in self.requests
                if path_substring in r.target and (listener is None or r.listener == listener)]

    def bytes_sent_for(self, path_substring: str) -> int:
        return sum(r.bytes_sent for r in self.requests_for(path_substring))

    # ---- faults ---------------------------------------------------------------------------
    def set_fault(self, key: str, fault: Fault | list[Fault]) -> None:
        """Script a fault (or a list: one per body request) for "repo_id/path" or "civitai:<fileId>"."""
        self.faults.set(key, fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def _take_overload(self) -> bool:
        with self._lock:
            if self.civitai_overloaded is True:
                return True
            if isinstance(self.civitai_overloaded, int) and self.civitai_overloaded > 0:
                self.civitai_overloaded -= 1
                return True
            return False

    # ---- content helpers ------------------------------------------------------------------
    @staticmethod
    def generated(size: int, seed: int = 0, prefix: bytes = b"") -> GeneratedContent:
        """`size` bytes generated on the fly (never stored); `.sha256` is computed once and cached."""
        return GeneratedContent(size, seed, prefix)

    @staticmethod
    def gguf_bytes(arch: str = "llama", n_params_hint: float = 1.1e9, quant: str = "Q4_K_M",
                   context_length: int = 4096, name: str | None = None, chat_template: str | None = None,
                   extra: dict | None = None, tensor_elements: int = 256, vocab_size: int = 0) -> bytes:
        """A real small GGUF file written with gguf.GGUFWriter (with a tokenizer if `vocab_size`)."""
        return formats.gguf_bytes(arch, n_params_hint, quant, context_length, name, chat_template,
                                  tuple(sorted((extra or {}).items())), tensor_elements, vocab_size)

    @classmethod
    def gguf_file(cls, arch: str = "llama", n_params_hint: float = 1.1e9, quant: str = "Q4_K_M",
                  context_length: int = 4096, **kwargs) -> Content:
        """gguf_bytes(...) as Content, with the metadata the Hub shows in model-info `gguf`."""
        data = cls.gguf_bytes(arch, n_params_hint, quant, context_length, **kwargs)
        meta = {"gguf": {"total": int(n_params_hint), "architecture": arch, "context_length": context_length}}
        return BytesContent(data, meta)

    @staticmethod
    def generated_gguf(size: int, seed: int = 0, arch: str = "llama", n_params_hint: float = 7e9,
                       quant: str = "Q4_K_M", context_length: int = 4096, name: str | None = None) -> Content:
        """A large GGUF: real header and metadata, generated tensor bytes."""
        prefix = formats.gguf_header_prefix(size, arch, n_params_hint, quant, context_length, name)
        meta = {"gguf": {"total": int(n_params_hint), "architecture": arch, "context_length": context_length}}
        return GeneratedContent(size, seed, prefix, meta)

    @staticmethod
    def safetensors_bytes(tensors: dict[str, tuple[str, list[int]]], metadata: dict | None = None,
                          seed: int = 0) -> bytes:
        return formats.safetensors_bytes(tensors, metadata, seed)

    @staticmethod
    def generated_safetensors(size: int, seed: int, tensors: dict[str, tuple[str, list[int]]],
                              metadata: dict | None = None, parameters: dict[str, int] | None = None) -> Content:
        """A large safetensors file: real header, generated data (a filler tensor pads it to `size`)."""
        prefix = formats.safetensors_header_prefix(size, tensors, metadata)
        meta = {"safetensors": parameters} if parameters else {}
        return GeneratedContent(size, seed, prefix, meta)

    # ---- Hugging Face content -------------------------------------------------------------
    def add_hf_repo(self, repo_id: str, files: dict[str, Content | bytes | str], gated: bool | str = False,
                    private: bool = False, card_data: dict | None = None, likes: int = 0, downloads: int = 0,
                    tags: list[str] | None = None, pipeline_tag: str | None = None,
                    library_name: str | None = None, revision_sha: str | None = None,
                    created_at: datetime | None = None, extra: dict | None = None,
                    commit_title: str = "Upload folder using huggingface_hub") -> HfRepo:
        """Add (or replace) a model repo with one commit on `main`.

        `.gitattributes` and a `README.md` (from card_data) are added unless given, as on the Hub.
        `extra` adds model-info keys (e.g. "gguf", "safetensors", "config", "transformersInfo").
        """
        contents = {path: as_content(c) for path, c in files.items()}
        contents.setdefault(".gitattributes", BytesContent(GITATTRIBUTES.encode()))
        contents.setdefault("README.md", BytesContent(readme_for(repo_id, card_data).encode()))
        with self._lock:
            self._serial += 1
            repo = HfRepo(id=repo_id, private=private, gated=gated, card_data=copy.deepcopy(card_data),
                          likes=likes, downloads=downloads, tags=list(tags or []), pipeline_tag=pipeline_tag,
                          library_name=library_name, created_at=created_at or EPOCH, extra=dict(extra or {}),
                          serial=self._serial)
            repo.commit(contents, commit_title, sha=revision_sha)
            self._hf_repos[repo_id.lower()] = repo
        return repo

    def add_hf_dataset(self, repo_id: str, files: dict[str, Content | bytes | str], gated: bool | str = False,
                       private: bool = False, card_data: dict | None = None, likes: int = 0, downloads: int = 0,
                       tags: list[str] | None = None, revision_sha: str | None = None,
                       commit_title: str = "Upload dataset") -> HfRepo:
        """Add (or replace) a dataset repo: API under /api/datasets/, files under /datasets/<id>/resolve/.

        Other methods take it as "datasets/<owner>/<name>" (faults too: "datasets/owner/name/path")."""
        contents = {path: as_content(c) for path, c in files.items()}
        contents.setdefault(".gitattributes", BytesContent(DATASET_GITATTRIBUTES.encode()))
        contents.setdefault("README.md", BytesContent(readme_for(repo_id, card_data).encode()))
        with self._lock:
            self._serial += 1
            repo = HfRepo(id=repo_id, private=private, gated=gated, card_data=copy.deepcopy(card_data),
                          likes=likes, downloads=downloads, tags=list(tags or []), serial=self._serial,
                          repo_type="dataset")
            repo.commit(contents, commit_title, sha=revision_sha)
            self._hf_repos[repo.key.lower()] = repo
        return repo

    def replace_hf_file(self, repo_id: str, path: str, new_content: Content | bytes | str,
                        title: str | None = None) -> Commit:
        """Commit a new version of one file (new commit sha on main; LFS files get a new sha256)."""
        return self.commit_hf_files(repo_id, {path: new_content}, title=title or f"Update {path}")

    def commit_hf_files(self, repo_id: str, changes: dict[str, Content | bytes | str | None],
                        title: str = "Update files", when: datetime | None = None) -> Commit:
        """A new commit on main: add/replace files, or delete them with a None value."""
        with self._lock:
            repo = self._hf_repos[repo_id.lower()]
            files = {p: e.content for p, e in repo.head.files.items()}
            for path, content in changes.items():
                if content is None:
                    files.pop(path, None)
                else:
                    files[path] = as_content(content)
            return repo.commit(files, title, when=when or datetime.now(UTC))

    def create_hf_branch(self, repo_id: str, name: str, files: dict[str, Content | bytes | str] | None = None,
                         title: str = "Open pull request") -> Commit:
        """A branch (e.g. "refs/pr/1") off main, optionally with changed files; main is left alone."""
        with self._lock:
            repo = self._hf_repos[repo_id.lower()]
            main = repo.branches["main"]
            merged = {p: e.content for p, e in repo.head.files.items()} | {
                p: as_content(c) for p, c in (files or {}).items()}
            commit = repo.commit(merged, title)
            repo.branches["main"] = main
            repo.branches[name] = commit.sha
            return commit

    def remove_hf_repo(self, repo_id: str) -> None:
        with self._lock:
            self._hf_repos.pop(repo_id.lower(), None)

    def hf_repo(self, repo_id: str) -> HfRepo | None:
        return self._hf_repos.get(repo_id.lower())

    def hf_repo_list(self) -> list[HfRepo]:
        with self._lock:
            return list(self._hf_repos.values())

    def hf_file_url(self, repo_id: str, path: str, revision: str = "main") -> str:
        # A dataset is named "datasets/owner/name": its resolve URL has the same prefix.
        return f"{self.hf_url}/{repo_id}/resolve/{quote(revision, safe='')}/{quote(path)}"

    @staticmethod
    def cdn_lfs_path(repo: HfRepo, entry: FileEntry) -> str:
        h = repo.repo_hash
        return f"/repos/{h[:2]}/{h[2:4]}/{h}/{entry.sha256}"

    def lfs_object(self, repo_hash: str, sha256: str) -> tuple[str, FileEntry, datetime] | None:
        """The LFS blob behind a CDN path: (fault key, entry, commit date), any commit of the repo."""
        repos = [r for r in self.hf_repo_list() if r.repo_hash == repo_hash]
        for computed_only in (True, False):  # avoid hashing unrelated large files when possible
            for repo in repos:
                for commit in reversed(repo.commits):
                    for entry in commit.files.values():
                        if not entry.lfs or (computed_only and entry.content._digests is None):
                            continue
                        if entry.sha256 == sha256:
                            return f"{repo.key}/{entry.path}", entry, commit.date
        return None

    # ---- Civitai content ------------------------------------------------------------------
    def add_civitai_model(self, model: dict, *, require_auth: bool = False,
                          early_access_deadline: str | None = None) -> dict:
        """Add a model in the public API shape (id, name, type, modelVersions[files, images], ...).

        Files get generated content of round(sizeKB*1024) bytes unless set with civitai_file_content;
        `hashes` and `downloadUrl` are always computed by the emulator.
        """
        return self.civitai.add(model, require_auth, early_access_deadline)

    def remove_civitai_model(self, model_id: int) -> None:
        self.civitai.remove(model_id)

    def civitai_file_content(self, file_id: int, content: Content | bytes) -> None:
        self.civitai.set_content(file_id, content)

    def civitai_download_url(self, version_id: int, **params: str) -> str:
        from urllib.parse import urlencode

        query = f"?{urlencode(params)}" if params else ""
        return f"{self.civitai_url}/api/download/models/{version_id}{query}"
