from django.urls import path

from downloads import update_views, views

app_name = "downloads"
urlpatterns = [
    path("", views.index, name="index"),
    path("updates/", update_views.index, name="updates"),
    path("updates/apply/", update_views.apply, name="updates_apply"),
    path("updates/check/", update_views.check, name="updates_check"),
    path("<int:job_id>/cancel/", views.cancel, name="cancel"),
    path("<int:job_id>/retry/", views.retry, name="retry"),
    path("<int:job_id>/pause/", views.pause, name="pause"),
    path("<int:job_id>/resume/", views.resume, name="resume"),
    path("<int:job_id>/priority/", views.priority, name="priority"),
]
