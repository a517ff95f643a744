"""The Civitai tests: the emulator as Civitai (and as the only download host), fast backoff."""

import pytest

from catalog.sources import civitai as client

GOOD_KEY = "civ_good"


@pytest.fixture
def civ(hub):
    """The emulator as Modella's Civitai (the suite's `hub`)."""
    return hub


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
