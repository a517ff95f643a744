"""Hugging Face datasets: resolved from `datasets/owner/name` and dataset URLs, kept apart from a model
of the same name, listed with `repo_type`, and downloaded under huggingface/datasets/."""

import hashlib

import pytest

from catalog.models import ModelRepository
from catalog.resolve import parse
from downloads.models import DownloadJob
from modella.errors import InvalidInput
from tests.downloads.conftest import run_job

NAME = "acme/tiny-ds"
DATASET = f"datasets/{NAME}"
TRAIN = "data/train-00000-of-00001.parquet"
ROWS = b'{"text": "hello"}\n{"text": "world"}\n'


def _add_dataset(hub):
    return hub.add_hf_dataset(NAME, files={TRAIN: hub.generated(400_000, seed=41), "data/test.jsonl": ROWS},
                              card_data={"license": "cc-by-4.0", "pretty_name": "Tiny DS"}, likes=3)


@pytest.mark.parametrize("text, filename", [
    ("datasets/acme/tiny-ds", None),
    ("https://huggingface.co/datasets/acme/tiny-ds", None),
    ("hf.co/datasets/acme/tiny-ds/tree/main", None),
    ("https://huggingface.co/datasets/acme/tiny-ds/resolve/main/data/test.jsonl", "data/test.jsonl"),
    ("https://huggingface.co/datasets/acme/tiny-ds/blob/main/data/test.jsonl", "data/test.jsonl"),
])
def test_dataset_inputs_name_the_dataset(text, filename):
    resolved = parse(text)
    assert resolved.source == "huggingface" and resolved.repo == DATASET
    assert resolved.filename == filename


@pytest.mark.parametrize("text", ["datasets/acme", "datasets/-bad/x", "https://huggingface.co/datasets/acme",
                                  "https://huggingface.co/datasets/a/b/resolve/main/../x"])
def test_malformed_dataset_inputs_are_refused(text):
    with pytest.raises(InvalidInput):
        parse(text)


def test_a_model_id_is_still_a_model():
    assert parse("acme/tiny-ds").repo == NAME


def test_resolving_a_dataset_stores_it_apart_from_the_model_of_the_same_name(api_client, hub):
    _add_dataset(hub)
    hub.add_hf_repo(NAME, files={"model.gguf": hub.generated(1000, seed=42)})

    data = api_client.post("/api/v1/modelfiles/resolve", {"input": f"{hub.hf_url}/datasets/{NAME}"},
                           format="json").json()
    assert data["repo"] == DATASET and data["repo_type"] == "dataset"
    assert data["metadata"]["license"] == "cc-by-4.0"
    assert data["metadata"]["links"]["huggingface"] == f"{hub.hf_url}/{DATASET}"
    assert sorted(v["filename"] for v in data["variants"]) == ["data/test.jsonl", TRAIN]
    model = api_client.post("/api/v1/modelfiles/resolve", {"input": NAME}, format="json").json()
    assert model["repo"] == NAME and model["repo_type"] == "model"
    assert [v["filename"] for v in model["variants"]] == ["model.gguf"]
    assert ModelRepository.objects.count() == 2
    # The dataset's info came from the dataset API, never from the model one.
    assert hub.requests_for(f"/api/datasets/{NAME}")


def test_a_dataset_file_link_selects_that_file(api_client, hub):
    _add_dataset(hub)
    link = f"https://huggingface.co/datasets/{NAME}/resolve/main/data/test.jsonl"
    data = api_client.post("/api/v1/modelfiles/resolve", {"input": link}, format="json").json()
    assert data["selected_filename"] == "data/test.jsonl"


def test_the_catalog_filters_by_repo_type(api_client, hub):
    _add_dataset(hub)
    hub.add_hf_repo(NAME, files={"model.gguf": hub.generated(1000, seed=42)})
    for text in (DATASET, NAME):
        api_client.post("/api/v1/modelfiles/resolve", {"input": text}, format="json")

    datasets = api_client.get("/api/v1/modelfiles?repo_type=dataset").json()
    assert [r["repo"] for r in datasets["repositories"]] == [DATASET]
    models = api_client.get("/api/v1/modelfiles?repo_type=model").json()
    assert [r["repo"] for r in models["repositories"]] == [NAME]
    wrong = api_client.get("/api/v1/modelfiles?repo_type=space")
    assert wrong.status_code == 400 and "repo_type" in str(wrong.json())


@pytest.mark.django_db(transaction=True)
def test_a_dataset_file_downloads_under_the_datasets_folder(api_client, hub, models_dir):
    _add_dataset(hub)
    link = f"{hub.hf_url}/datasets/{NAME}/resolve/main/data/test.jsonl"
    item = api_client.post("/api/v1/downloads", {"url": link}, format="json").json()
    job = run_job(DownloadJob.objects.get(pk=item["id"]))
    assert job.status == "completed", job.error
    assert (models_dir / "huggingface/datasets/acme/tiny-ds/data/test.jsonl").read_bytes() == ROWS
    assert hub.requests_for(f"/datasets/{NAME}/resolve/")


@pytest.mark.django_db(transaction=True)
def test_a_whole_dataset_downloads_with_its_folders(api_client, hub, models_dir):
    repo = _add_dataset(hub)
    preview = api_client.get(f"/api/v1/modelfiles/{DATASET}/whole-repository?exclude=*.md&exclude=.gitattributes")
    assert preview.status_code == 200, preview.json()
    assert preview.json()["files_total"] == 2
    assert preview.json()["size"] == repo.head.files[TRAIN].size + len(ROWS)

    item = api_client.post("/api/v1/downloads", {"repo": DATASET, "whole_repository": True,
                                                 "exclude": ["*.md", ".gitattributes"]}, format="json").json()
    assert item["files_total"] == 2
    job = run_job(DownloadJob.objects.get(pk=item["id"]))
    assert job.status == "completed", job.error
    folder = models_dir / "huggingface/datasets/acme/tiny-ds"
    data = (folder / TRAIN).read_bytes()
    assert hashlib.sha256(data).hexdigest() == repo.head.files[TRAIN].sha256
    assert (folder / "data/test.jsonl").read_bytes() == ROWS


def test_the_details_dialog_of_a_dataset_offers_the_whole_dataset(logged_in_client, hub):
    _add_dataset(hub)
    page = logged_in_client.get(f"/models/info/{DATASET}").content.decode()
    assert DATASET in page and 'id="whole-include"' in page
    assert "/discover/whole-repository/datasets/acme/tiny-ds" in page


@pytest.mark.django_db(transaction=True)
def test_migrating_back_before_datasets_keeps_full_text_search_working():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's search index is not touched by this migration")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        MigrationExecutor(connection).migrate([("catalog", "0005_featured_starting_set")])
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'catalog_repository_fts%'")
            triggers = sorted(row[0] for row in cursor.fetchall())
    finally:
        MigrationExecutor(connection).migrate(latest)
    # Without them, repositories added after migrating back would never be found by a search.
    assert triggers == ["catalog_repository_fts_ad", "catalog_repository_fts_ai", "catalog_repository_fts_au"]
