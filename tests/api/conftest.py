"""Fixtures of the API tests: the emulator as both hubs, and clients with and without a token."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def token(user):
    return Token.objects.create(user=user)


@pytest.fixture
def token_client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
