"""The welcome banner and the 4-step tour, stored per user and restartable from Settings."""

import pytest
from django.urls import reverse

from modella.models import UserSettings

pytestmark = pytest.mark.django_db


def state(user):
    row = UserSettings.objects.get(user=user)
    return row.onboarding_done, row.onboarding_step


def test_a_new_user_sees_the_welcome_banner(logged_in_client):
    body = logged_in_client.get(reverse("home")).content.decode()
    assert "Discover, download, and manage your AI models in one place" in body


def test_dismiss_hides_the_banner_for_good(logged_in_client, user):
    logged_in_client.post(reverse("onboarding"), {"action": "dismiss"})
    assert state(user) == (True, 0)
    assert 'id="welcome"' not in logged_in_client.get(reverse("home")).content.decode()


def test_the_tour_walks_through_four_steps(logged_in_client, user):
    response = logged_in_client.post(reverse("onboarding"), {"action": "start"})
    assert response["Location"].endswith("#tour-step-1")
    titles = []
    for step in range(1, 5):
        assert state(user) == (False, step)
        body = logged_in_client.get(reverse("home")).content.decode()
        assert f'id="tour-step-{step}"' in body and 'id="welcome"' not in body
        titles.append(body)
        logged_in_client.post(reverse("onboarding"), {"action": "next" if step < 4 else "finish"})
    assert state(user) == (True, 0)
    assert "Featured models" in titles[0] and "Filter and search" in titles[3]


def test_skip_ends_the_tour_and_settings_restarts_it(logged_in_client, user):
    logged_in_client.post(reverse("onboarding"), {"action": "start"})
    logged_in_client.post(reverse("onboarding"), {"action": "skip"})
    assert state(user) == (True, 0)
    assert 'id="restart-tour"' in logged_in_client.get(reverse("settings")).content.decode()
    logged_in_client.post(reverse("onboarding"), {"action": "restart"})
    assert state(user) == (False, 1)


def test_each_user_has_their_own_tour_state(client, user, other_user):
    client.force_login(user)
    client.post(reverse("onboarding"), {"action": "dismiss"})
    client.force_login(other_user)
    assert 'id="welcome"' in client.get(reverse("home")).content.decode()
