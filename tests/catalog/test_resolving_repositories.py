"""POST /api/v1/modelfiles/resolve against the emulated Hub: each input form, 404s, 5xx, timeouts."""

import pytest

from catalog.models import ModelRepository
from tests.catalog.helpers import QUANTS, add_quant_repo

URL = "/api/v1/modelfiles/resolve"


@pytest.fixture
def repo(hub):
    add_quant_repo(hub)
    return QUANTS


@pytest.mark.parametrize(
    "template",
    [
        "{repo}",
        "{hf}/{repo}",
        "{hf}/{repo}/tree/main",
        "https://huggingface.co/{repo}",
        "https://huggingface.co/{repo}/tree/main",
    ],
)
def test_it_resolves_repository_inputs(api_client, hub, repo, template):
    response = api_client.post(URL, {"input": template.format(repo=repo, hf=hub.hf_url)}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["repo"] == repo
    assert data["source"] == "huggingface"
    assert "selected_filename" not in data
    assert len(data["variants"]) == 7
    assert ModelRepository.objects.filter(repo=repo).exists()


@pytest.mark.parametrize("kind", ["blob", "resolve"])
def test_a_file_link_selects_that_file(api_client, hub, repo, kind):
    link = f"https://huggingface.co/{repo}/{kind}/main/chat-7b.Q8_0.gguf"
    data = api_client.post(URL, {"input": link}, format="json").json()
    assert data["selected_filename"] == "chat-7b.Q8_0.gguf"


def test_a_pinned_revision_is_fetched_at_that_commit(api_client, hub, repo):
    old = hub.hf_repo(repo).head.sha
    hub.replace_hf_file(repo, "chat-7b.Q8_0.gguf", b"newer bytes")
    response = api_client.post(URL, {"input": f"{hub.hf_url}/{repo}/tree/{old}"}, format="json")
    assert response.status_code == 200
    assert response.json()["metadata"]["revision"] == old
    assert hub.requests_for(f"/api/models/{repo}/revision/{old}")


def test_the_response_carries_the_contract_fields(api_client, hub, repo):
    data = api_client.post(URL, {"input": repo}, format="json").json()
    metadata = data["metadata"]
    for key in ("likes", "stars", "downloads", "license", "tags", "description", "family", "model_type",
                "base_model", "links", "gated", "access"):
        assert key in metadata
    assert metadata["likes"] == metadata["stars"] == 120
    assert metadata["license"] == "llama2"
    assert metadata["family"] == "llama"
    assert metadata["model_type"] == "LLM"
    assert metadata["base_model"] == "meta-llama/Llama-2-7b-chat-hf"
    assert metadata["links"]["huggingface"] == f"{hub.hf_url}/{repo}"
    assert metadata["gated"] is False and metadata["access"] == "granted"
    variant = next(v for v in data["variants"] if v["filename"] == "chat-7b.Q4_K_M.gguf")
    assert variant["status"] == "available"
    assert len(variant["sha256"]) == 64
    assert variant["metadata"]["quantization"] == {"bits": 4, "bits_per_weight": 4.89, "method": "Q4_K_M"}
    assert variant["metadata"]["performance_metrics"] == {"speed": 4, "memory": 4, "quality": 3}
    assert variant["metadata"]["architecture"] == "llama"
    assert variant["metadata"]["parameters"] == 6_738_415_616
    assert variant["is_recommended"] is True
    assert metadata["recommended_filename"] == "chat-7b.Q4_K_M.gguf"


def test_resolving_twice_updates_rather_than_duplicates(api_client, hub, repo):
    api_client.post(URL, {"input": repo}, format="json")
    hub.commit_hf_files(repo, {"chat-7b.Q2_K.gguf": None})
    data = api_client.post(URL, {"input": repo}, format="json").json()
    assert ModelRepository.objects.filter(repo=repo).count() == 1
    assert len(data["variants"]) == 6


def test_a_missing_repository_is_remote_not_found(api_client, hub):
    response = api_client.post(URL, {"input": "nobody/nothing-here"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "remote_not_found"


def test_a_missing_file_in_a_link_is_not_found(api_client, hub, repo):
    response = api_client.post(URL, {"input": f"https://huggingface.co/{repo}/blob/main/nope.gguf"}, format="json")
    assert response.status_code == 404


def test_a_missing_revision_is_remote_not_found(api_client, hub, repo):
    response = api_client.post(URL, {"input": f"https://huggingface.co/{repo}/tree/no-such-branch"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "remote_not_found"


@pytest.mark.parametrize("text", ["not a model", "https://example.com/a/b", "", None])
def test_anything_else_is_invalid_input_listing_the_forms(api_client, db, text):
    response = api_client.post(URL, {"input": text}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert "civitai:<id>" in error["message"]


def test_civitai_inputs_are_fetched_from_civitai(api_client, db, fakehub, settings):
    # The Civitai side is tested in tests/civitai; here only that resolve hands it over.
    settings.CIVITAI_ENDPOINT = fakehub.civitai_url
    response = api_client.post(URL, {"input": "https://civitai.com/models/4201?modelVersionId=600201"}, format="json")
    assert response.status_code == 200
    assert response.json()["repo"] == "civitai:4201"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_hub_server_errors_are_upstream_unavailable(api_client, broken_hub, status):
    broken_hub.status = status
    response = api_client.post(URL, {"input": "acme/anything"}, format="json")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unavailable"


def test_a_hub_that_does_not_answer_in_time_is_upstream_unavailable(api_client, broken_hub, settings):
    settings.HUB_TIMEOUT = 1
    broken_hub.delay = 3
    response = api_client.post(URL, {"input": "acme/anything"}, format="json")
    assert response.status_code == 502
    assert response.json()["error"]["details"]["reason"] == "timeout"


def test_a_hub_that_refuses_connections_is_upstream_unavailable(api_client, settings, db):
    settings.HF_ENDPOINT = "http://127.0.0.1:9"
    response = api_client.post(URL, {"input": "acme/anything"}, format="json")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unavailable"


def test_a_rate_limited_hub_is_rate_limited(api_client, broken_hub):
    broken_hub.status = 429
    response = api_client.post(URL, {"input": "acme/anything"}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"


def test_it_needs_an_authenticated_user(client, db):
    assert client.post(URL, {"input": "acme/x"}, content_type="application/json").status_code in (401, 403)
