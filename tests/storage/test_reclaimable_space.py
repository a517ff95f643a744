"""Reclaimable space: leftover partials, failed verification, duplicates and superseded versions."""

import pytest
from django.urls import reverse

from storage import reclaim
from storage.models import LocalFile
from tests.factories import DownloadJobFactory, LocalFileFactory, ModelRepositoryFactory

pytestmark = pytest.mark.django_db

MB = 1024**2


def test_partials_no_job_owns_are_listed_with_their_size(make_file):
    make_file("acme/x/orphan.gguf.part", 3 * MB)
    make_file("other/tool.safetensors.incomplete", MB)
    items = reclaim.reclaimable()["partials"]
    assert {(i.path, i.size) for i in items} == {("acme/x/orphan.gguf.part", 3 * MB),
                                                  ("other/tool.safetensors.incomplete", MB)}


def test_a_partial_an_active_download_owns_is_left_alone(make_file, models_dir):
    make_file("acme/x/running.gguf.part", MB)
    make_file("acme/y/orphan.gguf.part", MB)
    DownloadJobFactory(status="downloading", dest_path="acme/x/running.gguf", filename="running.gguf")

    count, freed = reclaim.remove("partials")

    assert (count, freed) == (1, MB)
    assert (models_dir / "acme/x/running.gguf.part").exists()
    assert not (models_dir / "acme/y/orphan.gguf.part").exists()


def test_partials_are_removed_in_one_action_from_the_page(logged_in_client, make_file, models_dir):
    make_file("a.gguf.part", MB)
    make_file("b/c.gguf.partial", MB)
    url = reverse("storage:reclaim", args=["partials"])
    confirm = logged_in_client.get(url).content.decode()
    assert "a.gguf.part" in confirm and "Remove 2 files and free 2 MB?" in confirm

    response = logged_in_client.post(url)

    assert response.status_code == 302
    assert not list(models_dir.rglob("*.part*"))


def test_files_that_failed_verification_are_reclaimable(make_file, models_dir):
    make_file("acme/x/model.gguf.corrupt-1700000000", 2 * MB)
    LocalFileFactory(path="acme/x/model.gguf.corrupt-1700000000", kind=LocalFile.Kind.QUARANTINED, size=2 * MB)
    make_file("acme/y/lost.gguf.corrupt-3fa9c2e81b04", MB)  # no row: found on disk (named as the engine names it)

    assert sum(i.size for i in reclaim.reclaimable()["failed"]) == 3 * MB
    assert reclaim.remove("failed") == (2, 3 * MB)
    assert not LocalFile.objects.exists()
    assert not list(models_dir.rglob("*corrupt*"))


def test_duplicates_keep_the_downloaded_copy(downloaded_variant, make_file, models_dir):
    variant = downloaded_variant("acme/x/model.gguf", MB, sha256="ab" * 32)
    make_file("copies/model-copy.gguf", MB)
    LocalFileFactory(path="copies/model-copy.gguf", sha256="ab" * 32, size=MB)

    items = reclaim.reclaimable()["duplicates"]

    assert [i.name for i in items] == ["copies/model-copy.gguf"]
    reclaim.remove("duplicates")
    assert (models_dir / variant.local_path).exists()
    assert not (models_dir / "copies/model-copy.gguf").exists()


def test_an_older_downloaded_version_is_superseded_by_a_newer_one(downloaded_variant, models_dir):
    repo = ModelRepositoryFactory(repo="civitai:9", source="civitai")
    old = downloaded_variant("civitai/9/v1.safetensors", MB, repository=repo, civitai_version_id=100)
    new = downloaded_variant("civitai/9/v2.safetensors", MB, repository=repo, civitai_version_id=200)

    assert [i.entry.pk for i in reclaim.reclaimable()["superseded"]] == [old.pk]
    reclaim.remove("superseded")
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.local_path == "" and new.local_path


def test_the_dashboard_lists_reclaimable_space(logged_in_client, make_file):
    make_file("x.gguf.part", 5 * MB)
    html = logged_in_client.get(reverse("storage:index")).content.decode()
    assert "Leftover partial downloads" in html and "5 MB" in html


def test_an_unknown_category_is_404(logged_in_client):
    assert logged_in_client.get(reverse("storage:reclaim", args=["everything"])).status_code == 404
