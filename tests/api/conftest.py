"""Fixtures of the API tests: the emulator as both hubs, and clients with and without a token."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def hub(fakehub, settings, db):
    settings.HF_ENDPOINT = fakehub.hf_url
    settings.CIVITAI_ENDPOINT = fakehub.civitai_url
    settings.DOWNLOAD_HOSTS = ["127.0.0.1"]
    settings.HF_TOKEN = ""
    settings.CIVITAI_TOKEN = ""
    settings.HUB_TIMEOUT = 5
    cache.clear()
    yield fakehub
    cache.clear()


@pytest.fixture
def token(user):
    return Token.objects.create(user=user)


@pytest.fixture
def token_client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
