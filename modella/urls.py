from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from modella import api, views
from modella.forms import LoginForm

api_v1 = [
    path("status", api.status_view, name="status"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include("catalog.api_urls")),
    path("", include("downloads.api_urls")),
    path("", include("storage.api_urls")),
    path("", include("lists.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("discover/", include("catalog.urls")),
    path("downloads/", include("downloads.urls")),
    path("storage/", include("storage.urls")),
    path("lists/", include("lists.urls")),
    path("welcome/", views.first_run, name="first_run"),
    path("settings/", views.settings_view, name="settings"),
    path("settings/theme/", views.set_theme, name="set_theme"),
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="api_docs"),
]
