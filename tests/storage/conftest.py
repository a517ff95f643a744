"""Helpers for the storage tests: real files of known sizes in the test's models directory."""

import os
from pathlib import Path

import pytest

from tests.factories import ModelRepositoryFactory, ModelVariantFactory


def write_file(models_dir: Path, relative: str, size: int = 0, content: bytes | None = None) -> Path:
    path = models_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if content is not None:
        path.write_bytes(content)
    else:
        with open(path, "wb") as fh:
            fh.truncate(size)  # sparse: the size is real, the blocks are not
    return path


@pytest.fixture
def make_file(models_dir):
    return lambda relative, size=0, content=None: write_file(models_dir, relative, size, content)


@pytest.fixture
def downloaded_variant(models_dir, db):
    """A catalog variant whose verified file (or split set) is in the models directory."""

    def make(relative: str, size: int, repository=None, parts: int = 1, **fields):
        repository = repository or ModelRepositoryFactory()
        folder, _, name = relative.rpartition("/")
        if parts == 1:
            write_file(models_dir, relative, size)
            files = [{"path": name, "size": size, "sha256": ""}]
            local_path, filename = relative, name
        else:
            stem = name.removesuffix(".gguf")
            names = [f"{stem}-{i:05d}-of-{parts:05d}.gguf" for i in range(1, parts + 1)]
            files = []
            for part in names:
                write_file(models_dir, f"{folder}/{part}" if folder else part, size // parts)
                files.append({"path": part, "size": size // parts, "sha256": ""})
            local_path = f"{folder}/{names[0]}" if folder else names[0]
            filename = names[0]
        return ModelVariantFactory(
            repository=repository, filename=filename, files=files, size=sum(f["size"] for f in files),
            local_path=local_path, **fields,
        )

    return make


def disk_size(path: Path) -> int:
    return os.stat(path).st_size
