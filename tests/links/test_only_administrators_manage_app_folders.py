"""App folders are where Modella writes outside the models directory: only a staff account
(the owner, or whom the owner makes staff) may see or change them, in the pages and the API."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from links.models import AppFolder

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(tmp_path):
    root = tmp_path / "ComfyUI"
    root.mkdir()
    return AppFolder.objects.create(name="ComfyUI", kind="comfyui", root=str(root), mapping={"checkpoints": "models/x"})


@pytest.fixture
def member(other_user):
    client = Client()  # its own: a test may also use the owner's logged_in_client
    client.force_login(other_user)
    return client


@pytest.mark.parametrize("path", ["/apps/", "/apps/add/", "/apps/{pk}/", "/apps/{pk}/edit/", "/apps/{pk}/delete/"])
def test_a_member_is_told_why_a_page_is_closed(member, app, path):
    response = member.get(path.format(pk=app.pk), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert "Only an administrator can manage app folders" in response.content.decode()
    assert b"<h1>Not allowed</h1>" in response.content


def test_a_member_cannot_add_repair_or_delete(member, app, tmp_path):
    before = AppFolder.objects.count()
    assert member.post("/apps/add/", {"name": "Mine", "kind": "custom", "root": str(tmp_path)}).status_code == 403
    assert member.post(f"/apps/{app.pk}/repair/").status_code == 403
    assert member.post(f"/apps/{app.pk}/delete/").status_code == 403
    assert AppFolder.objects.count() == before


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/v1/apps"), ("post", "/api/v1/apps"), ("get", "/api/v1/apps/{pk}"),
    ("patch", "/api/v1/apps/{pk}"), ("delete", "/api/v1/apps/{pk}"), ("get", "/api/v1/apps/{pk}/health"),
    ("post", "/api/v1/apps/{pk}/repair"), ("post", "/api/v1/apps/{pk}/link-all"), ("get", "/api/v1/links"),
])
def test_the_api_refuses_a_member_with_the_same_reason(other_api_client, app, method, path):
    response = getattr(other_api_client, method)(path.format(pk=app.pk), {}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert error["message"].startswith("Only an administrator can manage app folders")
    assert AppFolder.objects.filter(pk=app.pk, name="ComfyUI").exists()


def test_the_refusal_is_translated(other_api_client, member, app):
    response = other_api_client.get("/api/v1/apps", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 403
    assert "administrat" in response.json()["error"]["message"]
    assert "Only an administrator" not in response.json()["error"]["message"]
    page = member.get("/apps/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Only an administrator" not in page and "Administrator" in page


def test_only_staff_see_app_folders_in_the_navigation(member, logged_in_client):
    assert "App folders" not in member.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "App folders" in logged_in_client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert logged_in_client.get("/apps/").status_code == 200
    assert APIClient().get("/api/v1/apps").status_code in (401, 403)  # signed out: sign in first


def test_a_missing_page_is_shown_in_the_site_layout(member):
    response = member.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert b"<h1>Page not found</h1>" in response.content
    assert b'href="/"' in response.content
