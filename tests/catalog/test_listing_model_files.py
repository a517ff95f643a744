"""GET /api/v1/modelfiles: storage, filters (OR within, AND between), sort, pagination, query count."""

import pytest

from tests.factories import DownloadJobFactory, ModelRepositoryFactory, ModelVariantFactory

URL = "/api/v1/modelfiles"
GB = 10**9


def repos_of(response):
    assert response.status_code == 200, response.content
    return [r["repo"] for r in response.json()["repositories"]]


@pytest.fixture
def catalog(db, models_dir):
    llama = ModelRepositoryFactory(repo="a/llama-7b", family="llama", model_type="LLM", likes=50,
                                   base_model="meta-llama/Llama-2-7b")
    qwen = ModelRepositoryFactory(repo="b/qwen-14b", family="qwen", model_type="LLM", likes=500)
    sdxl = ModelRepositoryFactory(repo="c/sdxl", family="sdxl", model_type="Checkpoint", likes=5,
                                  base_model="SDXL 1.0", source="huggingface")
    civ = ModelRepositoryFactory(repo="civitai:42", family="", model_type="LORA", source="civitai", likes=1)
    small = ModelVariantFactory(repository=llama, filename="llama.Q2_K.gguf", size=1 * GB)
    ModelVariantFactory(repository=llama, filename="llama.Q8_0.gguf", size=7 * GB)
    (models_dir / "llama.Q2_K.gguf").write_bytes(b"x")
    small.mark_downloaded("llama.Q2_K.gguf")
    big = ModelVariantFactory(repository=qwen, filename="qwen.Q4_K_M.gguf", size=9 * GB)
    DownloadJobFactory(variant=big, status="downloading", bytes_done=int(4.5 * GB), size=9 * GB)
    failed = ModelVariantFactory(repository=qwen, filename="qwen.F16.gguf", size=29 * GB)
    DownloadJobFactory(variant=failed, status="failed", bytes_done=GB, size=29 * GB)
    queued = ModelVariantFactory(repository=sdxl, filename="sdxl.safetensors", size=6 * GB, format="safetensors")
    DownloadJobFactory(variant=queued, status="queued")
    ModelVariantFactory(repository=civ, filename="lora.safetensors", size=200 * 10**6, format="safetensors")
    return {"llama": llama, "qwen": qwen, "sdxl": sdxl, "civ": civ}


def test_it_lists_repositories_with_variants_and_storage(api_client, catalog):
    data = api_client.get(URL).json()
    assert set(data) >= {"storage", "count", "next", "previous", "repositories"}
    assert set(data["storage"]) >= {"total_bytes", "used_bytes", "available_bytes", "model_count"}
    assert data["storage"]["model_count"] == 1
    assert data["count"] == 4
    llama = data["repositories"][0]
    assert llama["repo"] == "a/llama-7b"
    assert [v["status"] for v in llama["variants"]] == ["downloaded", "available"]


def test_variants_carry_download_status_and_progress(api_client, catalog):
    data = api_client.get(URL, {"search": "qwen"}).json()
    variants = {v["filename"]: v for v in data["repositories"][0]["variants"]}
    assert variants["qwen.Q4_K_M.gguf"]["status"] == "downloading"
    assert variants["qwen.Q4_K_M.gguf"]["progress"] == 50.0
    assert variants["qwen.Q4_K_M.gguf"]["download_id"]
    assert variants["qwen.F16.gguf"]["status"] == "failed"
    assert "progress" in variants["qwen.F16.gguf"]


FILTER_CASES = (
        ({"family": "llama"}, ["a/llama-7b"]),
        ({"family": ["llama", "qwen"]}, ["a/llama-7b", "b/qwen-14b"]),
        ({"family": "llama,sdxl"}, ["a/llama-7b", "c/sdxl"]),
        ({"type": "Checkpoint"}, ["c/sdxl"]),
        ({"source": "civitai"}, ["civitai:42"]),
        ({"base_model": "SDXL 1.0"}, ["c/sdxl"]),
        ({"size": "xs"}, ["a/llama-7b", "civitai:42"]),
        ({"size": ["m", "l"]}, ["a/llama-7b", "b/qwen-14b", "c/sdxl"]),
        ({"size": "xl"}, []),
        ({"status": "downloaded"}, ["a/llama-7b"]),
        ({"status": "downloading"}, ["b/qwen-14b"]),
        ({"status": "queued"}, ["c/sdxl"]),
        ({"status": "failed"}, ["b/qwen-14b"]),
        ({"status": ["downloaded", "queued"]}, ["a/llama-7b", "c/sdxl"]),
        ({"status": "available"}, ["a/llama-7b", "civitai:42"]),
        ({"family": "llama", "status": "downloading"}, []),
        ({"type": "LLM", "size": "m"}, ["a/llama-7b", "b/qwen-14b"]),
        ({"status": "downloaded", "size": "m"}, []),
)


def test_filters_are_or_within_and_and_between(api_client, catalog):
    # One catalog for every case: building it is the slow part.
    for params, expected in FILTER_CASES:
        assert repos_of(api_client.get(URL, params)) == expected, params


def test_variant_filters_narrow_the_variants_shown(api_client, catalog):
    data = api_client.get(URL, {"size": "xs", "family": "llama"}).json()
    assert [v["filename"] for v in data["repositories"][0]["variants"]] == ["llama.Q2_K.gguf"]


SORT_CASES = (
        ("repo", ["a/llama-7b", "b/qwen-14b", "c/sdxl", "civitai:42"]),
        ("-repo", ["civitai:42", "c/sdxl", "b/qwen-14b", "a/llama-7b"]),
        ("-likes", ["b/qwen-14b", "a/llama-7b", "c/sdxl", "civitai:42"]),
        ("likes", ["civitai:42", "c/sdxl", "a/llama-7b", "b/qwen-14b"]),
        ("size", ["civitai:42", "c/sdxl", "a/llama-7b", "b/qwen-14b"]),
        ("-size", ["b/qwen-14b", "a/llama-7b", "c/sdxl", "civitai:42"]),
)


def test_it_sorts(api_client, catalog):
    for sort, expected in SORT_CASES:
        assert repos_of(api_client.get(URL, {"sort": sort})) == expected, sort


def test_it_sorts_by_last_update(api_client, catalog):
    from datetime import UTC, datetime

    for day, repo in enumerate(["c/sdxl", "a/llama-7b", "b/qwen-14b", "civitai:42"], start=1):
        catalog_repo = next(r for r in catalog.values() if r.repo == repo)
        catalog_repo.remote_last_modified = datetime(2025, 1, day, tzinfo=UTC)
        catalog_repo.save()
    assert repos_of(api_client.get(URL, {"sort": "-updated"})) == ["civitai:42", "b/qwen-14b", "a/llama-7b", "c/sdxl"]


def test_it_paginates_like_the_contract(api_client, catalog):
    first = api_client.get(URL, {"page_size": 3, "sort": "repo"}).json()
    assert first["count"] == 4
    assert len(first["repositories"]) == 3
    assert first["previous"] is None
    assert "page=2" in first["next"]
    second = api_client.get(first["next"]).json()
    assert [r["repo"] for r in second["repositories"]] == ["civitai:42"]
    assert second["next"] is None
    assert second["previous"]


def test_page_size_is_capped_at_200(api_client, db):
    for i in range(205):
        ModelRepositoryFactory(repo=f"o/r{i:03d}")
    assert len(api_client.get(URL, {"page_size": 500}).json()["repositories"]) == 200


@pytest.mark.parametrize("params", [{"sort": "nope"}, {"size": "huge"}, {"status": "gone"}])
def test_bad_parameters_are_invalid_input(api_client, db, params):
    response = api_client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_a_page_past_the_end_is_not_found(api_client, catalog):
    assert api_client.get(URL, {"page": 9}).status_code == 404


def test_the_number_of_queries_does_not_grow_with_the_catalog(api_client, db, django_assert_max_num_queries):
    def grow(n):
        for _ in range(n):
            repository = ModelRepositoryFactory()
            for j in range(8):
                variant = ModelVariantFactory(repository=repository)
                if j == 0:
                    DownloadJobFactory(variant=variant, status="downloading")

    grow(3)
    with django_assert_max_num_queries(8) as small:
        api_client.get(URL, {"status": ["downloading", "available"], "size": "s", "sort": "-size"})
    grow(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api_client.get(URL, {"status": ["downloading", "available"], "size": "s", "sort": "-size"})
    assert response.json()["count"] == 33


def test_it_needs_an_authenticated_user(client, db):
    assert client.get(URL).status_code in (401, 403)
