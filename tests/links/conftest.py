"""Helpers for the app folder tests: real model files in the test's models directory, app folders
beside it (same filesystem) or on a second filesystem, and registered apps."""

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from links import registry
from storage.models import LocalFile
from tests.factories import ModelRepositoryFactory, ModelVariantFactory


def write(path: Path, content: bytes = b"model bytes") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture
def app_dir(tmp_path):
    """An app's folder on the same filesystem as the models directory."""
    path = tmp_path / "apps" / "app"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def other_fs_dir(models_dir, tmp_path):
    """A folder on another filesystem than the models directory: /dev/shm (a tmpfs), else a tmpfs
    this test mounts when it runs as root; the test is skipped only when neither is possible."""
    models_dev = os.stat(models_dir).st_dev
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and os.stat(shm).st_dev != models_dev:
        path = shm / f"modella-links-{uuid.uuid4().hex}"
        path.mkdir()
        yield path
        shutil.rmtree(path, ignore_errors=True)
        return
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)], capture_output=True).returncode == 0
    if not mounted or os.stat(mount_point).st_dev == models_dev:
        pytest.skip("no second filesystem: /dev/shm is missing or shares the models directory's filesystem, "
                    "and mounting a tmpfs needs root")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], capture_output=True)


@pytest.fixture
def make_app(db):
    def make(kind="comfyui", root=None, **fields):
        data = {"name": fields.pop("name", f"{kind}-{uuid.uuid4().hex[:6]}"), "kind": kind, "root": str(root)}
        data.update(fields)
        return registry.save_app(None, data)

    return make


@pytest.fixture
def civitai_model(models_dir, db):
    """A downloaded Civitai model of `model_type` at civitai/<type>/<name>/<filename>."""

    def make(model_type: str, filename: str, model_id: int = 100, content: bytes = b"civitai weights"):
        repository = ModelRepositoryFactory(repo=f"civitai:{model_id}", source="civitai", model_type=model_type,
                                            name=f"Model {model_id}", author="someone")
        relative = f"civitai/{model_type}/Model {model_id}-{model_id}/{filename}"
        write(models_dir / relative, content)
        return ModelVariantFactory(repository=repository, filename=filename, format=filename.rsplit(".", 1)[-1],
                                   model_type=model_type, local_path=relative,
                                   files=[{"path": filename, "size": len(content), "sha256": ""}])

    return make


@pytest.fixture
def hf_model(models_dir, db):
    """A downloaded Hugging Face variant at huggingface/<owner>/<name>/<filename> (all parts)."""

    def make(repo: str, filenames, model_type: str = "LLM", probed: dict | None = None):
        filenames = [filenames] if isinstance(filenames, str) else list(filenames)
        owner, name = repo.split("/", 1)
        repository = ModelRepositoryFactory(repo=repo, author=owner, name=name, model_type=model_type)
        for filename in filenames:
            write(models_dir / f"huggingface/{repo}/{filename}", b"gguf " + filename.encode())
        return ModelVariantFactory(repository=repository, filename=filenames[0], model_type=model_type,
                                   local_path=f"huggingface/{repo}/{filenames[0]}", probed=probed or {},
                                   files=[{"path": f, "size": 5, "sha256": ""} for f in filenames])

    return make


@pytest.fixture
def local_model(models_dir, db):
    """A file a scan imported (no catalog variant): `relative` inside the models directory."""

    def make(relative: str, model_type: str, content: bytes = b"local weights"):
        path = write(models_dir / relative, content)
        info = path.stat()
        return LocalFile.objects.create(path=relative, size=info.st_size, mtime=info.st_mtime, inode=info.st_ino,
                                        model_type=model_type, source="local")

    return make
