"""The webhooks' REST endpoints. Views translate HTTP in and out; the work is in webhooks.models,
which the pages call too. The secret appears in exactly two answers: the 201 of a create and the
answer of a regenerate, and never again."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from modella.drf import Pagination, paginated
from modella.errors import InvalidInput
from webhooks.models import EVENTS, TEST, Webhook, WebhookDelivery


# --- Response shapes -------------------------------------------------------------------------------
def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def delivery_data(delivery: WebhookDelivery) -> dict:
    return {
        "id": str(delivery.pk),
        "webhook_id": delivery.webhook_id,
        "event": delivery.event,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "max_attempts": delivery.max_attempts,
        "next_attempt_at": _iso(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "response_status": delivery.response_status,
        "response_body": delivery.response_excerpt,
        "error": delivery.error or None,
        "duration_ms": delivery.duration_ms,
        "created_at": _iso(delivery.created_at),
        "last_attempt_at": _iso(delivery.last_attempt_at),
        "delivered_at": _iso(delivery.delivered_at),
        "redelivery_of": str(delivery.redelivery_of_id) if delivery.redelivery_of_id else None,
        "payload": delivery.payload,
    }


def webhook_data(webhook: Webhook, secret: str | None = None) -> dict:
    last = webhook.last_delivery()
    data = {
        "id": webhook.pk,
        "url": webhook.display_url,
        "name": webhook.name,
        "events": webhook.events,
        "enabled": webhook.enabled,
        "created_at": _iso(webhook.created_at),
        "updated_at": _iso(webhook.updated_at),
        "last_delivery": delivery_data(last) if last is not None else None,
    }
    if secret is not None:
        data["secret"] = secret
    return data


# --- Schema documentation --------------------------------------------------------------------------
class DeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Also sent as X-Modella-Delivery and as the body's `id`.")
    webhook_id = serializers.IntegerField()
    event = serializers.ChoiceField(choices=[*EVENTS, TEST])
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.values)
    attempts = serializers.IntegerField()
    max_attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True, help_text="When a pending delivery is tried next.")
    response_status = serializers.IntegerField(allow_null=True, help_text="The receiver's last HTTP status.")
    response_body = serializers.CharField(help_text="The start of the receiver's last answer (at most 1,000 bytes).")
    error = serializers.CharField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    redelivery_of = serializers.UUIDField(allow_null=True)
    payload = serializers.DictField(help_text="The JSON body: {event, id, created_at, download}.")


class WebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(help_text="A password in the URL is shown as ***.")
    name = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENTS)))
    enabled = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    last_delivery = DeliverySerializer(allow_null=True)


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="The signing secret. Shown only in this answer: store it now.")


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret. Shown only in this answer.")


class WebhookInputSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="http:// or https:// URL; local network addresses are fine.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENTS)))
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    enabled = serializers.BooleanField(required=False, default=True)


def _data(request: Request) -> dict:
    if not isinstance(request.data, dict):
        raise InvalidInput(_("Send a JSON object."))
    return request.data


# --- Endpoints -------------------------------------------------------------------------------------
@extend_schema(methods=["GET"], operation_id="v1_webhooks_list", responses=paginated(WebhookSerializer),
               parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int, description="At most 200.")])
@extend_schema(methods=["POST"], request=WebhookInputSerializer, responses={201: WebhookWithSecretSerializer})
@api_view(["GET", "POST"])
def webhooks(request: Request) -> Response:
    if request.method == "POST":
        data = _data(request)
        webhook, secret = Webhook.objects.create_webhook(
            data.get("url"), data.get("events"), data.get("name", ""), data.get("enabled", True),
            user=request.user)
        return Response(webhook_data(webhook, secret=secret), status=201)
    paginator = Pagination()
    page = paginator.paginate_queryset(Webhook.objects.all(), request)
    return paginator.get_paginated_response([webhook_data(webhook) for webhook in page])


@extend_schema(methods=["GET"], responses=WebhookSerializer)
@extend_schema(methods=["PATCH"], request=WebhookInputSerializer(partial=True), responses=WebhookSerializer)
@extend_schema(methods=["DELETE"], responses={204: None})
@api_view(["GET", "PATCH", "DELETE"])
def webhook_detail(request: Request, pk: int) -> Response:
    webhook = Webhook.objects.get_or_not_found(pk)
    if request.method == "PATCH":
        data = _data(request)
        webhook.change(url=data.get("url"), events=data.get("events"), name=data.get("name"),
                       enabled=data.get("enabled"))
    elif request.method == "DELETE":
        webhook.delete()
        return Response(status=204)
    return Response(webhook_data(webhook))


@extend_schema(responses=paginated(DeliverySerializer), parameters=[
    OpenApiParameter("status", str, enum=WebhookDelivery.Status.values),
    OpenApiParameter("event", str, enum=[*EVENTS, TEST]),
    OpenApiParameter("page", int), OpenApiParameter("page_size", int, description="At most 200.")])
@api_view(["GET"])
def webhook_deliveries(request: Request, pk: int) -> Response:
    webhook = Webhook.objects.get_or_not_found(pk)
    deliveries = webhook.deliveries.order_by("-created_at")
    status, event = request.query_params.get("status"), request.query_params.get("event")
    if status:
        if status not in WebhookDelivery.Status.values:
            raise InvalidInput(_("Unknown status %(status)s: use pending, delivered or failed.") % {"status": status})
        deliveries = deliveries.filter(status=status)
    if event:
        deliveries = deliveries.filter(event=event)
    paginator = Pagination()
    page = paginator.paginate_queryset(deliveries, request)
    return paginator.get_paginated_response([delivery_data(delivery) for delivery in page])


@extend_schema(request=None, responses={200: DeliverySerializer})
@api_view(["POST"])
def webhook_test(request: Request, pk: int) -> Response:
    """Send a download.test ping now and answer with its delivery (delivered or failed)."""
    return Response(delivery_data(Webhook.objects.get_or_not_found(pk).send_test()))


@extend_schema(request=None, responses={200: SecretSerializer})
@api_view(["POST"])
def webhook_secret(request: Request, pk: int) -> Response:
    """Replace the signing secret; the answer is the only time the new one is shown."""
    return Response({"secret": Webhook.objects.get_or_not_found(pk).regenerate_secret()})


@extend_schema(request=None, responses={202: DeliverySerializer})
@api_view(["POST"])
def webhook_redeliver(request: Request, pk: int, delivery_id: str) -> Response:
    webhook = Webhook.objects.get_or_not_found(pk)
    return Response(delivery_data(WebhookDelivery.objects.get_for(webhook, delivery_id).redeliver()), status=202)
