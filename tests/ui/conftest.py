import pytest
from django.core.cache import cache


@pytest.fixture
def hub(fakehub, settings, db):
    """The emulator as the only hub; no reserve so sizes are simple to reason about."""
    settings.HF_ENDPOINT = fakehub.hf_url
    settings.CIVITAI_ENDPOINT = fakehub.civitai_url
    settings.DOWNLOAD_HOSTS = ["127.0.0.1"]
    settings.HF_TOKEN = ""
    settings.CIVITAI_TOKEN = ""
    settings.STORAGE_RESERVE_BYTES = 0
    cache.clear()
    yield fakehub
    cache.clear()


HTMX = {"HX-Request": "true"}
