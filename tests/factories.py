"""factory-boy factories for every model."""

import hashlib

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import FeaturedModel, ModelRepository, ModelVariant
from downloads.models import DownloadJob
from lists.models import ModelList, ModelListItem
from modella.models import UserSettings
from storage.models import LocalFile, StorageSnapshot


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")


class UserSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserSettings

    user = factory.SubFactory(UserFactory)


class ModelRepositoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelRepository
        django_get_or_create = ("repo",)

    source = "huggingface"
    author = factory.Sequence(lambda n: f"owner{n}")
    name = factory.Sequence(lambda n: f"Model-{n}-GGUF")
    repo = factory.LazyAttribute(lambda o: f"{o.author}/{o.name}")
    license = "apache-2.0"
    tags = factory.LazyFunction(lambda: ["gguf", "llama"])
    family = "llama"
    model_type = "LLM"
    likes = 10
    downloads = 100
    synced_at = factory.LazyFunction(timezone.now)


class ModelVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelVariant

    repository = factory.SubFactory(ModelRepositoryFactory)
    filename = factory.Sequence(lambda n: f"model-{n}.Q4_K_M.gguf")
    size = 4_081_004_224
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.filename.encode()).hexdigest())
    files = factory.LazyAttribute(lambda o: [{"path": o.filename, "size": o.size, "sha256": o.sha256}])
    format = "gguf"
    quant_bits = 4.8
    quant_method = "Q4_K_M"


class FeaturedModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeaturedModel

    slug = factory.Sequence(lambda n: f"featured-{n}")
    title = factory.Sequence(lambda n: f"Featured model {n}")
    repo = "acme/tiny-llama-gguf"
    published_at = factory.LazyFunction(timezone.now)


class DownloadJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DownloadJob

    variant = factory.SubFactory(ModelVariantFactory)
    repo = factory.LazyAttribute(lambda o: o.variant.repository.repo)
    filename = factory.LazyAttribute(lambda o: o.variant.filename)
    size = factory.LazyAttribute(lambda o: o.variant.size)
    sha256 = factory.LazyAttribute(lambda o: o.variant.sha256)
    files = factory.LazyAttribute(lambda o: o.variant.files)


class StorageSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StorageSnapshot

    taken_at = factory.LazyFunction(timezone.now)
    total_bytes = 500 * 10**9
    used_bytes = 127 * 10**9
    available_bytes = 373 * 10**9


class LocalFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LocalFile

    path = factory.Sequence(lambda n: f"local/file-{n}.safetensors")
    size = 1024


class ModelListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelList

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"List {n}")


class ModelListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelListItem

    model_list = factory.SubFactory(ModelListFactory)
    repo = "acme/tiny-llama-gguf"
