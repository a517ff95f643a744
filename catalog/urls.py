from django.urls import path

from catalog import civitai_views, featured_views, views, whole_repo_views

app_name = "catalog"
urlpatterns = [
    path("", views.discover, name="discover"),
    path("add/", views.add, name="add"),
    path("packages/", featured_views.packages, name="packages"),
    path("packages/<slug:slug>/download/", featured_views.package_download, name="package_download"),
    path("whole-repository/<path:repo>", whole_repo_views.whole_repository, name="whole_repository"),
    path("civitai/", civitai_views.browse, name="civitai"),
    path("civitai/<int:model_id>/", civitai_views.model_detail, name="civitai_model"),
    path("civitai/<int:model_id>/queue/", civitai_views.queue, name="civitai_queue"),
    path("civitai/<int:model_id>/queue-later/", civitai_views.queue_later, name="civitai_queue_later"),
]
