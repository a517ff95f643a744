"""Fixtures shared by the whole suite.

Service-dependent tests (PostgreSQL, Redis) are marked `services`; they skip when the service is
missing, except when MODELLA_REQUIRE_SERVICES=1 (CI), where a missing service is a failure.
"""

import os
import socket

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import UserFactory

# The hub emulator's and the browser's fixtures, registered once for the whole suite (two
# session-scoped browsers would start Playwright twice).
pytest_plugins = ["tests.fakehub.fixtures", "tests.browser"]

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_XET", "1")

REQUIRE_SERVICES = os.environ.get("MODELLA_REQUIRE_SERVICES") == "1"


def service_available(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip the calling test when a service is down, unless CI demands it."""
    if service_available(host, port):
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (MODELLA_REQUIRE_SERVICES=1) but not reachable on {host}:{port}")
    pytest.skip(f"{name} is not running on {host}:{port}")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Tests start from an empty curation: the featured starting set that a data migration ships
    (catalog 0005) is removed once the test database is built; tests add the entries they need."""
    from catalog.models import FeaturedModel

    with django_db_blocker.unblock():
        FeaturedModel.objects.all().delete()


@pytest.fixture(autouse=True)
def _no_api_throttle(settings):
    """The API's write throttle counts per user id, and ids repeat from test to test: it is off
    here, and the tests of throttling (tests/api) turn it on."""
    settings.API_WRITE_RATE = ""


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashers take ~0.3 s a password by design; tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _stated_machine(settings):
    """The fit estimate (catalog.fit) and the recommendation it moves see a stated machine, 64 GB
    of RAM and no GPU, whatever runs the suite; tests/catalog/test_will_it_fit*.py state their own."""
    settings.RAM_BYTES = 64 * 1024**3
    settings.GPU_BYTES = 0


@pytest.fixture(autouse=True)
def models_dir(settings, tmp_path):
    """Every test gets its own empty models directory."""
    path = tmp_path / "models"
    path.mkdir()
    settings.MODELS_DIR = path
    return path


@pytest.fixture
def hub(fakehub, settings, db):
    """The emulator as Modella's only hubs and download host: no tokens, no storage reserve, an
    empty cache, and short timeouts, stall windows and back-offs so fault tests run fast."""
    from catalog.sources import civitai

    settings.HF_ENDPOINT = fakehub.hf_url
    settings.CIVITAI_ENDPOINT = fakehub.civitai_url
    settings.DOWNLOAD_HOSTS = ["127.0.0.1"]
    settings.HF_TOKEN = ""
    settings.CIVITAI_TOKEN = ""
    settings.HUB_TIMEOUT = 5
    settings.STORAGE_RESERVE_BYTES = 0
    settings.STALL_SECONDS = 1
    settings.DOWNLOAD_RETRY_BASE_SECONDS = 0.05
    settings.DOWNLOAD_CHECKPOINT_SECONDS = 0.2
    settings.DOWNLOAD_MAX_ATTEMPTS = 4
    settings.DOWNLOAD_CONNECTIONS = 1
    settings.CIVITAI_REQUESTS_PER_SECOND = 0
    settings.CIVITAI_RETRY_BASE_SECONDS = 0.01
    cache.clear()  # cached hub answers and per-host back-off notes from an earlier test
    civitai._next_slot.clear()
    yield fakehub
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory(username="owner", is_staff=True, is_superuser=True)


@pytest.fixture
def other_user(db):
    """A signed-in member who is not staff."""
    return UserFactory(username="someone-else")


@pytest.fixture
def other_api_client(other_user):
    api = APIClient()
    api.force_authenticate(other_user)
    return api


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def api_client(user):
    api = APIClient()
    api.force_authenticate(user)
    return api
