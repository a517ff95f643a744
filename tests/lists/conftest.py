"""Helpers for the lists tests: variants in each state a list item can be in."""

import pytest

from tests.factories import DownloadJobFactory, ModelListFactory, ModelVariantFactory


@pytest.fixture
def make_list(user):
    def make(owner=None, **kwargs):
        return ModelListFactory(owner=owner or user, **kwargs)

    return make


@pytest.fixture
def downloaded_variant(models_dir):
    """A variant whose file is on disk in the test's models directory."""

    def make(size: int = 1000, **kwargs):
        variant = ModelVariantFactory(size=size, **kwargs)
        relative = f"huggingface/{variant.repository.repo}/{variant.filename}"
        path = models_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * size)
        variant.local_path = relative
        variant.save()
        return variant

    return make


@pytest.fixture
def queued_variant():
    def make(**kwargs):
        variant = ModelVariantFactory(**kwargs)
        DownloadJobFactory(variant=variant, status="queued")
        return variant

    return make
