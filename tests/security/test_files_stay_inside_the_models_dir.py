"""Path safety: reserved Windows device names are refused, downloads land as 0o644 files in 0o755
folders whatever the umask, and no rename or delete touches anything outside the models folder."""

import os
import stat
import tempfile
from pathlib import Path

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from modella.errors import InvalidFileName
from storage import disk
from tests.downloads.conftest import download

RESERVED = ["CON", "con", "PRN", "AUX", "NUL", "nul.gguf", "Nul.tar.gz", "COM1", "com9.safetensors", "LPT1",
            "lpt3.txt", "COM¹", "CON .gguf", "conin$", "a/NUL/b.gguf", "models/aux.json"]


@pytest.mark.parametrize("name", RESERVED)
def test_reserved_windows_names_are_refused(name, settings):
    settings.WINDOWS_SAFE_NAMES = True
    with pytest.raises(InvalidFileName):
        disk.safe_path(name)


@pytest.mark.parametrize("name", ["CONSOLE.gguf", "nullify.gguf", "COM10.txt", "lpt.gguf", "a/con-fig.json",
                                  "auxiliary/x.gguf", "com.gguf"])
def test_names_that_only_look_reserved_are_allowed(name, settings):
    settings.WINDOWS_SAFE_NAMES = True
    assert disk.safe_path(name).name == name.rsplit("/", 1)[-1]


def test_reserved_names_are_allowed_when_the_setting_is_off(settings):
    settings.WINDOWS_SAFE_NAMES = False
    assert disk.safe_path("nul.gguf").name == "nul.gguf"


@pytest.mark.parametrize("name", RESERVED[:12])
def test_a_hub_file_named_like_a_device_is_renamed_to_a_safe_name(name, settings):
    settings.WINDOWS_SAFE_NAMES = True
    safe = disk.sanitize_filename(name)
    assert disk.safe_path(safe)


@pytest.mark.django_db(transaction=True)
def test_a_download_is_written_0o644_in_0o755_folders_whatever_the_umask(hubs, models_dir):
    content = hubs.generated(40_000, seed=31)
    old = os.umask(0)  # the most permissive umask: nothing may come out group- or world-writable
    try:
        job = download(hubs, "acme/perm-GGUF", {"sub/perm.gguf": content})
    finally:
        os.umask(old)
    assert job.status == "completed", job.error
    final = models_dir / "huggingface/acme/perm-GGUF/sub/perm.gguf"
    assert stat.S_IMODE(final.stat().st_mode) == 0o644
    folder = final.parent
    while folder != models_dir:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o755, folder
        folder = folder.parent


def test_a_renamed_file_gets_0o755_folders_whatever_the_umask(models_dir):
    (models_dir / "a.gguf").write_bytes(b"x")
    old = os.umask(0)
    try:
        disk.rename("a.gguf", "new/deeper/a.gguf")
    finally:
        os.umask(old)
    assert stat.S_IMODE((models_dir / "new").stat().st_mode) == 0o755
    assert stat.S_IMODE((models_dir / "new/deeper").stat().st_mode) == 0o755


# --- fuzz: rename and delete never touch the outside -------------------------------------------
_parts = st.sampled_from(["a.gguf", "b.gguf", "sub", "..", ".", "", "escape", "link.gguf", "dirlink", "NUL",
                          "con.gguf", "x\x00y", "/", "~", "outside", "secret.txt", "a" * 300, "C:", "\\..\\x",
                          "sub/../..", "%2e%2e", "\u202egguf"])
_names = st.lists(_parts, min_size=1, max_size=5).map("/".join)
_ops = st.lists(st.tuples(st.sampled_from(["rename", "delete"]), _names, _names), min_size=1, max_size=8)


def _snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.is_symlink(), p.read_bytes() if p.is_file() else None,
                                       stat.S_IMODE(p.lstat().st_mode))
            for p in sorted(root.rglob("*"))}


@hsettings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=_ops)
def test_no_sequence_of_renames_and_deletes_touches_anything_outside(ops):
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        outside, models = base / "outside", base / "models"
        (outside / "dir").mkdir(parents=True)
        (outside / "secret.txt").write_bytes(b"secret")
        (outside / "dir" / "a.gguf").write_bytes(b"outside a")
        (models / "sub").mkdir(parents=True)
        (models / "a.gguf").write_bytes(b"a")
        (models / "sub" / "b.gguf").write_bytes(b"b")
        (models / "link.gguf").symlink_to(outside / "secret.txt")
        (models / "dirlink").symlink_to(outside / "dir")
        (models / "escape").symlink_to(base)
        (base / "sibling.gguf").write_bytes(b"sibling")
        before_outside = _snapshot(outside)
        with override_settings(MODELS_DIR=models, WINDOWS_SAFE_NAMES=True):
            for op, first, second in ops:
                try:
                    if op == "rename":
                        disk.rename(first, second)
                    else:
                        disk.delete(first)
                except (InvalidFileName, OSError):
                    pass
        assert _snapshot(outside) == before_outside
        assert (base / "sibling.gguf").read_bytes() == b"sibling"
        assert sorted(p.name for p in base.iterdir()) == ["models", "outside", "sibling.gguf"]
