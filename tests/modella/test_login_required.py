"""Pages and the API need a signed-in user."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["home", "settings"])
def test_pages_redirect_anonymous_visitors_to_the_login_page(client, user, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_api_refuses_anonymous_clients_with_the_error_format(user):
    response = APIClient().get(reverse("api:status"))
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] in ("not_authenticated", "permission_denied")


def test_the_api_accepts_a_drf_token(user):
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(reverse("api:status")).status_code == 200


def test_the_login_page_signs_a_user_in(client, user):
    response = client.post(reverse("login"), {"username": "owner", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
