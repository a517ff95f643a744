"""A download that completes or fails with the hub emulator fires exactly one delivery per
subscribed, enabled webhook, carrying the API's DownloadQueueItem; a webhook problem never
changes the download's outcome."""

import pytest

from downloads.api import item_data
from tests.downloads.conftest import download
from tests.fakehub import Fault
from tests.webhooks.conftest import make_webhook
from webhooks import tasks
from webhooks.models import COMPLETED, FAILED, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def webhook_tasks(queued) -> list[str]:
    return [args[0] for func, args in queued if func == "webhooks.tasks.deliver"]


def test_a_completed_download_fires_one_delivery_that_reaches_the_receiver(hub, receiver, queued_tasks):
    webhook, _secret = make_webhook(receiver.url, events=[COMPLETED])
    content = hub.generated(200_000, seed=71)
    job = download(hub, "acme/hooked-GGUF", {"hooked.Q4_K_M.gguf": content})
    assert job.status == "completed", job.error

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.webhook == webhook and delivery.event == COMPLETED and delivery.status == "pending"
    assert webhook_tasks(queued_tasks) == [str(delivery.pk)]  # handed to the workers at once

    assert tasks.deliver(str(delivery.pk)) is True
    [request] = receiver.requests
    body = request.json()
    assert body["event"] == "download.completed" and body["id"] == str(delivery.pk)
    assert body["download"] == item_data(job)
    assert body["download"]["status"] == "completed" and body["download"]["filename"] == "hooked.Q4_K_M.gguf"
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


def test_a_failed_download_fires_the_failure_event(hub, receiver, queued_tasks, settings):
    settings.DOWNLOAD_MAX_ATTEMPTS = 1
    make_webhook(receiver.url, events=[FAILED])
    make_webhook(receiver.url, events=[COMPLETED])  # not subscribed to failures
    content = hub.generated(100_000, seed=72)
    hub.add_hf_repo("acme/broken-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/broken-GGUF/a.gguf", Fault(error_page=True, times=None))
    job = download(hub, "acme/broken-GGUF", {"a.gguf": content})
    assert job.status == "failed"

    [delivery] = WebhookDelivery.objects.all()
    assert delivery.event == FAILED
    tasks.deliver(str(delivery.pk))
    body = receiver.requests[0].json()
    assert body["event"] == "download.failed"
    assert body["download"]["status"] == "failed" and body["download"]["error_code"] == job.error_code
    assert receiver.requests[0].headers["x-modella-event"] == "download.failed"


def test_only_enabled_subscribed_webhooks_get_a_delivery_each(hub, receiver, queued_tasks):
    both, _ = make_webhook(receiver.url)
    only_completed, _ = make_webhook(receiver.url, events=[COMPLETED])
    make_webhook(receiver.url, events=[FAILED])
    disabled, _ = make_webhook(receiver.url, enabled=False)
    job = download(hub, "acme/many-GGUF", {"m.gguf": hub.generated(50_000, seed=73)})
    assert job.status == "completed"

    assert sorted(WebhookDelivery.objects.values_list("webhook_id", flat=True)) == sorted([both.pk, only_completed.pk])
    assert disabled.deliveries.count() == 0
    assert len(webhook_tasks(queued_tasks)) == 2


def test_a_broken_webhook_layer_never_fails_the_download(hub, receiver, queued_tasks, monkeypatch):
    make_webhook(receiver.url)

    def broken(*args, **kwargs):
        raise RuntimeError("the webhook layer is broken")

    monkeypatch.setattr("webhooks.models.notify", broken)
    job = download(hub, "acme/robust-GGUF", {"r.gguf": hub.generated(50_000, seed=74)})
    assert job.status == "completed", job.error
    assert WebhookDelivery.objects.count() == 0


def test_an_unreachable_broker_leaves_the_delivery_to_the_sweep(hub, receiver, monkeypatch):
    make_webhook(receiver.url)

    def broker_down(func, *args, **kwargs):
        if func.startswith("webhooks."):
            raise ConnectionError("broker unreachable")

    monkeypatch.setattr("django_q.tasks.async_task", broker_down)
    job = download(hub, "acme/sweep-GGUF", {"s.gguf": hub.generated(50_000, seed=75)})
    assert job.status == "completed"

    assert tasks.send_due() == 1
    assert WebhookDelivery.objects.get().status == "delivered"
    assert len(receiver.requests) == 1
