"""schemathesis drives every operation of the schema served at /api/v1/schema/ through the WSGI
app in-process, with the emulator as both hubs and a few examples per operation: no server errors,
and every response (errors included) conforms to the schema.

schemathesis' own pytest loader does not run under pytest 9 (it sets a private node attribute), so
the operations are parametrized here from drf-spectacular's generator and each test draws its
cases with Hypothesis from the schema loaded over WSGI."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES_PER_OPERATION = 5
METHODS = ("get", "post", "put", "patch", "delete")
OPERATIONS = sorted((method.upper(), path) for path, item in SchemaGenerator().get_schema(public=True)["paths"].items()
                    for method in item if method in METHODS)


@pytest.fixture
def wsgi_app():
    """The WSGI app, minus the per-request connection closing that Django's test client also
    switches off: it would close the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def auth(token) -> dict:
    return {"Authorization": f"Token {token.key}"}


@pytest.fixture
def api_schema(hub, wsgi_app, auth):
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app, headers=auth)


def test_every_operation_is_exercised(api_schema):
    served = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert served == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_operation_keeps_to_the_schema(api_schema, auth, method, path):
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    # derandomize: the same examples on every run, so CI is repeatable on both databases.
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(headers=auth, checks=[not_a_server_error, response_schema_conformance])

    check()
