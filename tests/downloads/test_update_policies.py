"""Updating a downloaded Hugging Face file under each policy, end to end: a real download from the
emulator, a new commit that changes the file, the update check, "update selected", the engine."""

import hashlib
import os

import pytest

from catalog import updates as catalog_updates
from catalog.models import ModelVariant
from catalog.sync import fetch_repository
from downloads import queue, updates
from downloads.models import DownloadJob, UpdateItem
from storage.models import LocalFile
from storage.usage import known_entries
from tests.catalog.helpers import QUANTS, SPLIT, add_quant_repo, add_split_repo, gguf
from tests.fakehub import Fault

# The engine's monitor thread reads the job on its own connection: it must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

FILE = "chat-7b.Q4_K_M.gguf"
FINAL = f"huggingface/{QUANTS}/{FILE}"
NEW_BYTES = gguf("Q4_K_M", params=9e9)


def run(job_id: int) -> DownloadJob:
    queue.run(job_id)  # in this process, as a worker's task would
    return DownloadJob.objects.get(pk=job_id)


@pytest.fixture
def downloaded(hub, models_dir):
    """chat-7b.Q4_K_M.gguf downloaded for real, then a new commit changes it on the Hub."""
    add_quant_repo(hub, quants=("Q4_K_M", "Q8_0"))
    variant = fetch_repository(QUANTS).variants.get(filename=FILE)
    job = run(queue.enqueue(variant).pk)
    assert job.status == "completed", job.error
    variant.refresh_from_db()
    old = {"bytes": (models_dir / FINAL).read_bytes(), "commit": variant.downloaded_revision}
    new_commit = hub.replace_hf_file(QUANTS, FILE, NEW_BYTES)
    assert catalog_updates.check_all() == 1
    variant.refresh_from_db()
    return variant, old, new_commit


def update(variant, policy) -> tuple[DownloadJob, UpdateItem]:
    run_record = updates.apply([variant.pk], policy)
    item = run_record.items.get()
    assert item.outcome == "queued", item.message
    job = run(item.job_id)
    assert job.status == "completed", job.error
    item.refresh_from_db()
    return job, item


def test_replace_puts_the_new_file_in_the_old_ones_place(downloaded, models_dir):
    variant, old, commit = downloaded
    job, item = update(variant, "replace")

    assert (models_dir / FINAL).read_bytes() == NEW_BYTES
    assert sorted(p.name for p in (models_dir / "huggingface" / QUANTS).iterdir()) == [FILE]
    assert not (models_dir / "archive").exists()
    variant.refresh_from_db()
    assert variant.update_available is False
    assert variant.sha256 == hashlib.sha256(NEW_BYTES).hexdigest()
    assert variant.downloaded_revision == commit.sha == job.revision
    assert item.result == {"policy": "replace", "files": [{"path": FINAL, "action": "replaced", "to": ""}]}


def test_keep_leaves_both_files_in_the_library(downloaded, models_dir):
    variant, old, commit = downloaded
    job, item = update(variant, "keep")

    kept = f"huggingface/{QUANTS}/chat-7b.Q4_K_M.{old['commit'][:7]}.gguf"
    assert (models_dir / FINAL).read_bytes() == NEW_BYTES  # apps loading the file by name get the update
    assert (models_dir / kept).read_bytes() == old["bytes"]
    variant.refresh_from_db()
    assert variant.local_path == FINAL and variant.update_available is False
    row = LocalFile.objects.get(path=kept)
    assert row.kind == "model" and row.sha256 == hashlib.sha256(old["bytes"]).hexdigest()
    library = {p for entry in known_entries() for p in entry.paths}
    assert {FINAL, kept} <= library
    assert item.result["files"] == [{"path": FINAL, "action": "moved", "to": kept}]


def test_archive_moves_the_old_file_to_the_archive_folder(downloaded, models_dir):
    variant, old, commit = downloaded
    job, item = update(variant, "archive")

    archived = f"archive/huggingface/{QUANTS}/chat-7b.Q4_K_M.{old['commit'][:7]}.gguf"
    assert (models_dir / FINAL).read_bytes() == NEW_BYTES
    assert (models_dir / archived).read_bytes() == old["bytes"]
    assert not (models_dir / f"huggingface/{QUANTS}/chat-7b.Q4_K_M.{old['commit'][:7]}.gguf").exists()
    assert LocalFile.objects.filter(path=archived, kind="model").exists()
    assert item.result == {"policy": "archive", "files": [{"path": FINAL, "action": "moved", "to": archived}]}


def test_archiving_the_same_version_twice_never_overwrites(downloaded, models_dir):
    variant, old, commit = downloaded
    archived = models_dir / f"archive/huggingface/{QUANTS}/chat-7b.Q4_K_M.{old['commit'][:7]}.gguf"
    archived.parent.mkdir(parents=True)
    archived.write_bytes(b"something the user put there")
    job, item = update(variant, "archive")

    assert archived.read_bytes() == b"something the user put there"
    moved = item.result["files"][0]["to"]
    assert moved.endswith(f".{old['commit'][:7]}-2.gguf")
    assert (models_dir / moved).read_bytes() == old["bytes"]


@pytest.mark.parametrize("policy", ["replace", "keep", "archive"])
def test_a_failed_update_leaves_the_old_file_untouched(hub, downloaded, models_dir, policy):
    variant, old, commit = downloaded
    hub.set_fault(f"{QUANTS}/{FILE}", Fault(corrupt_offset=100, times=None))
    item = updates.apply([variant.pk], policy).items.get()
    job = run(item.job_id)

    assert job.status == "failed" and job.error_code == "checksum_mismatch"
    assert (models_dir / FINAL).read_bytes() == old["bytes"]
    variant.refresh_from_db()  # still describes the file on disk, and the update is still there
    assert variant.sha256 == hashlib.sha256(old["bytes"]).hexdigest() and variant.update_available is True
    assert catalog_updates.check_all() == 1
    assert not (models_dir / "archive").exists()
    assert not list((models_dir / "huggingface" / QUANTS).glob(f"chat-7b.Q4_K_M.{old['commit'][:7]}*"))


def test_keep_renames_a_split_set_so_it_still_loads_as_a_set(hub, models_dir):
    add_split_repo(hub)
    variant = fetch_repository(SPLIT).variants.get(filename="vision-7b.Q8_0-00001-of-00003.gguf")
    assert run(queue.enqueue(variant).pk).status == "completed"
    variant.refresh_from_db()
    tag = variant.downloaded_revision[:7]
    hub.replace_hf_file(SPLIT, "vision-7b.Q8_0-00002-of-00003.gguf", b"new part two" * 100)
    catalog_updates.check_all()
    update(ModelVariant.objects.get(pk=variant.pk), "keep")

    folder = models_dir / "huggingface" / SPLIT
    assert (folder / "vision-7b.Q8_0-00002-of-00003.gguf").read_bytes() == b"new part two" * 100
    assert (folder / f"vision-7b.Q8_0.{tag}-00002-of-00003.gguf").read_bytes() == b"part two" * 100
    assert {p.name for p in folder.glob(f"vision-7b.Q8_0.{tag}-*")} == {
        f"vision-7b.Q8_0.{tag}-0000{n}-of-00003.gguf" for n in (1, 2, 3)}


def test_the_names_carry_the_version():
    assert updates.tagged("a/b/model.Q4.gguf", "abc1234") == "a/b/model.Q4.abc1234.gguf"
    assert updates.tagged("x-00001-of-00002.gguf", "v9") == "x.v9-00001-of-00002.gguf"
    assert updates.aside_path("archive", "civitai/LORA/m-1/l.safetensors", "v5") == \
        "archive/civitai/LORA/m-1/l.v5.safetensors"
    assert updates.aside_path("keep", "README", "abc") == "README.abc"


@pytest.mark.parametrize("policy", ["replace", "keep", "archive"])
def test_a_split_set_update_that_fails_midway_leaves_the_whole_old_set(hub, models_dir, policy):
    add_split_repo(hub)
    variant = fetch_repository(SPLIT).variants.get(filename="vision-7b.Q8_0-00001-of-00003.gguf")
    assert run(queue.enqueue(variant).pk).status == "completed"
    folder = models_dir / "huggingface" / SPLIT
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    hub.commit_hf_files(SPLIT, {"vision-7b.Q8_0-00001-of-00003.gguf": gguf("Q8_0", params=9e9),
                                "vision-7b.Q8_0-00002-of-00003.gguf": b"new part two" * 100})
    catalog_updates.check_all()
    # Part one arrives and is verified; part two is corrupt every time, so the update fails.
    hub.set_fault(f"{SPLIT}/vision-7b.Q8_0-00002-of-00003.gguf", Fault(corrupt_offset=10, times=None))
    item = updates.apply([variant.pk], policy).items.get()
    job = run(item.job_id)

    assert job.status == "failed" and job.error_code == "checksum_mismatch"
    after = {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.endswith(".part") and ".corrupt-" not in p.name}
    assert after == before  # no part of the old set replaced, renamed or archived
    assert not (models_dir / "archive").exists()

    # Retried once the Hub is healthy, the verified part is kept and the set is swapped in together.
    hub.clear_faults()
    job.retry()
    job = run(job.pk)
    assert job.status == "completed", job.error
    assert (folder / "vision-7b.Q8_0-00002-of-00003.gguf").read_bytes() == b"new part two" * 100
    assert not list(folder.glob("*.part"))


def test_a_cancelled_split_set_update_leaves_no_verified_part_behind(hub, models_dir):
    add_split_repo(hub)
    variant = fetch_repository(SPLIT).variants.get(filename="vision-7b.Q8_0-00001-of-00003.gguf")
    assert run(queue.enqueue(variant).pk).status == "completed"
    hub.commit_hf_files(SPLIT, {"vision-7b.Q8_0-00001-of-00003.gguf": gguf("Q8_0", params=9e9)})
    catalog_updates.check_all()
    job = DownloadJob.objects.get(pk=updates.apply([variant.pk], "keep").items.get().job_id)
    job.files[0].update(done=True, pending_rename=True, rel=f"huggingface/{SPLIT}/{job.files[0]['local']}")
    (models_dir / (job.files[0]["rel"] + ".part")).write_bytes(b"verified new part one")
    queue.discard_partials(job)

    assert not list((models_dir / "huggingface" / SPLIT).glob("*.part"))


def test_a_crash_between_moving_the_old_file_aside_and_the_rename_loses_nothing(downloaded, models_dir, monkeypatch):
    variant, old, commit = downloaded
    item = updates.apply([variant.pk], "keep").items.get()
    real_replace = os.replace

    def crash_on_the_final_rename(src, dst):
        if str(src).endswith(".part"):
            raise OSError("the worker died here")
        return real_replace(src, dst)

    monkeypatch.setattr("downloads.engine.os.replace", crash_on_the_final_rename)
    with pytest.raises(OSError):
        queue.run(item.job_id)
    monkeypatch.undo()
    queue.recover()  # the lease is gone: the job is queued again and resumes from its verified part
    job = run(item.job_id)

    assert job.status == "completed", job.error
    kept = f"huggingface/{QUANTS}/chat-7b.Q4_K_M.{old['commit'][:7]}.gguf"
    assert (models_dir / FINAL).read_bytes() == NEW_BYTES and (models_dir / kept).read_bytes() == old["bytes"]
    item.refresh_from_db()
    assert item.result["files"] == [{"path": FINAL, "action": "moved", "to": kept}]
    assert LocalFile.objects.filter(path=kept, kind="model").exists()
