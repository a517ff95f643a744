"""Local full-text search (FTS5 on SQLite, tsvector on PostgreSQL) behind one function."""

import pytest

from catalog.models import ModelRepository
from tests.factories import ModelRepositoryFactory


@pytest.fixture
def repos(db):
    ModelRepositoryFactory(repo="TheBloke/Llama-2-7B-Chat-GGUF", name="Llama-2-7B-Chat-GGUF", tags=["llama", "chat"])
    ModelRepositoryFactory(repo="bartowski/gemma-2-9b-it-GGUF", name="gemma-2-9b-it-GGUF", tags=["gemma"],
                           description="Quantizations of Gemma 2 instruction tuned")
    ModelRepositoryFactory(repo="pixelforge/sdxl-base-1.0", name="sdxl-base-1.0", tags=["text-to-image", "sdxl"],
                           description="A latent diffusion model")
    ModelRepositoryFactory(repo="acme/tiny-llama-gguf", name="tiny-llama-gguf", tags=["gguf"],
                           description="Smallest test model")


def found(text):
    return sorted(ModelRepository.objects.search(text).values_list("repo", flat=True))


def test_it_finds_by_words_of_the_repo_id(repos):
    assert found("llama") == ["TheBloke/Llama-2-7B-Chat-GGUF", "acme/tiny-llama-gguf"]
    assert found("thebloke") == ["TheBloke/Llama-2-7B-Chat-GGUF"]


def test_it_finds_by_description_and_tags(repos):
    assert found("latent diffusion") == ["pixelforge/sdxl-base-1.0"]
    assert found("instruction") == ["bartowski/gemma-2-9b-it-GGUF"]
    assert found("text-to-image") == ["pixelforge/sdxl-base-1.0"]


def test_every_word_must_match_as_a_prefix(repos):
    assert found("lla chat") == ["TheBloke/Llama-2-7B-Chat-GGUF"]
    assert found("llama sdxl") == []


def test_it_is_case_and_punctuation_insensitive(repos):
    assert found("GEMMA-2") == ["bartowski/gemma-2-9b-it-GGUF"]


@pytest.mark.parametrize("text", ['"', "AND OR NOT", "*", "llama)", "NEAR(a b)", "'; DROP TABLE x; --", "^col:x"])
def test_search_syntax_in_user_text_is_inert(repos, text):
    found(text)  # never an SQL or FTS syntax error


def test_changes_are_indexed(repos):
    repository = ModelRepository.objects.get(repo="acme/tiny-llama-gguf")
    repository.description = "Now with zebras"
    repository.save()
    assert found("zebras") == ["acme/tiny-llama-gguf"]
    repository.delete()
    assert found("zebras") == []


def test_the_api_search_parameter_uses_it(api_client, repos):
    data = api_client.get("/api/v1/modelfiles", {"search": "gemma"}).json()
    assert [r["repo"] for r in data["repositories"]] == ["bartowski/gemma-2-9b-it-GGUF"]
