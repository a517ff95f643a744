"""Whole-repository downloads against the emulator: every file (or the ones matching patterns) of a
transformers / diffusers layout, with its folders, verified file by file and resumed by Range."""

import hashlib
import json

import pytest

from catalog.models import ModelVariant
from catalog.sync import fetch_repository
from catalog.whole_repo import FILENAME
from downloads.models import DownloadJob
from storage import scan
from storage.models import LocalFile
from tests.downloads.conftest import run_job
from tests.fakehub import Fault

pytestmark = pytest.mark.django_db(transaction=True)

REPO = "acme/tiny-diffusion"
UNET = 2 * 1024 * 1024
CONFIG = json.dumps({"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2DConditionModel"]})


def _add_diffusers_repo(hub):
    files = {
        "model_index.json": CONFIG,
        "unet/config.json": json.dumps({"sample_size": 64, "in_channels": 4}),
        "unet/diffusion_pytorch_model.safetensors": hub.generated(UNET, seed=31),
        "text_encoder/config.json": json.dumps({"hidden_size": 32}),
        "text_encoder/model.safetensors": hub.generated(300_000, seed=32),
        "text_encoder/model.bin": hub.generated(200_000, seed=33),
        "tokenizer/vocab.txt": "hello\nworld\n",
        "scheduler/__init__.py": "",
    }
    return hub.add_hf_repo(REPO, files=files, library_name="diffusers", pipeline_tag="text-to-image")


def _queue(api_client, **body):
    response = api_client.post("/api/v1/downloads", {"repo": REPO, "whole_repository": True, **body}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def _cdn_gets(hub, sha256):
    return [r for r in hub.requests_for(sha256) if r.listener == "cdn" and r.method == "GET"]


def test_a_whole_repository_keeps_its_folders_and_verifies_every_file(api_client, hub, models_dir):
    repo = _add_diffusers_repo(hub)
    item = _queue(api_client, exclude=["*.bin"], priority="high")

    expected = sorted(p for p in repo.head.files if not p.endswith(".bin"))
    assert item["filename"] == FILENAME
    assert item["files_total"] == len(expected) and item["files_done"] == 0
    assert sorted(f["path"] for f in item["files"]) == expected
    job = DownloadJob.objects.get(pk=item["id"])
    assert job.revision == repo.head.sha  # pinned to the commit the file list came from

    job = run_job(job)
    assert job.status == "completed", job.error
    folder = models_dir / "huggingface" / REPO
    for path in expected:
        entry = repo.head.files[path]
        data = (folder / path).read_bytes()
        assert len(data) == entry.size
        if entry.lfs:
            assert hashlib.sha256(data).hexdigest() == entry.sha256
        else:  # small regular files: the git blob id is what the Hub lists
            assert hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() == entry.blob_id
    assert not (folder / "text_encoder/model.bin").exists()
    assert (folder / "scheduler/__init__.py").read_bytes() == b""
    assert not list(folder.rglob("*.part"))
    done = api_client.get(f"/api/v1/downloads/{job.pk}").json()
    assert done["files_done"] == done["files_total"] == len(expected)
    variant = ModelVariant.objects.get(repository__repo=REPO, filename=FILENAME)
    assert variant.role == "repository" and variant.is_downloaded
    assert variant.selection == {"include": [], "exclude": ["*.bin"]}
    # A storage scan knows every file as part of the download, subfolders included.
    scan.scan(identify_files=False)
    assert not LocalFile.objects.filter(path__startswith=f"huggingface/{REPO}/", variant__isnull=True).exists()


def test_include_patterns_pick_files_and_folders_like_allow_patterns(api_client, hub):
    _add_diffusers_repo(hub)
    item = _queue(api_client, include=["*.json", "unet/"])
    assert sorted(f["path"] for f in item["files"]) == [
        "model_index.json", "text_encoder/config.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors"]


def test_a_dropped_connection_resumes_the_file_by_range_without_refetching(api_client, hub, models_dir):
    repo = _add_diffusers_repo(hub)
    unet = repo.head.files["unet/diffusion_pytorch_model.safetensors"]
    cut = int(UNET * 0.41)
    hub.set_fault(f"{REPO}/unet/diffusion_pytorch_model.safetensors", Fault(drop_after_bytes=cut))
    item = _queue(api_client, include=["unet/*"])

    job = run_job(DownloadJob.objects.get(pk=item["id"]))
    assert job.status == "completed", job.error
    gets = _cdn_gets(hub, unet.sha256)
    assert [g.range for g in gets] == [None, f"bytes={cut}-"]
    assert hub.bytes_sent_for(unet.sha256) < UNET * 1.05
    data = (models_dir / "huggingface" / REPO / "unet/diffusion_pytorch_model.safetensors").read_bytes()
    assert hashlib.sha256(data).hexdigest() == unet.sha256


def test_an_interrupted_job_keeps_finished_files_and_resumes_the_current_one(api_client, hub, models_dir):
    repo = _add_diffusers_repo(hub)
    unet = repo.head.files["unet/diffusion_pytorch_model.safetensors"]
    cut = int(UNET * 0.6)
    # The big file's connection drops at 60 %, then its storage refuses (a fatal 404): the job fails.
    hub.set_fault(f"{REPO}/unet/diffusion_pytorch_model.safetensors",
                  [Fault(drop_after_bytes=cut), Fault(fail_first=1, fail_status=404)])
    item = _queue(api_client, include=["model_index.json", "unet/*"])
    job = run_job(DownloadJob.objects.get(pk=item["id"]))
    assert job.status == "failed"
    done = {f["path"] for f in job.files if f.get("done")}
    assert done == {"model_index.json", "unet/config.json"}
    assert api_client.get(f"/api/v1/downloads/{job.pk}").json()["files_done"] == 2
    hub.clear_requests()

    job.retry()
    job = run_job(job)
    assert job.status == "completed", job.error
    # The finished files were not fetched again; the interrupted one went on from its bytes.
    assert not hub.requests_for("model_index.json") and not hub.requests_for("unet/config.json")
    gets = _cdn_gets(hub, unet.sha256)
    assert len(gets) == 1 and gets[0].range == f"bytes={cut}-"
    assert hub.bytes_sent_for(unet.sha256) <= UNET - cut
    data = (models_dir / "huggingface" / REPO / "unet/diffusion_pytorch_model.safetensors").read_bytes()
    assert hashlib.sha256(data).hexdigest() == unet.sha256


def test_a_corrupt_small_file_fails_its_git_blob_check(api_client, hub, models_dir):
    _add_diffusers_repo(hub)
    hub.set_fault(f"{REPO}/model_index.json", Fault(corrupt_offset=3))
    item = _queue(api_client, include=["model_index.json"])
    job = run_job(DownloadJob.objects.get(pk=item["id"]))
    assert job.status == "failed" and job.error_code == "checksum_mismatch"
    assert "git blob SHA-1" in job.error
    assert not (models_dir / "huggingface" / REPO / "model_index.json").exists()


def test_bad_pattern_requests_are_refused_with_a_clear_message(api_client, hub):
    _add_diffusers_repo(hub)
    nothing = api_client.post("/api/v1/downloads", {"repo": REPO, "whole_repository": True, "include": ["*.gguf"]},
                              format="json")
    assert nothing.status_code == 400
    assert "*.gguf" in json.dumps(nothing.json())
    without_flag = api_client.post("/api/v1/downloads", {"repo": REPO, "include": ["*.json"]}, format="json")
    assert without_flag.status_code == 400
    assert not DownloadJob.objects.exists()


def test_the_same_whole_repository_twice_is_refused(api_client, hub):
    _add_diffusers_repo(hub)
    _queue(api_client, include=["*.json"])
    again = api_client.post("/api/v1/downloads", {"repo": REPO, "whole_repository": True, "include": ["*.json"]},
                            format="json")
    assert again.status_code == 409


def test_deleting_a_downloaded_whole_repository_removes_every_file(api_client, hub, models_dir):
    _add_diffusers_repo(hub)
    item = _queue(api_client, include=["*.json", "tokenizer/"])
    assert run_job(DownloadJob.objects.get(pk=item["id"])).status == "completed"
    folder = models_dir / "huggingface" / REPO
    assert (folder / "unet/config.json").exists()

    response = api_client.delete(f"/api/v1/modelfiles/{REPO}/files/{FILENAME}")
    assert response.status_code == 204
    assert not [p for p in folder.rglob("*") if p.is_file()]
    assert not ModelVariant.objects.get(repository__repo=REPO, filename=FILENAME).is_downloaded


def test_a_refetch_keeps_the_whole_repository_and_flags_a_changed_file(api_client, hub):
    _add_diffusers_repo(hub)
    item = _queue(api_client, include=["*.json"])
    assert run_job(DownloadJob.objects.get(pk=item["id"])).status == "completed"
    hub.replace_hf_file(REPO, "unet/config.json", json.dumps({"sample_size": 128}))

    fetch_repository(REPO)
    variant = ModelVariant.objects.get(repository__repo=REPO, filename=FILENAME)
    assert variant.is_downloaded and variant.update_available
    assert variant.update_details["changed_files"] == ["unet/config.json"]


def test_a_refused_second_selection_leaves_the_queued_one_as_it_was(api_client, hub):
    _add_diffusers_repo(hub)
    _queue(api_client, include=["*.json"])
    again = api_client.post("/api/v1/downloads", {"repo": REPO, "whole_repository": True, "include": ["tokenizer/"]},
                            format="json")
    assert again.status_code == 409
    variant = ModelVariant.objects.get(repository__repo=REPO, filename=FILENAME)
    job = DownloadJob.objects.get()
    # The variant still describes the queued job (its delete and update checks use these files).
    assert variant.selection == {"include": ["*.json"], "exclude": []}
    assert [f["path"] for f in variant.files] == [f["path"] for f in job.files]


def test_files_already_on_disk_and_verified_are_not_fetched_again(api_client, hub, models_dir):
    repo = _add_diffusers_repo(hub)
    unet = repo.head.files["unet/diffusion_pytorch_model.safetensors"]
    encoder = repo.head.files["text_encoder/model.safetensors"]
    run_job(DownloadJob.objects.get(pk=_queue(api_client, include=["unet/*", "text_encoder/*"])["id"]))
    assert len(_cdn_gets(hub, unet.sha256)) == 1
    changed = models_dir / "huggingface" / REPO / "text_encoder/model.safetensors"
    changed.write_bytes(changed.read_bytes())  # same bytes, but touched since it was verified

    item = _queue(api_client)  # now the whole repository
    # Kept: the verified LFS files untouched since (the small config files carry no SHA-256, only
    # a git blob id, and cost nothing to fetch again).
    assert item["bytes_done"] == unet.size + repo.head.files["text_encoder/model.bin"].size
    job = run_job(DownloadJob.objects.get(pk=item["id"]))

    assert job.status == "completed", job.error
    assert len(_cdn_gets(hub, unet.sha256)) == 1  # the verified copy was kept, not downloaded again
    assert len(_cdn_gets(hub, encoder.sha256)) == 2  # a file touched since its check is fetched again
    path = models_dir / "huggingface" / REPO / "unet/diffusion_pytorch_model.safetensors"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == unet.sha256
    assert LocalFile.objects.get(path=f"huggingface/{REPO}/unet/diffusion_pytorch_model.safetensors").sha256 == \
        unet.sha256


def test_a_kept_file_that_changes_while_the_job_waits_is_fetched_after_all(api_client, hub, models_dir):
    repo = _add_diffusers_repo(hub)
    unet = repo.head.files["unet/diffusion_pytorch_model.safetensors"]
    run_job(DownloadJob.objects.get(pk=_queue(api_client, include=["unet/*"])["id"]))
    item = _queue(api_client)
    assert item["bytes_done"] == unet.size  # found on disk and verified when queued
    path = models_dir / "huggingface" / REPO / "unet/diffusion_pytorch_model.safetensors"
    path.unlink()  # ...and then removed before the job ran

    job = run_job(DownloadJob.objects.get(pk=item["id"]))

    assert job.status == "completed", job.error
    assert len(_cdn_gets(hub, unet.sha256)) == 2
    assert hashlib.sha256(path.read_bytes()).hexdigest() == unet.sha256
