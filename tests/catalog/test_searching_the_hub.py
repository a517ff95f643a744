"""GET /api/v1/hub/huggingface/search: results from the Hub, cached for five minutes."""

from tests.factories import ModelRepositoryFactory

URL = "/api/v1/hub/huggingface/search"


def test_it_returns_hub_results_with_the_contract_fields(api_client, hub):
    data = api_client.get(URL, {"q": "llama"}).json()
    repos = [r["repo"] for r in data["results"]]
    assert "acme/tiny-llama-gguf" in repos
    item = data["results"][0]
    assert set(item) >= {"repo", "likes", "downloads", "tags", "last_modified", "gated", "in_catalog"}
    assert "next" in data


def test_a_second_identical_search_makes_no_request_to_the_hub(api_client, hub):
    first = api_client.get(URL, {"q": "gguf", "sort": "likes"}).json()
    assert len(hub.requests_for("/api/models?")) == 1
    second = api_client.get(URL, {"q": "gguf", "sort": "likes"}).json()
    assert len(hub.requests_for("/api/models?")) == 1
    assert first == second
    api_client.get(URL, {"q": "gguf", "sort": "downloads"})
    assert len(hub.requests_for("/api/models?")) == 2


def test_in_catalog_is_live_even_for_cached_results(api_client, hub):
    api_client.get(URL, {"author": "acme"})
    ModelRepositoryFactory(repo="acme/tiny-llama-gguf")
    data = api_client.get(URL, {"author": "acme"}).json()
    flags = {r["repo"]: r["in_catalog"] for r in data["results"]}
    assert flags["acme/tiny-llama-gguf"] is True
    assert flags["acme/tiny-bert"] is False


def test_it_pages_with_a_cursor(api_client, hub):
    first = api_client.get(URL, {"author": "acme", "limit": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = api_client.get(URL, {"author": "acme", "limit": 2, "cursor": first["next"]}).json()
    assert not {r["repo"] for r in first["results"]} & {r["repo"] for r in second["results"]}


def test_gated_repositories_say_so(api_client, hub):
    data = api_client.get(URL, {"q": "helix"}).json()
    assert data["results"][0]["gated"] == "manual"


def test_a_hub_failure_is_upstream_unavailable(api_client, broken_hub):
    response = api_client.get(URL, {"q": "x"})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unavailable"
