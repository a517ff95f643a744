from django.urls import path

from downloads import api, update_api

# Mounted at /api/v1/ (see API.md "Downloads"); pause/resume/priority are extensions.
urlpatterns = [
    path("downloads", api.downloads_create, name="downloads"),
    path("downloads/queue", api.downloads_queue, name="downloads-queue"),
    path("downloads/history", api.downloads_history, name="downloads-history"),
    path("downloads/stats", api.downloads_stats, name="downloads-stats"),
    path("downloads/<int:job_id>", api.downloads_detail, name="download"),
    path("downloads/<int:job_id>/retry", api.downloads_retry, name="download-retry"),
    path("downloads/<int:job_id>/pause", api.downloads_pause, name="download-pause"),
    path("downloads/<int:job_id>/resume", api.downloads_resume, name="download-resume"),
    path("downloads/<int:job_id>/priority", api.downloads_priority, name="download-priority"),
    path("updates", update_api.updates_list, name="updates"),
    path("updates/apply", update_api.updates_apply, name="updates-apply"),
    path("updates/check", update_api.updates_check, name="updates-check"),
    path("updates/runs/<int:run_id>", update_api.updates_run, name="updates-run"),
]
