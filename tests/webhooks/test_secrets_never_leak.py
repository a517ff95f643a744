"""The signing secret (and a password in a webhook URL) never appears in an API answer other than
the one that created it, in a page other than the one that shows it once, in the admin, in the
delivery log or in any log line, and is stored encrypted."""

import logging

import pytest
from django.db import connection

from tests.webhooks.conftest import make_webhook
from webhooks import tasks
from webhooks.models import COMPLETED, WebhookDelivery

pytestmark = pytest.mark.django_db

URL_PASSWORD = "url-pass-Zq81"


@pytest.fixture
def planted(receiver, caplog):
    caplog.set_level(logging.DEBUG)
    url = receiver.url.replace("http://", f"http://hook:{URL_PASSWORD}@")
    webhook, secret = make_webhook(url, name="planted")
    receiver.answer(500)
    delivery = WebhookDelivery.objects.create_for(webhook, COMPLETED, {"id": 1, "repo": "a/b", "filename": "c.gguf"})
    tasks.deliver(str(delivery.pk))  # fails once, with an error recorded
    webhook.send_test()  # delivered
    return webhook, secret, delivery


def assert_clean(text: str, secret: str) -> None:
    assert secret not in text
    assert URL_PASSWORD not in text


def test_the_secret_is_stored_encrypted(planted):
    webhook, secret, _delivery = planted
    with connection.cursor() as cursor:
        cursor.execute("SELECT url, secret_encrypted FROM webhooks_webhook")
        url, stored = cursor.fetchone()
    assert secret not in stored and stored.startswith("gAAAA")  # a Fernet token
    assert URL_PASSWORD in url  # the URL itself is needed to call it


def test_no_api_answer_shows_it(planted, api_client, django_capture_on_commit_callbacks):
    webhook, secret, delivery = planted
    answers = [
        api_client.get("/api/v1/webhooks"),
        api_client.get(f"/api/v1/webhooks/{webhook.pk}"),
        api_client.get(f"/api/v1/webhooks/{webhook.pk}/deliveries"),
        api_client.patch(f"/api/v1/webhooks/{webhook.pk}", {"name": "renamed"}, format="json"),
        api_client.post(f"/api/v1/webhooks/{webhook.pk}/test"),
        api_client.post(f"/api/v1/webhooks/{webhook.pk}/deliveries/{delivery.pk}/redeliver"),
    ]
    for answer in answers:
        assert answer.status_code < 300
        assert_clean(answer.content.decode(), secret)


def test_no_page_shows_it(planted, logged_in_client):
    webhook, secret, delivery = planted
    for path in ("/webhooks/", f"/webhooks/{webhook.pk}/", f"/webhooks/{webhook.pk}/delete/",
                 f"/webhooks/{webhook.pk}/secret/", "/admin/webhooks/webhook/",
                 f"/admin/webhooks/webhook/{webhook.pk}/change/", "/admin/webhooks/webhookdelivery/",
                 f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/"):
        response = logged_in_client.get(path)
        assert response.status_code == 200, path
        assert_clean(response.content.decode(), secret)


def test_no_log_line_and_no_stored_error_shows_it(planted, caplog, refused_url):
    webhook, secret, _delivery = planted
    webhook.change(url=refused_url.replace("http://", f"http://hook:{URL_PASSWORD}@"))
    webhook.send_test()
    webhook.regenerate_secret()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "delivery" in logged  # the deliveries were logged...
    assert_clean(logged, secret)  # ...without the secret or the URL's password
    assert "/hooks/modella" not in logged  # nor the URL's path (it can be a secret too)
    for error, excerpt in WebhookDelivery.objects.values_list("error", "response_excerpt"):
        assert_clean(error + excerpt, secret)


def test_the_admin_search_cannot_probe_the_url_password(planted, logged_in_client):
    webhook, _secret, _delivery = planted
    response = logged_in_client.get("/admin/webhooks/webhook/", {"q": URL_PASSWORD[:8]})
    assert response.status_code == 200
    assert f"/admin/webhooks/webhook/{webhook.pk}/change/" not in response.content.decode()
    found = logged_in_client.get("/admin/webhooks/webhook/", {"q": "planted"})
    assert f"/admin/webhooks/webhook/{webhook.pk}/change/" in found.content.decode()
