from django.urls import path

from catalog import civitai_views, featured_views, views

app_name = "catalog"
urlpatterns = [
    path("", views.discover, name="discover"),
    path("add/", views.add, name="add"),
    path("check-updates/", views.check_updates, name="check_updates"),
    path("packages/", featured_views.packages, name="packages"),
    path("packages/<slug:slug>/download/", featured_views.package_download, name="package_download"),
    path("civitai/", civitai_views.browse, name="civitai"),
    path("civitai/<int:model_id>/", civitai_views.model_detail, name="civitai_model"),
    path("civitai/<int:model_id>/queue/", civitai_views.queue, name="civitai_queue"),
    path("civitai/<int:model_id>/queue-later/", civitai_views.queue_later, name="civitai_queue_later"),
]
