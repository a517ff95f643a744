from django.urls import path

from storage import api, upload_api

urlpatterns = [
    path("storage", api.storage_view, name="storage"),
    path("storage/snapshots", api.snapshots_view, name="storage-snapshots"),
    path("local-files", api.local_files_view, name="local-files"),
    path("local-files/<int:pk>", api.local_file_view, name="local-file"),
    path("uploads", upload_api.uploads_view, name="uploads"),
    # <str:pk>, not <uuid:pk>: a malformed id is a 404 in the API's format, after authentication.
    path("uploads/<str:pk>", upload_api.upload_view, name="upload"),
]
