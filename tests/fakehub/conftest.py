from tests.fakehub.fixtures import fakehub, fakehub_session  # noqa: F401
