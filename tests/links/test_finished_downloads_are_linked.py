"""A download that completes (over real HTTP from the hub emulator) is linked into every enabled
app folder that takes its type, through downloads.signals.download_finished."""

import os

import pytest

from downloads import queue
from links.models import Link
from tests.downloads.conftest import download, run_job
from tests.factories import ModelRepositoryFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_downloaded_gguf_appears_in_lm_studios_publisher_repo_folder(hub, make_app, app_dir, models_dir):
    lms = make_app("lmstudio", app_dir)
    (app_dir.parent / "paused").mkdir()
    paused = make_app("lmstudio", app_dir.parent / "paused", enabled=False)
    content = hub.generated(200_000, seed=11)

    job = download(hub, "acme/linked-GGUF", {"linked.Q4_K_M.gguf": content})

    assert job.status == "completed", job.error
    link = app_dir / "acme/linked-GGUF/linked.Q4_K_M.gguf"
    assert os.stat(link).st_ino == os.stat(models_dir / job.variant.local_path).st_ino
    assert Link.objects.get().app == lms
    assert not any((app_dir.parent / "paused").iterdir()) and paused.links.count() == 0


def test_a_downloaded_civitai_lora_appears_in_comfyuis_loras_folder(hub, make_app, app_dir, models_dir):
    from catalog.models import ModelVariant

    make_app("comfyui", app_dir)
    model = {"id": 5151, "name": "Ink Wash", "type": "LORA", "modelVersions": [{
        "id": 515, "name": "v1", "baseModel": "SDXL 1.0",
        "files": [{"id": 51515, "name": "ink_wash.safetensors", "sizeKB": 100, "type": "Model", "primary": True,
                   "metadata": {"format": "SafeTensor"}}]}]}
    hub.add_civitai_model(model)
    content = hub.generated(100 * 1024, seed=51515)
    hub.civitai_file_content(51515, content)
    repository = ModelRepositoryFactory(repo="civitai:5151", source="civitai", name="Ink Wash", model_type="LORA")
    variant = ModelVariant.objects.create(
        repository=repository, filename="ink_wash.safetensors", size=content.size, sha256=content.sha256,
        files=[{"path": "ink_wash.safetensors", "size": content.size, "sha256": content.sha256}],
        civitai_version_id=515, civitai_file_id=51515, model_type="LORA")

    job = run_job(queue.enqueue(variant))

    assert job.status == "completed", job.error
    assert (app_dir / "models/loras/ink_wash.safetensors").read_bytes() == (
        models_dir / "civitai/LORA/Ink Wash-5151/ink_wash.safetensors").read_bytes()


@pytest.mark.parametrize("policy", ["replace", "archive"])
def test_an_update_leaves_the_app_folder_on_the_new_file(hub, make_app, app_dir, models_dir, policy):
    """A hard link keeps the old inode when the file is replaced: the update must re-link."""
    from catalog import updates as catalog_updates
    from downloads import updates
    from downloads.models import DownloadJob

    make_app("lmstudio", app_dir)
    job = download(hub, "acme/updated-GGUF", {"updated.Q4_K_M.gguf": hub.generated(120_000, seed=12)})
    assert job.status == "completed", job.error
    link = app_dir / "acme/updated-GGUF/updated.Q4_K_M.gguf"
    new_bytes = hub.generated(130_000, seed=13)
    hub.replace_hf_file("acme/updated-GGUF", "updated.Q4_K_M.gguf", new_bytes)
    assert catalog_updates.check_all() == 1

    item = updates.apply([job.variant_id], policy).items.get()
    assert item.outcome == "queued", item.message
    queue.run(item.job_id)
    assert DownloadJob.objects.get(pk=item.job_id).status == "completed"

    final = models_dir / job.variant.local_path
    assert final.read_bytes() == new_bytes.read()
    assert os.stat(link).st_ino == os.stat(final).st_ino
    assert Link.objects.get().source_path == job.variant.local_path
