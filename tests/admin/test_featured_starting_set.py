"""The data migration ships an editable starting set covering every kind of package."""

import importlib

import pytest
from django.apps import apps

from catalog.models import FeaturedModel

pytestmark = pytest.mark.django_db

migration = importlib.import_module("catalog.migrations.0005_featured_starting_set")


def test_the_starting_set_covers_the_common_kinds_of_model():
    migration.add_starting_set(apps, None)
    categories = set(FeaturedModel.objects.values_list("category", flat=True))
    assert {"chat", "code", "vision", "sdxl", "flux", "lora", "vae", "controlnet", "upscaler"} <= categories
    assert FeaturedModel.objects.published().count() == len(migration.STARTING_SET)
    assert all("/" in repo for repo in FeaturedModel.objects.values_list("repo", flat=True))


def test_running_it_again_keeps_the_owners_edits():
    migration.add_starting_set(apps, None)
    FeaturedModel.objects.filter(slug="gemma-2-9b-it").update(title="My Gemma")
    migration.add_starting_set(apps, None)
    assert FeaturedModel.objects.get(slug="gemma-2-9b-it").title == "My Gemma"
    assert FeaturedModel.objects.count() == len(migration.STARTING_SET)
