"""/api/v1/webhooks: create (the secret once), read, change, delete, test, deliveries, redeliver."""

import pytest

from tests.webhooks.conftest import make_webhook
from webhooks import sender
from webhooks.models import COMPLETED, FAILED, Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


def create(api_client, **data):
    body = {"url": "http://192.168.1.20:8123/api/webhook/modella", "events": [COMPLETED], **data}
    return api_client.post("/api/v1/webhooks", body, format="json")


def test_creating_answers_201_with_the_secret_once(api_client):
    response = create(api_client, name="Home Assistant", events=[FAILED, COMPLETED])

    assert response.status_code == 201
    data = response.json()
    assert data["secret"].startswith("whsec_") and len(data["secret"]) > 40
    assert data["url"] == "http://192.168.1.20:8123/api/webhook/modella"
    assert data["events"] == [COMPLETED, FAILED] and data["enabled"] is True
    assert data["name"] == "Home Assistant" and data["last_delivery"] is None
    webhook = Webhook.objects.get(pk=data["id"])
    assert webhook.secret == data["secret"] and data["secret"] not in webhook.secret_encrypted

    again = api_client.get(f"/api/v1/webhooks/{data['id']}").json()
    assert "secret" not in again
    listed = api_client.get("/api/v1/webhooks").json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]


@pytest.mark.parametrize(("url", "reason"), [
    ("file:///etc/passwd", "invalid_scheme"),
    ("ftp://192.168.1.2/hook", "invalid_scheme"),
    ("javascript:alert(1)", "invalid_scheme"),
    ("http://", "invalid_scheme"),
    ("http://host:99999/", "invalid"),
    ("http://exa mple.org/", "invalid"),
    ("", "required"),
])
def test_only_http_and_https_urls_are_accepted(api_client, url, reason):
    response = create(api_client, url=url)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and error["details"] == {"url": reason}
    assert Webhook.objects.count() == 0


@pytest.mark.parametrize("url", ["http://127.0.0.1:5678/webhook/x", "http://homeassistant:8123/api/webhook/a",
                                 "https://10.0.0.5/hook", "http://[fd00::1]:8080/h"])
def test_local_network_destinations_are_allowed(api_client, url):
    assert create(api_client, url=url).status_code == 201


@pytest.mark.parametrize("events", [[], ["download.started"], "nonsense", [1], None, ["download.test"]])
def test_events_must_be_known(api_client, events):
    response = create(api_client, events=events)
    assert response.status_code == 400
    assert "download.completed, download.failed" in response.json()["error"]["message"]


def test_a_password_in_the_url_is_never_shown_but_kept(api_client, receiver):
    url = receiver.url.replace("http://", "http://n8n:hunter2-password@")
    data = create(api_client, url=url).json()
    assert "hunter2-password" not in str(data) and data["url"].startswith("http://n8n:***@127.0.0.1")

    # Sending back the redacted URL (say, with another field changed) keeps the password.
    response = api_client.patch(f"/api/v1/webhooks/{data['id']}", {"url": data["url"], "enabled": False},
                                format="json")
    assert response.status_code == 200 and response.json()["enabled"] is False
    assert Webhook.objects.get().url == url
    assert sender.log_target(url) == f"http://127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}"


def test_patch_changes_only_what_is_given(api_client):
    webhook, _secret = make_webhook("http://10.0.0.2/a", events=[COMPLETED], name="old")
    response = api_client.patch(f"/api/v1/webhooks/{webhook.pk}",
                                {"events": [FAILED], "url": "https://10.0.0.3/b"}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["events"] == [FAILED] and data["url"] == "https://10.0.0.3/b" and data["name"] == "old"
    bad = api_client.patch(f"/api/v1/webhooks/{webhook.pk}", {"enabled": "maybe"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["details"] == {"enabled": "invalid"}
    assert api_client.patch(f"/api/v1/webhooks/{webhook.pk}", ["x"], format="json").status_code == 400


def test_delete_removes_the_webhook_and_its_log(api_client, receiver):
    webhook, _secret = make_webhook(receiver.url)
    WebhookDelivery.objects.create_for(webhook, COMPLETED, None)
    assert api_client.delete(f"/api/v1/webhooks/{webhook.pk}").status_code == 204
    assert not Webhook.objects.exists() and not WebhookDelivery.objects.exists()
    missing = api_client.get(f"/api/v1/webhooks/{webhook.pk}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_the_test_endpoint_sends_a_ping_now_and_reports_it(api_client, receiver):
    webhook, _secret = make_webhook(receiver.url, enabled=False)  # a test works before enabling
    response = api_client.post(f"/api/v1/webhooks/{webhook.pk}/test")

    assert response.status_code == 200
    data = response.json()
    assert data["event"] == "download.test" and data["status"] == "delivered" and data["response_status"] == 200
    assert data["max_attempts"] == 1
    assert receiver.requests[0].json()["event"] == "download.test"
    assert receiver.requests[0].json()["download"] is None  # no download finished yet


def test_a_failed_test_is_not_retried(api_client, refused_url):
    webhook, _secret = make_webhook(refused_url)
    data = api_client.post(f"/api/v1/webhooks/{webhook.pk}/test").json()
    assert data["status"] == "failed" and data["next_attempt_at"] is None
    assert data["error"] == "The connection was refused (is the receiver running on that port?)."


def test_deliveries_are_paginated_newest_first_and_filtered(api_client, receiver):
    webhook, _secret = make_webhook(receiver.url)
    for _n in range(3):
        webhook.send_test()
    receiver.default = 500
    webhook.send_test()

    page = api_client.get(f"/api/v1/webhooks/{webhook.pk}/deliveries", {"page_size": 2}).json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    assert page["results"][0]["status"] == "failed"
    assert page["results"][0]["response_body"] == "receiver says no"
    failed = api_client.get(f"/api/v1/webhooks/{webhook.pk}/deliveries", {"status": "failed"}).json()
    assert failed["count"] == 1
    assert api_client.get(f"/api/v1/webhooks/{webhook.pk}/deliveries", {"status": "lost"}).status_code == 400
    assert api_client.get("/api/v1/webhooks/999/deliveries").status_code == 404
    assert api_client.get(f"/api/v1/webhooks/{webhook.pk}").json()["last_delivery"]["status"] == "failed"


def test_redeliver_queues_a_new_delivery(api_client, receiver, queued_tasks, django_capture_on_commit_callbacks):
    webhook, _secret = make_webhook(receiver.url)
    first = webhook.send_test()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"/api/v1/webhooks/{webhook.pk}/deliveries/{first.pk}/redeliver")
    assert response.status_code == 202
    data = response.json()
    assert data["redelivery_of"] == str(first.pk) and data["status"] == "pending"
    assert queued_tasks == [("webhooks.tasks.deliver", (data["id"],))]
    assert api_client.post(f"/api/v1/webhooks/{webhook.pk}/deliveries/not-a-uuid/redeliver").status_code == 404
    other, _ = make_webhook(receiver.url)
    assert api_client.post(f"/api/v1/webhooks/{other.pk}/deliveries/{first.pk}/redeliver").status_code == 404


def test_regenerating_the_secret_shows_the_new_one_once(api_client, receiver):
    webhook, old = make_webhook(receiver.url)
    response = api_client.post(f"/api/v1/webhooks/{webhook.pk}/secret")
    assert response.status_code == 200
    new = response.json()["secret"]
    assert new != old and Webhook.objects.get().secret == new

    webhook.send_test()
    request = receiver.requests[0]
    assert sender.verify(new, request.headers["x-modella-timestamp"], request.body,
                         request.headers["x-modella-signature"])


def test_anonymous_clients_get_nothing(client):
    make_webhook("http://10.0.0.9/h")
    assert client.get("/api/v1/webhooks").status_code == 401
    assert client.post("/api/v1/webhooks", {}, content_type="application/json").status_code == 401


def test_the_endpoints_are_in_the_schema(api_client):
    paths = api_client.get("/api/v1/schema/", {"format": "json"}).json()["paths"]
    for path in ("/api/v1/webhooks", "/api/v1/webhooks/{id}", "/api/v1/webhooks/{id}/deliveries",
                 "/api/v1/webhooks/{id}/test", "/api/v1/webhooks/{id}/secret",
                 "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver"):
        assert path in paths


def test_an_edited_redacted_url_keeps_the_stored_password(api_client, receiver):
    url = receiver.url.replace("http://", "http://n8n:hunter2-password@")
    data = create(api_client, url=url).json()
    # The settings form and GET show http://n8n:***@host/...: the user changes only the path.
    edited = data["url"].replace("/hooks/modella", "/hooks/other")
    response = api_client.patch(f"/api/v1/webhooks/{data['id']}", {"url": edited}, format="json")

    assert response.status_code == 200 and response.json()["url"] == edited
    assert Webhook.objects.get().url == url.replace("/hooks/modella", "/hooks/other")


def test_a_url_requests_cannot_send_fails_the_delivery_instead_of_raising(api_client, refused_url):
    # requests encodes a Basic auth password as Latin-1: "€" raises UnicodeEncodeError, not a RequestException.
    webhook, _secret = make_webhook(refused_url.replace("http://", "http://user:p€ss@"))
    response = api_client.post(f"/api/v1/webhooks/{webhook.pk}/test")

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "failed" and data["error"] == "The request could not be sent."
    assert "p€ss" not in str(data)
