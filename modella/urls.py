from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from modella import api, pages, views
from modella.forms import LoginForm

api_v1 = [
    path("status", api.status_view, name="status"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include("catalog.api_urls")),
    path("", include("downloads.api_urls")),
    path("", include("storage.api_urls")),
    path("", include("lists.api_urls")),
    path("", include("links.api_urls")),
    path("", include("webhooks.api_urls")),
]

urlpatterns = [
    path("", pages.home, name="home"),
    path("models/strip/", pages.storage_strip, name="storage_strip"),
    path("models/queue/", pages.queue_overlay, name="queue_overlay"),
    path("models/add/", pages.add_model, name="add_model"),
    path("models/info/<path:repo>", pages.model_details, name="model_details"),
    path("models/variants/<int:pk>/download/", pages.download_variant, name="download_variant"),
    path("models/variants/<int:pk>/delete/", pages.delete_variant, name="delete_variant"),
    path("featured/dismiss/", pages.featured_dismiss, name="featured_dismiss"),
    path("onboarding/", pages.onboarding, name="onboarding"),
    path("notices/", pages.notices, name="notices"),
    path("discover/", include("catalog.urls")),
    path("downloads/", include("downloads.urls")),
    path("storage/", include("storage.urls")),
    path("lists/", include("lists.urls")),
    path("apps/", include("links.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("welcome/", views.first_run, name="first_run"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/theme/", views.set_theme, name="set_theme"),
    path("settings/shortcuts/", views.set_shortcuts, name="set_shortcuts"),
    path("shortcuts/", views.shortcuts, name="shortcuts"),
    path("settings/api-token/", views.api_token, name="api_token"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    # A page for people: anonymous visitors are sent to the login page like everywhere else.
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="api_docs"),
]

# The API's error format for /api/ paths, Django's pages elsewhere (modella.drf).
handler400 = "modella.drf.bad_request"
handler403 = "modella.drf.permission_denied"
handler404 = "modella.drf.page_not_found"
handler500 = "modella.drf.server_error"
