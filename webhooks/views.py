"""The Webhooks pages. Thin views: the work is in webhooks.models, which the API calls too.

Every action is a form that POSTs; delete and regenerate have confirm pages (GET asks, POST
does). A secret is shown once, in the answer to the POST that made it, with no-store caching.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from modella.errors import ModellaError, NotFound
from webhooks import sender
from webhooks.models import EVENTS, Webhook, WebhookDelivery

DELIVERIES_PER_PAGE = 25

VERIFY_SNIPPET = '''import hashlib, hmac, time

def verify(secret: str, headers, body: bytes, tolerance: int = 300) -> bool:
    timestamp = headers["X-Modella-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(timestamp)) <= tolerance
    return fresh and hmac.compare_digest(expected, headers["X-Modella-Signature"])'''


class WebhookForm(forms.Form):
    url = forms.CharField(label=gettext_lazy("URL"), max_length=sender.MAX_URL_LENGTH,
                          widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
                          help_text=gettext_lazy("http:// or https://, for example a Home Assistant or n8n "
                                                 "webhook on your network."))
    name = forms.CharField(label=gettext_lazy("Name (optional)"), max_length=200, required=False)
    events = forms.MultipleChoiceField(label=gettext_lazy("Events"), choices=list(EVENTS.items()),
                                       widget=forms.CheckboxSelectMultiple, initial=list(EVENTS))
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False, initial=True)

    def add_model_error(self, error: ModellaError) -> None:
        field = next((name for name in error.details if name in self.fields), None)
        self.add_error(field, str(error.message))


def _get_webhook(pk: int) -> Webhook:
    try:
        return Webhook.objects.get_or_not_found(pk)
    except NotFound:
        raise Http404 from None


def _show_secret(request: HttpRequest, webhook: Webhook, secret: str, created: bool) -> HttpResponse:
    response = render(request, "webhooks/secret.html",
                      {"webhook": webhook, "secret": secret, "created": created, "verify_snippet": VERIFY_SNIPPET})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@never_cache
def index(request: HttpRequest) -> HttpResponse:
    """The webhooks with their last delivery; POST adds one and shows its secret once."""
    form = WebhookForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            webhook, secret = Webhook.objects.create_webhook(user=request.user, **form.cleaned_data)
        except ModellaError as error:
            form.add_model_error(error)
        else:
            return _show_secret(request, webhook, secret, created=True)
    webhooks = list(Webhook.objects.all())
    rows = [(webhook, webhook.last_delivery()) for webhook in webhooks]
    return render(request, "webhooks/index.html", {"rows": rows, "form": form},
                  status=400 if form.errors else 200)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One webhook: its settings (POST saves them), its actions and its recent deliveries."""
    webhook = _get_webhook(pk)
    initial = {"url": webhook.display_url, "name": webhook.name, "events": webhook.events,
               "enabled": webhook.enabled}
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            webhook.change(**form.cleaned_data)
        except ModellaError as error:
            form.add_model_error(error)
            webhook.refresh_from_db()
        else:
            messages.success(request, _("The webhook was saved."))
            return redirect("webhooks:detail", pk=webhook.pk)
    deliveries = Paginator(webhook.deliveries.order_by("-created_at"), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "webhooks/detail.html", {"webhook": webhook, "form": form, "deliveries": deliveries},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def toggle(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = _get_webhook(pk)
    webhook.change(enabled=not webhook.enabled)
    if webhook.enabled:
        messages.success(request, _("The webhook “%(name)s” is enabled.") % {"name": webhook})
    else:
        messages.success(request, _("The webhook “%(name)s” is disabled.") % {"name": webhook})
    if request.POST.get("back") == "detail":
        return redirect("webhooks:detail", pk=webhook.pk)
    return redirect("webhooks:index")


@login_required
@require_POST
def send_test(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = _get_webhook(pk).send_test()
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        messages.success(request, _("The test was delivered (HTTP %(status)d in %(ms)d ms).")
                         % {"status": delivery.response_status, "ms": delivery.duration_ms or 0})
    else:
        messages.error(request, _("The test was not delivered: %(error)s") % {"error": delivery.error})
    return redirect("webhooks:detail", pk=pk)


@login_required
@require_POST
def redeliver(request: HttpRequest, pk: int, delivery_id: str) -> HttpResponse:
    webhook = _get_webhook(pk)
    try:
        WebhookDelivery.objects.get_for(webhook, delivery_id).redeliver()
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The delivery was queued again; it is sent in a moment."))
    return redirect("webhooks:detail", pk=pk)


@login_required
@never_cache
def regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (the old secret stops working at once); POST shows the new one."""
    webhook = _get_webhook(pk)
    if request.method != "POST":
        return render(request, "webhooks/confirm.html", {"webhook": webhook, "action": "regenerate"})
    return _show_secret(request, webhook, webhook.regenerate_secret(), created=False)


@login_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    webhook = _get_webhook(pk)
    if request.method != "POST":
        return render(request, "webhooks/confirm.html", {"webhook": webhook, "action": "delete"})
    name = str(webhook)
    webhook.delete()
    messages.success(request, _("The webhook “%(name)s” was deleted.") % {"name": name})
    return redirect("webhooks:index")
