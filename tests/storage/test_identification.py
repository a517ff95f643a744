"""A scanned file is identified by its SHA-256 on (the emulated) Civitai and linked to the catalog."""

import pytest

from catalog.models import ModelRepository, ModelVariant
from storage import scan
from storage.models import LocalFile
from storage.usage import usage
from tests.fakehub.hub import FakeHub

pytestmark = pytest.mark.django_db

CONTENT = FakeHub.safetensors_bytes({"lora_up.weight": ("F16", [4, 4])}, metadata={"ss_network_module": "networks.lora"})


@pytest.fixture
def civitai(fakehub, settings):
    settings.CIVITAI_ENDPOINT = fakehub.civitai_url
    fakehub.add_civitai_model({
        "id": 4242, "name": "Dreamy Style", "type": "LORA", "nsfw": False,
        "modelVersions": [{
            "id": 5151, "name": "v1", "baseModel": "SD 1.5", "publishedAt": "2026-01-01T00:00:00.000Z",
            "files": [{"id": 6161, "name": "dreamy_style.safetensors", "sizeKB": len(CONTENT) / 1024,
                       "type": "Model", "primary": True, "metadata": {"format": "SafeTensor"}}],
        }],
    })
    fakehub.civitai_file_content(6161, CONTENT)
    return fakehub


def test_a_known_file_is_linked_to_its_civitai_model(civitai, make_file):
    make_file("loras/renamed-by-me.safetensors", content=CONTENT)

    result = scan.scan()

    assert result.identified == 1
    row = LocalFile.objects.get()
    assert row.source == "civitai" and row.model_type == "LORA" and row.base_model == "SD 1.5"
    repository = ModelRepository.objects.get(repo="civitai:4242")
    variant = ModelVariant.objects.get(repository=repository)
    assert row.variant == variant
    assert variant.civitai_version_id == 5151 and variant.civitai_file_id == 6161
    assert variant.local_path == "loras/renamed-by-me.safetensors"  # the catalog now shows it downloaded
    assert usage()["by_source"]["civitai"] == len(CONTENT)
    assert usage()["model_count"] == 1


def test_an_unknown_file_stays_a_local_file_and_is_asked_about_once(civitai, make_file):
    make_file("mine/unknown.safetensors", content=b"\x02\x00\x00\x00\x00\x00\x00\x00{}")
    scan.scan()
    row = LocalFile.objects.get()
    assert row.variant is None and row.source == "local" and row.identified_at is not None
    asked = len(civitai.requests_for("/by-hash/"))

    scan.scan()

    assert len(civitai.requests_for("/by-hash/")) == asked
    assert usage()["by_source"]["local"] == 10


def test_a_hub_outage_leaves_files_for_the_next_scan(make_file, settings):
    settings.CIVITAI_ENDPOINT = "http://127.0.0.1:9"  # nothing listens there
    settings.HUB_TIMEOUT = 1
    make_file("mine/a.safetensors", content=CONTENT)

    result = scan.scan()

    assert result.lookup_errors == 1 and result.identified == 0
    assert LocalFile.objects.get().identified_at is None
