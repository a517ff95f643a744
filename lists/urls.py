from django.urls import path

from lists import views

app_name = "lists"
urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.import_list, name="import"),
    path("add/", views.add_to_list, name="add_to_list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/items/", views.add_item, name="add_item"),
    path("<int:pk>/items/<int:item_id>/remove/", views.remove_item, name="remove_item"),
    path("<int:pk>/export/", views.export, name="export"),
    # The bulk actions: GET is the confirm page (no JS needed), POST does it.
    path("<int:pk>/download/", views.confirm, {"action": "download"}, name="download"),
    path("<int:pk>/remove-local/", views.confirm, {"action": "remove_local"}, name="remove_local"),
    path("<int:pk>/delete/", views.confirm, {"action": "delete"}, name="delete"),
]
