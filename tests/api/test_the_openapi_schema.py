"""The OpenAPI schema at /api/v1/schema/ validates without warnings, covers every endpoint of
API.md and documents the error format as every operation's default response."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

API_MD_PATHS = [
    "/api/v1/storage", "/api/v1/storage/snapshots", "/api/v1/modelfiles", "/api/v1/modelfiles/{repo}/metadata",
    "/api/v1/modelfiles/resolve", "/api/v1/modelfiles/{repo}/files/{filename}", "/api/v1/local-files/{id}",
    "/api/v1/featured-models", "/api/v1/downloads", "/api/v1/downloads/queue", "/api/v1/downloads/{job_id}",
    "/api/v1/downloads/{job_id}/retry", "/api/v1/downloads/history", "/api/v1/downloads/stats", "/api/v1/lists",
    "/api/v1/lists/{id}", "/api/v1/lists/{id}/items", "/api/v1/lists/{id}/items/{item_id}",
    "/api/v1/lists/{id}/download", "/api/v1/lists/{id}/remove-local", "/api/v1/lists/{id}/export",
    "/api/v1/lists/import", "/api/v1/hub/huggingface/search", "/api/v1/hub/civitai/models",
    "/api/v1/hub/civitai/models/{model_id}", "/api/v1/status",
]


@pytest.fixture
def schema(api_client) -> dict:
    return api_client.get("/api/v1/schema/", {"format": "json"}).json()


def test_the_schema_validates_with_no_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))


def test_every_endpoint_of_the_contract_is_in_the_schema(schema):
    missing = [path for path in API_MD_PATHS if path not in schema["paths"]]
    assert missing == []


def test_every_operation_documents_the_error_format(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["responses"]["default"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}, f"{method} {path}"
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]


def test_token_and_session_authentication_are_documented(schema):
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_lists_are_documented_as_pages(schema):
    page = schema["paths"]["/api/v1/downloads/history"]["get"]["responses"]["200"]["content"]["application/json"]
    ref = page["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {"count", "next", "previous", "results"}
