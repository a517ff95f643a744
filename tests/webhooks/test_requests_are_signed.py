"""A delivery is one POST of compact JSON whose signature a receiver can check with its secret."""

import hashlib
import hmac
import json
import time

import pytest
from django.conf import settings

from tests.webhooks.conftest import make_webhook
from webhooks import sender
from webhooks.models import COMPLETED, WebhookDelivery

pytestmark = pytest.mark.django_db

DOWNLOAD = {"id": 9, "repo": "acme/tiny-GGUF", "filename": "tiny.Q4_K_M.gguf", "status": "completed", "size": 42}


def deliver_one(receiver) -> tuple[WebhookDelivery, str]:
    webhook, secret = make_webhook(receiver.url)
    delivery = WebhookDelivery.objects.create_for(webhook, COMPLETED, DOWNLOAD)
    assert delivery.attempt() is True
    delivery.refresh_from_db()
    return delivery, secret


def test_the_signature_verifies_with_the_secret_the_timestamp_and_the_raw_body(receiver):
    before = int(time.time())
    delivery, secret = deliver_one(receiver)

    [request] = receiver.requests
    timestamp = request.headers["x-modella-timestamp"]
    assert before <= int(timestamp) <= int(time.time())
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-modella-signature"] == f"sha256={expected}"
    assert sender.verify(secret, timestamp, request.body, request.headers["x-modella-signature"])
    # Any change to the body, the timestamp or the secret breaks it.
    assert not sender.verify(secret, timestamp, request.body + b" ", request.headers["x-modella-signature"])
    assert not sender.verify(secret, str(int(timestamp) + 1), request.body, request.headers["x-modella-signature"])
    assert not sender.verify("whsec_wrong", timestamp, request.body, request.headers["x-modella-signature"])
    assert delivery.status == "delivered" and delivery.response_status == 200


def test_the_readme_snippet_verifies_a_real_request(receiver):
    from webhooks.views import VERIFY_SNIPPET

    _delivery, secret = deliver_one(receiver)
    [request] = receiver.requests
    namespace: dict = {}
    exec(VERIFY_SNIPPET, namespace)  # noqa: S102 - the snippet shown to users must work as printed
    headers = {"X-Modella-Timestamp": request.headers["x-modella-timestamp"],
               "X-Modella-Signature": request.headers["x-modella-signature"]}
    assert namespace["verify"](secret, headers, request.body) is True
    assert namespace["verify"]("whsec_other", headers, request.body) is False


def test_the_headers_name_the_event_the_delivery_and_modella(receiver):
    delivery, _secret = deliver_one(receiver)

    headers = receiver.requests[0].headers
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == f"Modella/{settings.VERSION}"
    assert headers["x-modella-event"] == "download.completed"
    assert headers["x-modella-delivery"] == str(delivery.pk)
    assert receiver.requests[0].path == "/hooks/modella"


def test_the_body_is_the_event_with_the_download_item(receiver):
    delivery, _secret = deliver_one(receiver)

    body = receiver.requests[0].json()
    assert body == {"event": "download.completed", "id": str(delivery.pk),
                    "created_at": delivery.payload["created_at"], "download": DOWNLOAD}
    assert body["created_at"].endswith("Z")
    assert receiver.requests[0].body == json.dumps(body, separators=(",", ":")).encode()


def test_a_redirect_is_not_followed_and_counts_as_a_failure(receiver):
    receiver.answer(302)
    receiver.headers_for_status[302] = {"Location": "http://127.0.0.1:9/elsewhere"}
    delivery, _secret = deliver_one(receiver)

    assert len(receiver.requests) == 1
    assert delivery.status == "pending" and delivery.response_status == 302
    assert "redirect" in delivery.error


def test_the_receivers_answer_is_kept_for_the_log(receiver):
    receiver.answer(500)
    delivery, _secret = deliver_one(receiver)
    assert delivery.response_excerpt == "receiver says no"
    assert delivery.error == "The receiver answered HTTP 500."
    assert delivery.duration_ms is not None
