"""Settings shows the user's API token with a curl example; regenerating asks first and the old
token stops working."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_without_a_token_settings_offers_to_create_one(logged_in_client):
    page = logged_in_client.get(reverse("settings")).content.decode()
    assert 'id="create-token"' in page and "curl" not in page


def test_creating_a_token_shows_it_with_a_curl_example(logged_in_client, user):
    response = logged_in_client.post(reverse("api_token"))
    assert response.status_code == 302
    token = Token.objects.get(user=user)
    page = logged_in_client.get(reverse("settings")).content.decode()
    assert f'value="{token.key}"' in page
    assert f"curl -H &quot;Authorization: Token {token.key}&quot; http://testserver/api/v1/status" in page


def test_regenerating_asks_for_confirmation_first(logged_in_client, token):
    page = logged_in_client.get(reverse("api_token")).content.decode()
    assert 'id="confirm-regenerate"' in page and "stops working" in page
    assert Token.objects.get().key == token.key


def test_regenerating_replaces_the_token_and_the_old_one_stops_working(logged_in_client, token, user):
    logged_in_client.post(reverse("api_token"))
    new = Token.objects.get(user=user)
    assert new.key != token.key
    old_client = APIClient()
    old_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert old_client.get("/api/v1/status").status_code == 401
    new_client = APIClient()
    new_client.credentials(HTTP_AUTHORIZATION=f"Token {new.key}")
    assert new_client.get("/api/v1/status").status_code == 200


def test_another_users_token_is_never_shown(logged_in_client, other_user):
    theirs = Token.objects.create(user=other_user)
    assert theirs.key not in logged_in_client.get(reverse("settings")).content.decode()


def test_regenerating_needs_a_signed_in_user(client):
    assert client.post(reverse("api_token")).status_code == 302
    assert not Token.objects.exists()
