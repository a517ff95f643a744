"""Django-Q2 entry points for webhooks: thin functions that take ids (see webhooks.models)."""

import time

from webhooks import models

SWEEP_BATCH = 100
# A sweep ends within its one-minute interval, so sweeps stuck on a receiver that does not answer
# never pile up on the workers the downloads need; what is left is due for the next sweep.
SWEEP_SECONDS = 45


def deliver(delivery_id: str) -> bool:
    """Send one delivery now if it is due (a new delivery is due at once)."""
    delivery = models.WebhookDelivery.objects.filter(pk=delivery_id).select_related("webhook").first()
    return delivery.attempt() if delivery is not None else False


def send_due() -> int:
    """Every minute: send the deliveries whose retry time has come (and any the broker lost)."""
    sent, started = 0, time.monotonic()
    for delivery in models.WebhookDelivery.objects.due().select_related("webhook")[:SWEEP_BATCH]:
        sent += delivery.attempt()
        if time.monotonic() - started >= SWEEP_SECONDS:
            break
    return sent


def prune() -> int:
    """Daily: forget finished deliveries older than MODELLA_HISTORY_DAYS."""
    return models.prune()
