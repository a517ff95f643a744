"""Repeated failed logins lock that username out for a while, even with the right password."""

import pytest
from django.core.cache import cache
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()


def test_five_failures_lock_out_the_right_password_too(client, user, settings):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        client.post(reverse("login"), {"username": "owner", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "owner", "password": "correct-horse-battery"})
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count(client, user, settings):
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        client.post(reverse("login"), {"username": "owner", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "owner", "password": "correct-horse-battery"}).status_code == 302
    client.logout()
    client.post(reverse("login"), {"username": "owner", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "owner", "password": "correct-horse-battery"}).status_code == 302
