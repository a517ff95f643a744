"""The Webhooks page: add (secret shown once), list, enable/disable, test, redeliver, regenerate,
delete: every action a form that POSTs, no JavaScript needed."""

import pytest

from tests.webhooks.conftest import make_webhook
from webhooks.models import COMPLETED, FAILED, Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


def add(client, **data):
    form = {"new-url": "http://192.168.1.20:5678/webhook/modella", "new-events": [COMPLETED, FAILED],
            "new-enabled": "on", **data}
    return client.post("/webhooks/", form)


def test_settings_links_to_the_webhooks_page(logged_in_client):
    html = logged_in_client.get("/settings/").content.decode()
    assert 'href="/webhooks/"' in html


def test_the_page_lists_webhooks_with_their_last_delivery(logged_in_client, receiver):
    webhook, _secret = make_webhook(receiver.url, name="n8n flow")
    webhook.send_test()
    html = logged_in_client.get("/webhooks/").content.decode()
    assert "n8n flow" in html and receiver.url in html
    assert "Delivered" in html and "HTTP 200" in html
    assert 'action="/webhooks/"' in html and 'name="new-events"' in html


def test_adding_shows_the_secret_once_then_never_again(logged_in_client):
    response = add(logged_in_client, **{"new-name": "Home Assistant"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    webhook = Webhook.objects.get()
    html = response.content.decode()
    assert webhook.secret in html and "shown only this once" in html
    assert "X-Modella-Signature" in html and "hmac.compare_digest" in html
    assert webhook.events == [COMPLETED, FAILED] and webhook.enabled and webhook.name == "Home Assistant"
    for page in ("/webhooks/", f"/webhooks/{webhook.pk}/", f"/webhooks/{webhook.pk}/secret/",
                 f"/webhooks/{webhook.pk}/delete/"):
        assert webhook.secret not in logged_in_client.get(page).content.decode()


def test_a_bad_url_is_explained_on_the_form(logged_in_client):
    response = add(logged_in_client, **{"new-url": "file:///etc/passwd"})
    assert response.status_code == 400
    assert "Only http:// and https:// URLs with a host name are accepted." in response.content.decode()
    assert not Webhook.objects.exists()
    no_events = add(logged_in_client, **{"new-events": []})
    assert no_events.status_code == 400 and not Webhook.objects.exists()


def test_disable_and_enable(logged_in_client):
    webhook, _secret = make_webhook("http://10.0.0.1/h")
    response = logged_in_client.post(f"/webhooks/{webhook.pk}/toggle/")
    assert response.status_code == 302 and response["Location"] == "/webhooks/"
    webhook.refresh_from_db()
    assert not webhook.enabled
    response = logged_in_client.post(f"/webhooks/{webhook.pk}/toggle/", {"back": "detail"})
    assert response["Location"] == f"/webhooks/{webhook.pk}/"
    webhook.refresh_from_db()
    assert webhook.enabled
    assert logged_in_client.get(f"/webhooks/{webhook.pk}/toggle/").status_code == 405


def test_editing_saves_the_settings(logged_in_client):
    webhook, _secret = make_webhook("http://10.0.0.1/h")
    response = logged_in_client.post(f"/webhooks/{webhook.pk}/", {
        "url": "https://10.0.0.2/other", "name": "renamed", "events": [FAILED]})
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.url, webhook.name, webhook.events, webhook.enabled) == (
        "https://10.0.0.2/other", "renamed", [FAILED], False)
    bad = logged_in_client.post(f"/webhooks/{webhook.pk}/", {"url": "gopher://x", "events": [FAILED]})
    assert bad.status_code == 400 and "Only http:// and https://" in bad.content.decode()


def test_send_test_reports_the_result(logged_in_client, receiver, refused_url):
    webhook, _secret = make_webhook(receiver.url)
    response = logged_in_client.post(f"/webhooks/{webhook.pk}/test/", follow=True)
    html = response.content.decode()
    assert "The test was delivered (HTTP 200" in html
    assert "download.test" in html and len(receiver.requests) == 1

    broken, _secret = make_webhook(refused_url)
    html = logged_in_client.post(f"/webhooks/{broken.pk}/test/", follow=True).content.decode()
    assert "The test was not delivered: The connection was refused" in html


def test_the_delivery_log_shows_status_code_and_error_and_redelivers(logged_in_client, receiver, queued_tasks,
                                                                     django_capture_on_commit_callbacks):
    receiver.default = 500
    webhook, _secret = make_webhook(receiver.url)
    delivery = webhook.send_test()
    html = logged_in_client.get(f"/webhooks/{webhook.pk}/").content.decode()
    assert "HTTP 500" in html and "The receiver answered HTTP 500." in html and "Failed" in html

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in_client.post(f"/webhooks/{webhook.pk}/deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 302
    again = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert again.redelivery_of_id == delivery.pk and queued_tasks == [("webhooks.tasks.deliver", (str(again.pk),))]
    assert logged_in_client.post(f"/webhooks/{webhook.pk}/deliveries/nope/redeliver/").status_code == 404


def test_regenerating_asks_first_then_shows_the_new_secret(logged_in_client):
    webhook, old = make_webhook("http://10.0.0.1/h")
    confirm = logged_in_client.get(f"/webhooks/{webhook.pk}/secret/")
    assert confirm.status_code == 200 and "stops working at once" in confirm.content.decode()
    assert Webhook.objects.get().secret == old

    response = logged_in_client.post(f"/webhooks/{webhook.pk}/secret/")
    new = Webhook.objects.get().secret
    assert new != old and new in response.content.decode() and "no-store" in response["Cache-Control"]


def test_delete_asks_first(logged_in_client):
    webhook, _secret = make_webhook("http://10.0.0.1/h", name="to go")
    confirm = logged_in_client.get(f"/webhooks/{webhook.pk}/delete/")
    assert confirm.status_code == 200 and "to go" in confirm.content.decode()
    assert Webhook.objects.exists()
    response = logged_in_client.post(f"/webhooks/{webhook.pk}/delete/", follow=True)
    assert "was deleted" in response.content.decode()
    assert not Webhook.objects.exists()
    assert logged_in_client.get(f"/webhooks/{webhook.pk}/").status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, user):
    webhook, _secret = make_webhook("http://10.0.0.1/h")
    for path in ("/webhooks/", f"/webhooks/{webhook.pk}/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post(f"/webhooks/{webhook.pk}/delete/").status_code == 302
    assert Webhook.objects.exists()


def test_the_delivery_log_is_in_the_admin_filtered_and_read_only(logged_in_client, receiver):
    webhook, _secret = make_webhook(receiver.url)
    delivery = webhook.send_test()
    changelist = logged_in_client.get("/admin/webhooks/webhookdelivery/", {"status__exact": "delivered"})
    assert changelist.status_code == 200 and "download.test" in changelist.content.decode()
    page = logged_in_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert logged_in_client.get("/admin/webhooks/webhookdelivery/add/").status_code == 403
    assert logged_in_client.get(f"/admin/webhooks/webhook/{webhook.pk}/change/").status_code == 200
