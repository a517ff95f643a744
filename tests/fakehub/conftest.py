"""The emulator's fixtures are registered for the whole suite in tests/conftest.py."""
