"""storage.usage against a real directory holding files of known sizes."""

import shutil

import pytest

from storage import disk
from storage.models import LocalFile
from storage.usage import free_after_queue, known_entries, usage
from tests.factories import DownloadJobFactory, LocalFileFactory, ModelRepositoryFactory

pytestmark = pytest.mark.django_db

MB = 1024**2


def test_it_counts_downloaded_variants_and_imported_files(models_dir, downloaded_variant, make_file):
    hf = ModelRepositoryFactory(repo="acme/llama-GGUF", source="huggingface", model_type="LLM")
    civitai = ModelRepositoryFactory(repo="civitai:42", source="civitai", model_type="Checkpoint", base_model="SDXL 1.0")
    downloaded_variant("huggingface/acme/llama-GGUF/llama.Q4_K_M.gguf", 30 * MB, repository=hf)
    downloaded_variant("civitai/42/dream.safetensors", 20 * MB, repository=civitai, model_type="Checkpoint",
                       base_model="SDXL 1.0")
    make_file("mine/lora.safetensors", 5 * MB)
    LocalFileFactory(path="mine/lora.safetensors", size=5 * MB, model_type="LORA", base_model="SD 1.5")

    numbers = usage()

    assert numbers["model_count"] == 3
    assert numbers["models_bytes"] == 55 * MB
    assert numbers["by_source"] == {"huggingface": 30 * MB, "civitai": 20 * MB, "local": 5 * MB}
    assert numbers["by_type"] == {"LLM": 30 * MB, "Checkpoint": 20 * MB, "LORA": 5 * MB}
    assert numbers["by_base_model"] == {"SDXL 1.0": 20 * MB, "SD 1.5": 5 * MB}


def test_the_disk_numbers_are_those_of_the_filesystem_holding_the_models(models_dir):
    total, used, free = shutil.disk_usage(models_dir)
    numbers = usage()
    assert numbers["total_bytes"] == total
    assert abs(numbers["used_bytes"] - used) < 64 * MB  # other tests may write meanwhile
    assert abs(numbers["available_bytes"] - free) < 64 * MB
    assert disk.usage()["total_bytes"] == total


def test_a_split_gguf_set_counts_once(downloaded_variant):
    downloaded_variant("acme/big/big.Q8_0.gguf", 30 * MB, parts=3)
    numbers = usage()
    assert numbers["model_count"] == 1
    assert numbers["models_bytes"] == 30 * MB


def test_an_imported_split_set_counts_once(make_file):
    for i in (1, 2):
        make_file(f"loose/big-{i:05d}-of-00002.gguf", 4 * MB)
        LocalFileFactory(path=f"loose/big-{i:05d}-of-00002.gguf", size=4 * MB)
    entries = known_entries()
    assert len(entries) == 1
    assert entries[0].size == 8 * MB and entries[0].is_split


def test_files_that_are_gone_from_disk_do_not_count(downloaded_variant, models_dir):
    variant = downloaded_variant("acme/x/x.gguf", 3 * MB)
    (models_dir / variant.local_path).unlink()
    LocalFileFactory(path="nowhere/file.safetensors", size=10 * MB)
    assert usage()["model_count"] == 0


def test_partial_and_quarantined_files_are_not_models(make_file):
    make_file("a/b.gguf.part", MB)
    LocalFileFactory(path="a/b.gguf.part", size=MB, kind=LocalFile.Kind.PARTIAL)
    assert usage()["model_count"] == 0


def test_free_space_after_the_queue_subtracts_the_bytes_still_to_come():
    DownloadJobFactory(status="queued", size=10 * MB, bytes_done=0)
    DownloadJobFactory(status="downloading", size=10 * MB, bytes_done=4 * MB)
    DownloadJobFactory(status="completed", size=50 * MB, bytes_done=50 * MB)
    assert free_after_queue(100 * MB) == 84 * MB
