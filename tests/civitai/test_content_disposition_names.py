"""File names from Civitai (the API's names and the storage's Content-Disposition) are
sanitised: a hostile name never leaves the model's folder."""

import copy

import pytest

from catalog import civitai_store
from catalog.models import ModelVariant
from catalog.sources import civitai
from downloads import queue
from downloads.engine import parse_content_disposition
from tests.fakehub.catalog_seed import civitai_specs

HOSTILE = [
    ("../../../etc/passwd.safetensors", "passwd.safetensors"),
    ("..\\..\\windows\\evil.safetensors", "evil.safetensors"),
    ("/absolute/path.safetensors", "path.safetensors"),
    ("name\u202egnp.safetensors", "namegnp.safetensors"),
    ("..", "civitai-7901.safetensors"),
    ("CON:stream.safetensors", None),
]


def hostile_model(hub, name: str) -> None:
    model = copy.deepcopy(next(m for m, _flags, _c in civitai_specs() if m["id"] == 4216))
    model["id"] = 4290
    version = model["modelVersions"][0]
    version["id"] = 6901
    version["files"] = [{**version["files"][0], "id": 7901, "name": name}]
    hub.add_civitai_model(model)
    hub.civitai_file_content(7901, b"x" * 2048)


@pytest.mark.parametrize(("name", "expected"), HOSTILE)
def test_hostile_names_are_sanitised_by_the_client(civ, name, expected):
    hostile_model(civ, name)
    target = civitai.resolve_download(6901)  # the name from the storage's Content-Disposition
    stored = civitai.get_model(4290)["versions"][0]["files"][0]["filename"]  # the API's name
    for value in (target["filename"], stored):
        assert value and "/" not in value and "\\" not in value and not value.startswith(".")
        assert "\u202e" not in value and ":" not in value
    if expected:
        assert stored == expected


@pytest.mark.parametrize(("header", "name"), [
    ('attachment; filename="lora.safetensors"', "lora.safetensors"),
    ("attachment; filename*=UTF-8''%E2%80%AEevil%2F..%2Fx.safetensors", "x.safetensors"),
    ('attachment; filename="../../.bashrc"', "bashrc"),
])
def test_content_disposition_values_become_safe_names(header, name):
    from storage.disk import sanitize_filename

    assert sanitize_filename(parse_content_disposition(header)) == name


@pytest.mark.django_db(transaction=True)
def test_a_hostile_name_downloads_inside_the_models_folder(civ, user, models_dir, settings):
    settings.STALL_SECONDS = 1
    settings.DOWNLOAD_CONNECTIONS = 1
    hostile_model(civ, "../../../../outside.safetensors")
    job = civitai_store.queue_file(4290, 7901, user=user)
    queue.run(job.pk)
    job.refresh_from_db()

    assert job.status == "completed", job.error
    variant = ModelVariant.objects.get(civitai_file_id=7901)
    assert variant.filename == "outside.safetensors"
    assert (models_dir / "civitai/LORA/Tiny Test LoRA-4290/outside.safetensors").exists()
    assert not (models_dir.parent / "outside.safetensors").exists()
    assert civitai_store.store(civitai.get_model(4290)).variants.count() == 1
