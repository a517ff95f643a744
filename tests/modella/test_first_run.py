"""The first visit creates the owner account; afterwards that page is gone.

(Each test client builds its own middleware chain, so each test starts as a fresh install.)"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_page_leads_to_the_owner_page_on_a_fresh_install(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("first_run")


def test_the_owner_page_creates_a_superuser_and_logs_in(client):
    response = client.post(
        reverse("first_run"),
        {"username": "ada", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
    )
    assert response.status_code == 302
    owner = get_user_model().objects.get(username="ada")
    assert owner.is_superuser and owner.is_staff
    assert client.get("/").status_code == 200


def test_the_owner_page_shows_errors_for_mismatched_passwords(client):
    response = client.post(
        reverse("first_run"), {"username": "ada", "password1": "a-long-passphrase-42", "password2": "other"}
    )
    assert response.status_code == 200
    assert not get_user_model().objects.exists()


def test_the_owner_page_cannot_create_a_second_owner(client, user):
    response = client.post(
        reverse("first_run"),
        {"username": "mallory", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
    )
    assert response.status_code == 302
    assert not get_user_model().objects.filter(username="mallory").exists()
