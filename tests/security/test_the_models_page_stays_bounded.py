"""The Models page under a growing catalog: a fixed number of queries whatever the catalog holds
(no query per repository, variant, job or downloaded file), and no work per downloaded file
(the storage strip counts with indexed queries instead of reading and stat-ing every file)."""

import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import ModelRepository
from tests.factories import DownloadJobFactory, LocalFileFactory, ModelRepositoryFactory, ModelVariantFactory

pytestmark = pytest.mark.django_db

QUANTS = ["Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0"]
# Every query the page makes today is counted here; a new one must be a deliberate change.
MAX_QUERIES = 24


def grow(models_dir, start: int, count: int) -> None:
    """`count` repositories of six variants each: a third downloaded (a real file on disk), a few
    running, queued and failed downloads, and an imported file per ten repositories."""
    for i in range(start, start + count):
        family = ["llama", "qwen", "gemma", "mistral"][i % 4]
        repository = ModelRepositoryFactory(author=f"owner{i % 7}", name=f"Model-{i:04d}-GGUF", family=family,
                                            likes=i)
        for n, quant in enumerate(QUANTS):
            variant = ModelVariantFactory(repository=repository, filename=f"Model-{i:04d}.{quant}.gguf",
                                          quant_method=quant, size=(n + 1) * 10**9)
            if n == 0 and i % 3 == 0:
                relative = f"huggingface/{repository.repo}/{variant.filename}"
                (models_dir / relative).parent.mkdir(parents=True, exist_ok=True)
                (models_dir / relative).write_bytes(b"GGUF" + bytes(64))
                variant.local_path = relative
                variant.probed = {"general.architecture": family, "context_length": 8192}
                variant.save()
                DownloadJobFactory(variant=variant, status="completed", bytes_done=variant.size)
            elif n == 1:
                status = ["downloading", "queued", "failed", "paused", "completed"][i % 5]
                DownloadJobFactory(variant=variant, status=status, bytes_done=variant.size // 3)
        if i % 10 == 0:
            path = f"local/extra-{i}.gguf"
            (models_dir / "local").mkdir(exist_ok=True)
            (models_dir / path).write_bytes(b"GGUF")
            LocalFileFactory(path=path, kind="model", size=4)


def models_page_queries(client, **params) -> int:
    client.get(reverse("home"), params)  # first visit: settings row created, session warmed
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"), params)
    assert response.status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_catalog(logged_in_client, models_dir):
    grow(models_dir, 0, 6)
    small = models_page_queries(logged_in_client)
    grow(models_dir, 6, 54)  # ten times the repositories, variants, jobs and downloaded files
    assert ModelRepository.objects.count() == 60
    large = models_page_queries(logged_in_client)
    assert large == small, (small, large)
    assert large <= MAX_QUERIES


def test_a_full_page_with_filters_and_htmx_stays_within_the_budget(logged_in_client, models_dir,
                                                                   django_assert_max_num_queries):
    grow(models_dir, 0, 45)
    logged_in_client.get(reverse("home"), {"family": "llama"})
    with django_assert_max_num_queries(MAX_QUERIES):
        response = logged_in_client.get(reverse("home"), {"status": "downloaded", "sort": "-likes"})
    assert response.status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES):
        response = logged_in_client.get(reverse("home"), {"sort": "repo", "page": 2}, HTTP_HX_REQUEST="true",
                                        HTTP_HX_TARGET="results")
    assert response.status_code == 200


def test_the_page_reads_no_downloaded_file(logged_in_client, models_dir, monkeypatch):
    """The strip's "Models: N" comes from the database: the page stats no model file (a library of
    thousands of files must not cost thousands of system calls on every page view)."""
    grow(models_dir, 0, 12)
    logged_in_client.get(reverse("home"))
    looked_at = []
    real_stat = os.stat

    def spying_stat(path, *args, **kwargs):
        if str(path).startswith(str(models_dir)) and str(path).endswith(".gguf"):
            looked_at.append(str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", spying_stat)
    body = logged_in_client.get(reverse("home")).content.decode()
    assert looked_at == []
    downloaded = 4 + 2  # every third repository has one downloaded variant; two imported files
    assert f"Models: {downloaded}" in body
