"""§5 #19: names from repositories and Content-Disposition never leave the models directory."""

import os

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from downloads import queue
from downloads.engine import parse_content_disposition
from modella.errors import InvalidFileName
from storage.disk import safe_path, sanitize_filename
from tests.factories import ModelRepositoryFactory, ModelVariantFactory

HOSTILE = ["../../x", "/etc/passwd", "C:\\x", "c:x", "a/../../b", "a\0b", "x" * 300, "evil\u202egguf.exe",
           "..", ".", "", "a//b", "a\\..\\b", "a\nb"]


@pytest.mark.parametrize("name", HOSTILE)
def test_safe_path_refuses_hostile_names(name):
    with pytest.raises(InvalidFileName) as error:
        safe_path(name)
    assert error.value.code == "invalid_file_name"


def test_safe_path_refuses_a_symlink_out_of_the_models_directory(models_dir, tmp_path):
    (models_dir / "link").symlink_to(tmp_path)
    with pytest.raises(InvalidFileName):
        safe_path("link/escape.gguf")


def test_safe_path_accepts_ordinary_nested_names(models_dir):
    assert safe_path("huggingface/acme/x-GGUF/sub/x.Q4_K_M.gguf") == models_dir / "huggingface/acme/x-GGUF/sub/x.Q4_K_M.gguf"


@pytest.mark.parametrize("header, expected", [
    ("attachment; filename*=UTF-8''..%2F..%2Fevil.safetensors", "evil.safetensors"),
    ('attachment; filename="../../etc/passwd"', "passwd"),
    ('inline; filename="C:\\\\Windows\\\\x.dll"', "x.dll"),
    ("attachment; filename*=UTF-8''caf%C3%A9%E2%80%AE.gguf", "café.gguf"),
    ('attachment; filename="..."', "download"),
])
def test_content_disposition_names_are_sanitised_to_a_basename(header, expected):
    assert sanitize_filename(parse_content_disposition(header)) == expected


def test_an_overlong_name_is_trimmed_keeping_its_extension():
    name = sanitize_filename("a" * 400 + ".safetensors")
    assert len(name.encode()) <= 255 and name.endswith(".safetensors")


@hsettings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=0, max_size=300))
def test_nothing_safe_path_accepts_is_outside_the_models_directory(models_dir, name):
    try:
        path = safe_path(name)
    except InvalidFileName:
        return
    root = os.path.realpath(models_dir)
    assert os.path.realpath(path).startswith(root + os.sep)


@hsettings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=0, max_size=400))
def test_every_sanitised_name_is_a_safe_single_component(models_dir, name):
    clean = sanitize_filename(name)
    path = safe_path(clean)
    assert path.parent == models_dir.resolve() or path.parent == models_dir
    assert len(clean.encode()) <= 255


@pytest.mark.django_db
def test_a_repository_file_named_to_escape_is_refused_at_enqueue(models_dir, settings):
    settings.STORAGE_RESERVE_BYTES = 0
    repo = ModelRepositoryFactory(repo="acme/evil", author="acme", name="evil")
    variant = ModelVariantFactory(repository=repo, filename="../../../evil.gguf", size=10,
                                  files=[{"path": "../../../evil.gguf", "size": 10, "sha256": ""}])
    with pytest.raises(InvalidFileName):
        queue.enqueue(variant)
    assert not any(models_dir.parent.glob("evil.gguf"))
