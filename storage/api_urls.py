from django.urls import path

from storage import api

urlpatterns = [
    path("storage", api.storage_view, name="storage"),
    path("storage/snapshots", api.snapshots_view, name="storage-snapshots"),
    path("local-files", api.local_files_view, name="local-files"),
    path("local-files/<int:pk>", api.local_file_view, name="local-file"),
]
