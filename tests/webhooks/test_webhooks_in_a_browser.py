"""In a real browser: add a webhook with the form, copy the secret from the page shown once, send
a test to a receiver on 127.0.0.1 and read the result; axe-core finds no serious problem on the
secret page (the other webhook pages are in tests/e2e/test_every_page_is_accessible.py)."""

import pytest

from modella.models import UserSettings
from tests.browser import login
from tests.e2e.conftest import axe_violations
from webhooks import sender
from webhooks.models import Webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_add_a_webhook_copy_its_secret_and_send_a_test(page, live_server, user, receiver, theme):
    UserSettings.objects.update_or_create(user=user, defaults={"onboarding_done": True, "theme": theme})
    login(page, live_server, user)
    page.goto(live_server.url + "/settings/")
    page.get_by_role("link", name="Manage webhooks").click()

    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Name (optional)").fill("Receiver")
    page.get_by_label("Download failed").uncheck()
    page.get_by_role("button", name="Add webhook").click()

    secret = page.get_by_label("Signing secret of “Receiver”").input_value()
    assert secret == Webhook.objects.get().secret
    assert axe_violations(page) == []

    page.get_by_role("link", name="Done").click()
    page.get_by_role("button", name="Send test").click()
    assert page.get_by_role("status").filter(has_text="The test was delivered").count() >= 1
    [request] = receiver.requests
    assert sender.verify(secret, request.headers["x-modella-timestamp"], request.body,
                         request.headers["x-modella-signature"])
    assert Webhook.objects.get().events == ["download.completed"]
    assert secret not in page.content()
