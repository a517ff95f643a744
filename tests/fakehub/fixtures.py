"""pytest fixtures for the fake hub; import them from tests/conftest.py:

    from tests.fakehub.fixtures import fakehub, fakehub_session  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from .hub import FakeHub


@contextmanager
def running_fakehub(**kwargs) -> Iterator[FakeHub]:
    """Run a FakeHub in this process for the duration of a with-block."""
    hub = FakeHub(**kwargs).start()
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture(scope="session")
def fakehub_session() -> Iterator[FakeHub]:
    """One emulator per test session (three listeners on free 127.0.0.1 ports)."""
    with running_fakehub() as hub:
        yield hub


@pytest.fixture
def fakehub(fakehub_session: FakeHub, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """The session's emulator, reset to the seeded catalog; huggingface_hub pointed at it."""
    fakehub_session.reset()
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    yield fakehub_session
    fakehub_session.reset()
