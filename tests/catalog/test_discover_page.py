"""The minimal Discover page: add a model by input, search the Hub."""

from catalog.models import ModelRepository


def test_it_shows_the_form(logged_in_client):
    response = logged_in_client.get("/discover/")
    assert response.status_code == 200
    assert b'name="input"' in response.content


def test_adding_a_model_fetches_it_and_shows_it(logged_in_client, hub):
    response = logged_in_client.post("/discover/add/", {"input": "acme/tiny-llama-gguf"}, follow=True)
    assert ModelRepository.objects.filter(repo="acme/tiny-llama-gguf").exists()
    assert b"tiny-q4_k_m.gguf" in response.content


def test_bad_input_is_explained(logged_in_client, db):
    response = logged_in_client.post("/discover/add/", {"input": "???"}, follow=True)
    assert b"owner/name" in response.content


def test_searching_the_hub(logged_in_client, hub):
    response = logged_in_client.get("/discover/", {"q": "tiny"})
    assert b"acme/tiny-llama-gguf" in response.content


def test_it_needs_a_login(client, db):
    assert client.get("/discover/").status_code == 302
