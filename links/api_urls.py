from django.urls import path

from links import api

urlpatterns = [
    path("apps", api.apps, name="apps"),
    path("apps/<int:pk>", api.app_detail, name="app"),
    path("apps/<int:pk>/health", api.app_health, name="app-health"),
    path("apps/<int:pk>/repair", api.app_repair, name="app-repair"),
    path("apps/<int:pk>/link-all", api.app_link_all, name="app-link-all"),
    path("links", api.links, name="links"),
]
