from django.urls import path

from storage import views

app_name = "storage"
urlpatterns = [
    path("", views.index, name="index"),
    path("scan/", views.scan, name="scan"),
    path("files/<str:kind>/<int:pk>/delete/", views.delete, name="delete"),
    path("files/<str:kind>/<int:pk>/rename/", views.rename, name="rename"),
    path("reclaim/<str:category>/", views.reclaim_category, name="reclaim"),
    path("upload/", views.upload, name="upload"),
    path("upload/<uuid:pk>/cancel/", views.cancel_upload, name="cancel_upload"),
]
