"""A delivery that fails is retried with growing waits (from the database, so a worker restart
loses nothing) until it is delivered or has used all its attempts. Time is advanced by moving
`next_attempt_at` into the past, never by sleeping."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.webhooks.conftest import make_webhook
from webhooks import models, tasks
from webhooks.models import BACKOFF_SECONDS, COMPLETED, MAX_ATTEMPTS, WebhookDelivery

pytestmark = pytest.mark.django_db

DOWNLOAD = {"id": 1, "repo": "acme/x-GGUF", "filename": "x.gguf", "status": "completed"}


def new_delivery(url: str, **kwargs) -> WebhookDelivery:
    webhook, _secret = make_webhook(url, **kwargs)
    return WebhookDelivery.objects.create_for(webhook, COMPLETED, DOWNLOAD)


def make_due(delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def wait_after(delivery: WebhookDelivery, attempted_at) -> float:
    delivery.refresh_from_db()
    return (delivery.next_attempt_at - attempted_at).total_seconds()


def test_two_server_errors_then_success_is_delivered_with_growing_waits(receiver):
    receiver.answer(500, 500)
    delivery = new_delivery(receiver.url)

    started = timezone.now()
    assert tasks.deliver(str(delivery.pk)) is True
    first_wait = wait_after(delivery, started)
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.response_status == 500
    assert BACKOFF_SECONDS[0] * 0.9 - 1 <= first_wait <= BACKOFF_SECONDS[0] * 1.1 + 1

    # Not due yet: the sweep leaves it alone.
    assert tasks.send_due() == 0
    assert len(receiver.requests) == 1

    make_due(delivery)
    started = timezone.now()
    assert tasks.send_due() == 1
    second_wait = wait_after(delivery, started)
    assert delivery.attempts == 2 and delivery.status == "pending"
    assert BACKOFF_SECONDS[1] * 0.9 - 1 <= second_wait <= BACKOFF_SECONDS[1] * 1.1 + 1
    assert second_wait > first_wait

    make_due(delivery)
    assert tasks.send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 3 and delivery.response_status == 200
    assert delivery.next_attempt_at is None and delivery.delivered_at is not None and delivery.error == ""
    # Every attempt carried the same delivery id and body, each with its own fresh signature.
    assert len(receiver.requests) == 3
    assert {r.headers["x-modella-delivery"] for r in receiver.requests} == {str(delivery.pk)}
    assert len({r.body for r in receiver.requests}) == 1


def test_a_refused_connection_is_retried_with_a_clear_error(refused_url):
    delivery = new_delivery(refused_url)

    assert tasks.deliver(str(delivery.pk)) is True
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.response_status is None
    assert delivery.error == "The connection was refused (is the receiver running on that port?)."
    assert "127.0.0.1" not in delivery.error and "/hook" not in delivery.error
    assert delivery.next_attempt_at > timezone.now()


def test_after_the_last_attempt_the_delivery_has_failed(receiver):
    receiver.default = 503
    delivery = new_delivery(receiver.url)

    for _attempt in range(MAX_ATTEMPTS):
        make_due(delivery)
        assert tasks.send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS
    assert delivery.next_attempt_at is None and delivery.response_status == 503

    make_due(delivery)  # even if something made it look due again, a failed delivery is never resent
    assert tasks.send_due() == 0
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_the_waits_follow_the_schedule_up_to_six_hours():
    assert BACKOFF_SECONDS == (60, 300, 1800, 7200, 21600)
    assert MAX_ATTEMPTS == 6


def test_a_claimed_delivery_is_sent_once_even_if_the_sweep_and_the_task_both_run(receiver):
    delivery = new_delivery(receiver.url)
    copy = WebhookDelivery.objects.get(pk=delivery.pk)

    assert delivery.attempt() is True
    assert copy.attempt() is False  # the row was claimed (and then delivered) by the first
    assert tasks.send_due() == 0
    assert len(receiver.requests) == 1


def test_an_attempt_whose_worker_died_is_taken_up_after_its_lease(receiver):
    delivery = new_delivery(receiver.url)
    # A worker claimed it and died before recording anything: the lease holds it for a while...
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=1, next_attempt_at=timezone.now() + models.LEASE)
    assert tasks.send_due() == 0
    # ...and once it has passed, the sweep sends it.
    make_due(delivery)
    assert tasks.send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2


def test_a_sweep_stops_once_its_time_is_up_and_leaves_the_rest_due(receiver, monkeypatch):
    # Sweeps run every minute: one stuck on slow receivers must not overlap the next and pile up
    # on the workers that the downloads need.
    deliveries = [new_delivery(receiver.url) for _n in range(3)]
    monkeypatch.setattr(tasks, "SWEEP_SECONDS", 0)
    assert tasks.send_due() == 1
    assert WebhookDelivery.objects.due().count() == 2
    monkeypatch.setattr(tasks, "SWEEP_SECONDS", 45)
    assert tasks.send_due() == 2
    assert {d.pk for d in deliveries} == set(WebhookDelivery.objects.filter(status="delivered").values_list("pk", flat=True))


def test_a_slow_receiver_times_out_and_is_retried(receiver, monkeypatch):
    import time

    from tests.webhooks import conftest

    monkeypatch.setattr("webhooks.sender.READ_TIMEOUT", 0.3)
    original = conftest._Handler.do_POST

    def slow(handler):
        time.sleep(1)
        original(handler)

    monkeypatch.setattr(conftest._Handler, "do_POST", slow)
    delivery = new_delivery(receiver.url)
    assert tasks.deliver(str(delivery.pk)) is True
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.error.startswith("No answer within")


def test_a_disabled_webhook_sends_nothing_more(receiver):
    delivery = new_delivery(receiver.url)
    delivery.webhook.change(enabled=False)

    assert tasks.deliver(str(delivery.pk)) is True
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "disabled" in delivery.error
    assert receiver.requests == []


def test_a_secret_that_cannot_be_read_is_never_sent_unsigned(receiver):
    delivery = new_delivery(receiver.url)
    type(delivery.webhook).objects.filter(pk=delivery.webhook_id).update(secret_encrypted="garbage")

    assert tasks.deliver(str(delivery.pk)) is True
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "Regenerate" in delivery.error
    assert receiver.requests == []


def test_a_redelivery_is_a_new_delivery_of_the_same_download(receiver, queued_tasks,
                                                            django_capture_on_commit_callbacks):
    receiver.default = 500
    delivery = new_delivery(receiver.url)
    for _attempt in range(MAX_ATTEMPTS):
        make_due(delivery)
        tasks.send_due()
    delivery.refresh_from_db()
    assert delivery.status == "failed"

    receiver.default = 200
    with django_capture_on_commit_callbacks(execute=True):
        again = delivery.redeliver()
    assert queued_tasks == [("webhooks.tasks.deliver", (str(again.pk),))]
    assert tasks.deliver(str(again.pk)) is True
    again.refresh_from_db()
    assert again.pk != delivery.pk and again.redelivery_of_id == delivery.pk
    assert again.status == "delivered" and again.payload["download"] == DOWNLOAD
    assert receiver.requests[-1].json()["id"] == str(again.pk)


def test_old_finished_deliveries_are_pruned_but_pending_ones_kept(receiver):
    old_done, old_pending = new_delivery(receiver.url), new_delivery(receiver.url)
    WebhookDelivery.objects.filter(pk=old_done.pk).update(status="delivered")
    WebhookDelivery.objects.filter(pk__in=[old_done.pk, old_pending.pk]).update(
        created_at=timezone.now() - timedelta(days=400))
    recent = new_delivery(receiver.url)

    assert tasks.prune() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {old_pending.pk, recent.pk}


def test_the_sweep_and_the_pruning_are_scheduled():
    from modella.schedules import SCHEDULES

    assert dict(SCHEDULES)["webhooks.tasks.send_due"] == 1
    assert "webhooks.tasks.prune" in dict(SCHEDULES)
