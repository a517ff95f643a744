"""Webhooks: URLs Modella calls with a signed JSON body when a download completes or fails.

The rules live here so that the pages (webhooks/views.py), the API (webhooks/api.py), the admin
and the tasks call the same methods: `Webhook.objects.create_webhook()`, `webhook.change()`,
`webhook.regenerate_secret()`, `webhook.send_test()`, `delivery.attempt()`, `delivery.redeliver()`
and `notify(event, download)`.

Delivery survives a worker restart: every delivery is a row. A new one is handed to Django-Q2 at
once; a failed attempt only sets `next_attempt_at`, and the sweep (`webhooks.tasks.send_due`,
every minute) sends whatever is due. An attempt first claims the row with one conditional UPDATE
(pushing `next_attempt_at` a lease ahead), so the task and the sweep never send it twice, and an
attempt whose worker died is picked up again once the lease has passed.
"""

from __future__ import annotations

import logging
import random
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from modella import crypto
from modella.errors import InvalidInput, NotFound
from webhooks import sender

log = logging.getLogger(__name__)

COMPLETED, FAILED, TEST = "download.completed", "download.failed", "download.test"
EVENTS = {COMPLETED: _("Download completed"), FAILED: _("Download failed")}
# The waits after the 1st, 2nd, ... failed attempt (±10% jitter), then the delivery has failed.
BACKOFF_SECONDS = (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600)
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
# How long a claimed attempt keeps others off the row: longer than one request can take.
LEASE = timedelta(seconds=2 * (sender.CONNECT_TIMEOUT + sender.READ_TIMEOUT) + 30)
MAX_NAME = 200
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def clean_events(value) -> list[str]:
    """The events to subscribe to, in a stable order, or InvalidInput naming the accepted ones."""
    accepted = ", ".join(EVENTS)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidInput(gettext("Choose at least one event: %(events)s.") % {"events": accepted},
                           details={"events": list(EVENTS)})
    unknown = sorted(set(value) - set(EVENTS))
    if unknown:
        raise InvalidInput(gettext("Unknown event %(event)s: the events are %(events)s.")
                           % {"event": unknown[0], "events": accepted}, details={"events": list(EVENTS)})
    return [event for event in EVENTS if event in value]


def clean_name(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value.strip()) > MAX_NAME:
        raise InvalidInput(gettext("The name must be text of at most %(max)d characters.") % {"max": MAX_NAME},
                           details={"name": "invalid"})
    return value.strip()


def clean_enabled(value) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(gettext("“enabled” must be true or false."), details={"enabled": "invalid"})
    return value


class WebhookQuerySet(models.QuerySet):
    def get_or_not_found(self, pk) -> Webhook:
        try:
            return self.get(pk=int(pk))
        except (Webhook.DoesNotExist, TypeError, ValueError):
            raise NotFound(gettext("There is no such webhook.")) from None

    def create_webhook(self, url, events, name="", enabled=True, user=None) -> tuple[Webhook, str]:
        """A new webhook and its secret: the only time the secret is returned in clear."""
        secret = new_secret()
        webhook = self.create(
            url=sender.clean_url(url), events=clean_events(events), name=clean_name(name),
            enabled=clean_enabled(enabled), secret_encrypted=crypto.encrypt(secret),
            created_by=user if user is not None and user.is_authenticated else None,
        )
        log.info("webhook %s created for %s", webhook.pk, sender.log_target(webhook.url))
        return webhook, secret

    def subscribed_to(self, event: str) -> list[Webhook]:
        # Few rows; JSON containment is not portable to SQLite, so the match is made here.
        return [webhook for webhook in self.filter(enabled=True) if event in webhook.events]


class Webhook(models.Model):
    url = models.CharField(_("URL"), max_length=sender.MAX_URL_LENGTH)
    name = models.CharField(_("name"), max_length=MAX_NAME, blank=True, default="")
    events = models.JSONField(_("events"), default=list)
    secret_encrypted = models.TextField(editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name or self.display_url

    @property
    def display_url(self) -> str:
        return sender.redact_url(self.url)

    @property
    def secret(self) -> str:
        """The signing secret, or "" when SECRET_KEY changed since it was saved (regenerate it)."""
        return crypto.decrypt(self.secret_encrypted)

    def event_labels(self) -> list[str]:
        return [str(EVENTS[event]) for event in self.events if event in EVENTS]

    def change(self, url=None, events=None, name=None, enabled=None) -> None:
        """Update what is given (None leaves a field as it is)."""
        # A client that sends back the redacted URL it was shown (as is or edited) keeps the stored password.
        if url is not None and url != self.display_url:
            self.url = sender.clean_url(sender.keep_password(url, self.url) if isinstance(url, str) else url)
        if events is not None:
            self.events = clean_events(events)
        if name is not None:
            self.name = clean_name(name)
        if enabled is not None:
            self.enabled = clean_enabled(enabled)
        self.save()

    def regenerate_secret(self) -> str:
        """A new secret, returned once; the old one stops working for the next request."""
        secret = new_secret()
        self.secret_encrypted = crypto.encrypt(secret)
        self.save(update_fields=["secret_encrypted", "updated_at"])
        log.info("webhook %s: secret regenerated", self.pk)
        return secret

    def send_test(self) -> WebhookDelivery:
        """A download.test ping, sent now (once, no retries), with the latest download as sample."""
        delivery = WebhookDelivery.objects.create_for(self, TEST, sample_download(), max_attempts=1)
        delivery.attempt()
        delivery.refresh_from_db()
        return delivery

    def last_delivery(self) -> WebhookDelivery | None:
        return self.deliveries.order_by("-created_at").first()


def sample_download() -> dict | None:
    """The newest finished download as a DownloadQueueItem, for a test ping (None if there is none)."""
    from downloads.api import item_data
    from downloads.models import DownloadJob

    job = (DownloadJob.objects.filter(status__in=("completed", "failed"))
           .select_related("variant__repository").order_by("-finished_at", "-pk").first())
    return item_data(job) if job is not None else None


class DeliveryQuerySet(models.QuerySet):
    def create_for(self, webhook: Webhook, event: str, download: dict | None,
                   max_attempts: int = MAX_ATTEMPTS, redelivery_of=None) -> WebhookDelivery:
        delivery_id, now = uuid.uuid4(), timezone.now()
        payload = {"event": event, "id": str(delivery_id), "created_at": _iso(now), "download": download}
        return self.create(id=delivery_id, webhook=webhook, event=event, payload=payload, created_at=now,
                           next_attempt_at=now, max_attempts=max_attempts, redelivery_of=redelivery_of)

    def due(self, now=None):
        return self.filter(status=WebhookDelivery.Status.PENDING,
                           next_attempt_at__lte=now or timezone.now()).order_by("next_attempt_at")

    def get_for(self, webhook: Webhook, delivery_id) -> WebhookDelivery:
        try:
            return self.get(webhook=webhook, pk=uuid.UUID(str(delivery_id)))
        except (WebhookDelivery.DoesNotExist, ValueError):
            raise NotFound(gettext("There is no such delivery.")) from None


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(default=MAX_ATTEMPTS)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_excerpt = models.TextField(_("response"), blank=True, default="")
    error = models.CharField(_("last error"), max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    redelivery_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"]), models.Index(fields=["webhook", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.event} {self.pk}"

    @property
    def retry_later(self) -> bool:
        """Whether a pending delivery waits more than a minute (else it goes out at the next sweep)."""
        return bool(self.next_attempt_at and self.next_attempt_at > timezone.now() + timedelta(minutes=1))

    def attempt(self) -> bool:
        """Send once if the delivery is due and nobody else is sending it; record the outcome.

        Returns False when there was nothing to do (already sent, not due, claimed elsewhere)."""
        now = timezone.now()
        claimed = WebhookDelivery.objects.filter(
            pk=self.pk, status=self.Status.PENDING, next_attempt_at__lte=now,
        ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1, last_attempt_at=now)
        if not claimed:
            return False
        self.refresh_from_db()
        webhook = self.webhook
        secret = webhook.secret
        if self.event != TEST and not webhook.enabled:
            self._finish(None, gettext("Not sent: the webhook is disabled."), None, "", final=True)
            return True
        if not secret:
            self._finish(None, gettext("Not sent: the signing secret cannot be read (the server's secret key "
                                       "changed). Regenerate the webhook's secret."), None, "", final=True)
            return True
        outcome = sender.post(webhook.url, secret, self.event, str(self.pk), sender.encode(self.payload))
        self._finish(outcome.status_code, outcome.error, outcome.duration_ms, outcome.response_excerpt,
                     delivered=outcome.delivered)
        return True

    def _finish(self, status_code, error: str, duration_ms, excerpt: str, delivered=False, final=False) -> None:
        now = timezone.now()
        fields = {"response_status": status_code, "error": error[:500], "duration_ms": duration_ms,
                  "response_excerpt": excerpt}
        if delivered:
            fields.update(status=self.Status.DELIVERED, delivered_at=now, next_attempt_at=None)
        elif final or self.attempts >= self.max_attempts:
            fields.update(status=self.Status.FAILED, next_attempt_at=None)
        else:
            wait = BACKOFF_SECONDS[min(self.attempts, len(BACKOFF_SECONDS)) - 1] * random.uniform(0.9, 1.1)
            fields.update(next_attempt_at=now + timedelta(seconds=wait))
        WebhookDelivery.objects.filter(pk=self.pk).update(**fields)
        for name, value in fields.items():
            setattr(self, name, value)
        log.info("webhook %s: %s delivery %s attempt %s/%s to %s: %s", self.webhook_id, self.event, self.pk,
                 self.attempts, self.max_attempts, sender.log_target(self.webhook.url),
                 "delivered" if delivered else (error or status_code))

    def redeliver(self) -> WebhookDelivery:
        """A new delivery (new id) of the same event data, sent as soon as a worker takes it."""
        download = self.payload.get("download") if isinstance(self.payload, dict) else None
        delivery = WebhookDelivery.objects.create_for(
            self.webhook, self.event, download, max_attempts=1 if self.event == TEST else MAX_ATTEMPTS,
            redelivery_of=self)
        enqueue_on_commit([delivery.pk])
        return delivery


def notify(event: str, download: dict) -> list[WebhookDelivery]:
    """One delivery for each enabled webhook subscribed to `event`, handed to the workers."""
    deliveries = [WebhookDelivery.objects.create_for(webhook, event, download)
                  for webhook in Webhook.objects.subscribed_to(event)]
    enqueue_on_commit([d.pk for d in deliveries])
    return deliveries


def enqueue_on_commit(delivery_ids: list) -> None:
    if delivery_ids:
        transaction.on_commit(lambda: enqueue(delivery_ids), robust=True)


def enqueue(delivery_ids: list) -> None:
    """Hand deliveries to Django-Q2. If the broker is unreachable they stay due and the sweep sends them."""
    from django_q.tasks import async_task

    for delivery_id in delivery_ids:
        try:
            async_task("webhooks.tasks.deliver", str(delivery_id), task_name=f"webhook-{delivery_id}")
        except Exception:  # noqa: BLE001 - the sweep is the fallback; a webhook never fails a download
            log.exception("delivery %s: could not hand it to the workers; the sweep will send it", delivery_id)


def prune(days: int | None = None) -> int:
    """Forget finished deliveries older than MODELLA_HISTORY_DAYS (the log stays small)."""
    cutoff = timezone.now() - timedelta(days=days or settings.HISTORY_DAYS)
    deleted, _rows = (WebhookDelivery.objects.filter(created_at__lt=cutoff)
                      .exclude(status=WebhookDelivery.Status.PENDING).delete())
    return deleted


def _iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")
