from django.urls import path

from webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/toggle/", views.toggle, name="toggle"),
    path("<int:pk>/test/", views.send_test, name="test"),
    # GET is the confirm page (no JS needed), POST does it.
    path("<int:pk>/secret/", views.regenerate, name="regenerate"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/deliveries/<str:delivery_id>/redeliver/", views.redeliver, name="redeliver"),
]
