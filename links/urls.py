from django.urls import path

from links import views

app_name = "links"
urlpatterns = [
    path("", views.index, name="index"),
    path("add/", views.add, name="add"),
    path("<int:pk>/", views.health, name="health"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/repair/", views.repair, name="repair"),
    path("<int:pk>/link-all/", views.link_all, name="link_all"),
    # GET is the confirm page (no JS needed), POST removes the app and its links.
    path("<int:pk>/delete/", views.delete, name="delete"),
]
