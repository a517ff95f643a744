from django.urls import path

from webhooks import api

urlpatterns = [
    path("webhooks", api.webhooks, name="webhooks"),
    path("webhooks/<int:pk>", api.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/deliveries", api.webhook_deliveries, name="webhook_deliveries"),
    # <str:>, not <uuid:>: a malformed id must reach the view (401 before anything, then 404).
    path("webhooks/<int:pk>/deliveries/<str:delivery_id>/redeliver", api.webhook_redeliver,
         name="webhook_redeliver"),
    path("webhooks/<int:pk>/test", api.webhook_test, name="webhook_test"),
    path("webhooks/<int:pk>/secret", api.webhook_secret, name="webhook_secret"),
]
