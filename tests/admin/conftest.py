"""The emulator wired in as both hubs (shared with the API tests)."""

from tests.api.conftest import hub  # noqa: F401
