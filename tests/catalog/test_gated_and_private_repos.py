"""Gated and private repositories: which case it is, and what the user must do."""

import pytest

from tests.fakehub.catalog_seed import GATED_AUTO, GATED_MANUAL, PRIVATE_REPO

URL = "/api/v1/modelfiles/resolve"


def resolve(api_client, repo):
    return api_client.post(URL, {"input": repo}, format="json")


@pytest.mark.parametrize(
    ("repo", "token", "gated", "access"),
    [
        (GATED_AUTO, "", "auto", "token_required"),
        (GATED_MANUAL, "", "manual", "token_required"),
        (GATED_AUTO, "hf_good", "auto", "granted"),
        (GATED_MANUAL, "hf_good", "manual", "granted"),
        (GATED_MANUAL, "hf_pending", "manual", "pending"),
        (GATED_MANUAL, "hf_nogrant", "manual", "licence_not_accepted"),
        (GATED_AUTO, "hf_nogrant", "auto", "licence_not_accepted"),
        (GATED_AUTO, "hf_bogus", "auto", "token_invalid"),
    ],
)
def test_a_gated_repository_resolves_and_says_what_access_we_have(api_client, hub, settings, repo, token, gated,
                                                                   access):
    settings.HF_TOKEN = token
    response = resolve(api_client, repo)
    assert response.status_code == 200, response.content
    metadata = response.json()["metadata"]
    assert metadata["gated"] == gated
    assert metadata["access"] == access
    if access == "granted":
        assert metadata["access_help"] is None
    else:
        assert metadata["access_help"]
    assert response.json()["variants"], "the metadata (and so the files) are public"


def test_the_licence_case_links_to_the_repository_page(api_client, hub, settings):
    settings.HF_TOKEN = "hf_nogrant"
    metadata = resolve(api_client, GATED_MANUAL).json()["metadata"]
    assert f"{hub.hf_url}/{GATED_MANUAL}" in metadata["access_help"]


def test_a_token_saved_in_settings_is_used(api_client, hub, user):
    from modella.models import UserSettings

    saved = UserSettings.for_user(user)
    saved.hf_token = "hf_good"
    saved.save()
    assert resolve(api_client, GATED_MANUAL).json()["metadata"]["access"] == "granted"
    auth_checks = hub.requests_for(f"/api/models/{GATED_MANUAL}/auth-check")
    assert auth_checks and auth_checks[-1].headers["authorization"] == "Bearer hf_good"


def test_a_private_repository_without_a_token_is_remote_not_found(api_client, hub):
    response = resolve(api_client, PRIVATE_REPO)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "remote_not_found"
    assert "token" in error["message"]


def test_a_private_repository_with_access_resolves(api_client, hub, settings):
    settings.HF_TOKEN = "hf_good"
    response = resolve(api_client, PRIVATE_REPO)
    assert response.status_code == 200
    assert response.json()["metadata"]["private"] is True
    assert response.json()["metadata"]["access"] == "granted"


def test_a_private_repository_with_a_refused_token_is_remote_unauthorized(api_client, hub, settings):
    settings.HF_TOKEN = "hf_bogus"
    response = resolve(api_client, PRIVATE_REPO)
    assert response.status_code in (401, 403)
    error = response.json()["error"]
    assert error["code"] == "remote_unauthorized"
    assert error["details"]["access"] == "token_invalid"


def test_a_refused_token_does_not_hide_public_repositories(api_client, hub, settings):
    settings.HF_TOKEN = "hf_bogus"
    response = resolve(api_client, "acme/tiny-llama-gguf")
    assert response.status_code == 200
    assert response.json()["metadata"]["access"] == "granted"


def test_no_token_ever_appears_in_a_response(api_client, hub, settings):
    settings.HF_TOKEN = "hf_good"
    assert b"hf_good" not in resolve(api_client, GATED_MANUAL).content
