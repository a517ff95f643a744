"""Every admin list opens (with a search where there is one), including Django-Q2's task pages."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import (
    DownloadJobFactory,
    FeaturedModelFactory,
    LocalFileFactory,
    ModelListFactory,
    ModelVariantFactory,
    StorageSnapshotFactory,
)

pytestmark = pytest.mark.django_db

MODELS = [f"{m._meta.app_label}_{m._meta.model_name}" for m in admin.site._registry]


@pytest.fixture
def some_of_everything(user):
    variant = ModelVariantFactory()
    DownloadJobFactory(variant=variant)
    FeaturedModelFactory()
    StorageSnapshotFactory()
    LocalFileFactory()
    ModelListFactory(owner=user)


@pytest.mark.parametrize("name", MODELS)
def test_the_list_opens_and_searches(logged_in_client, some_of_everything, name):
    url = reverse(f"admin:{name}_changelist")
    assert logged_in_client.get(url).status_code == 200
    assert logged_in_client.get(url, {"q": "llama"}).status_code == 200


@pytest.mark.parametrize("name", MODELS)
def test_the_add_page_opens(logged_in_client, name):
    response = logged_in_client.get(reverse(f"admin:{name}_add"))
    assert response.status_code in (200, 403)  # some (Django-Q2's task results) cannot be added


def test_django_q_pages_are_there(settings):
    for name in ("django_q_schedule", "django_q_success", "django_q_failure"):
        assert name in MODELS
    # The queued-tasks page exists only with the ORM broker (Redis holds its own queue).
    assert ("django_q_ormq" in MODELS) == bool(settings.Q_CLUSTER.get("orm"))


def test_repositories_and_variants_are_searchable():
    for name in ("catalog_modelrepository", "catalog_modelvariant", "downloads_downloadjob", "lists_modellist",
                 "storage_localfile"):
        model_admin = next(a for m, a in admin.site._registry.items()
                           if f"{m._meta.app_label}_{m._meta.model_name}" == name)
        assert model_admin.search_fields, name

