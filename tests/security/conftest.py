"""Fixtures of the security tests."""

import pytest


@pytest.fixture
def hubs(hub, settings):
    """Both hubs on the emulator (the suite's `hub`), giving up after three attempts."""
    settings.DOWNLOAD_MAX_ATTEMPTS = 3
    return hub
