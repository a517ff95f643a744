from django.urls import path

from lists import api

urlpatterns = [
    path("lists", api.lists, name="lists"),
    path("lists/import", api.list_import, name="list_import"),
    path("lists/<int:pk>", api.list_detail, name="list_detail"),
    path("lists/<int:pk>/items", api.list_items, name="list_items"),
    path("lists/<int:pk>/items/<int:item_id>", api.list_item, name="list_item"),
    path("lists/<int:pk>/download", api.list_download, name="list_download"),
    path("lists/<int:pk>/remove-local", api.list_remove_local, name="list_remove_local"),
    path("lists/<int:pk>/export", api.list_export, name="list_export"),
]
