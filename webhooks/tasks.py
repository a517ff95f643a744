"""Django-Q2 entry points for webhooks: thin functions that take ids (see webhooks.models)."""

from webhooks import models

SWEEP_BATCH = 100


def deliver(delivery_id: str) -> bool:
    """Send one delivery now if it is due (a new delivery is due at once)."""
    delivery = models.WebhookDelivery.objects.filter(pk=delivery_id).select_related("webhook").first()
    return delivery.attempt() if delivery is not None else False


def send_due() -> int:
    """Every minute: send the deliveries whose retry time has come (and any the broker lost)."""
    sent = 0
    for delivery in models.WebhookDelivery.objects.due().select_related("webhook")[:SWEEP_BATCH]:
        sent += delivery.attempt()
    return sent


def prune() -> int:
    """Daily: forget finished deliveries older than MODELLA_HISTORY_DAYS."""
    return models.prune()
