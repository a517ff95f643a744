"""The Civitai tests: the emulator as Civitai (and as the only download host), fast backoff."""

import pytest
from django.core.cache import cache

from catalog.sources import civitai as client

GOOD_KEY = "civ_good"


@pytest.fixture
def civ(fakehub, settings, db):
    """The emulator as Modella's Civitai, no API key, an empty cache and a free rate limit."""
    settings.CIVITAI_ENDPOINT = fakehub.civitai_url
    settings.HF_ENDPOINT = fakehub.hf_url
    settings.DOWNLOAD_HOSTS = ["127.0.0.1"]
    settings.CIVITAI_TOKEN = ""
    settings.HF_TOKEN = ""
    settings.HUB_TIMEOUT = 5
    settings.CIVITAI_REQUESTS_PER_SECOND = 0
    settings.STORAGE_RESERVE_BYTES = 0
    cache.clear()
    client._next_slot.clear()
    yield fakehub
    cache.clear()


@pytest.fixture
def sleeps(monkeypatch):
    """Every wait the client asks for, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(client, "_sleep", waited.append)
    return waited


@pytest.fixture
def with_key(settings):
    settings.CIVITAI_TOKEN = GOOD_KEY
    return GOOD_KEY


def model_ids(page: dict) -> list[int]:
    return [item["id"] for item in page["items"]]
