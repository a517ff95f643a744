"""A NUL character in a query string is a clear 400 on every database, never a 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/v1/modelfiles?search=a%00b", "/api/v1/downloads/history?repo=a%00b",
                                 "/api/v1/lists?page%00=1"])
def test_the_api_answers_invalid_input(api_client, url):
    response = api_client.get(url)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_a_page_answers_bad_request(logged_in_client):
    assert logged_in_client.get("/?search=a%00b").status_code == 400
