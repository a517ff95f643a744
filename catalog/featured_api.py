"""`GET /api/v1/featured-models` (API.md "Featured models"): the entries curated in the admin.

The response is built from the catalog as it is: no hub request on a read. An entry whose
repository was never fetched has `recommended_variant: null` until someone downloads it (or the
owner saves it in the admin, which fetches it)."""

from __future__ import annotations

from django.db.models import Max
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.models import FeaturedModel


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def featured_data(featured: FeaturedModel) -> dict:
    repository, variant = featured.repository, featured.chosen_variant()
    return {
        "id": featured.slug,
        "name": featured.title,
        "title": featured.title,
        "description": featured.description,
        "tags": featured.tags,
        "size_category": featured.size_category,
        "repo": featured.repo,
        "filename": variant.filename if variant else (featured.filename or None),
        "recommended_variant": {"filename": variant.filename, "size": variant.size} if variant else None,
        "metadata": {
            "downloads": repository.downloads if repository else None,
            "downloads_24h": None,
            "likes": repository.likes if repository else None,
            "stars": repository.likes if repository else None,
            "model_type": (repository.model_type or None) if repository else None,
            "family": (repository.family or None) if repository else None,
            "tags": repository.tags if repository else [],
        },
        "links": {
            "huggingface": repository.hub_url if repository else featured.hub_url,
            "announcement": featured.link_announcement or None,
            "paper": featured.link_paper or None,
        },
        "published_at": _iso(featured.published_at),
        "is_downloaded": bool(variant and variant.is_downloaded),
        # extensions
        "category": featured.category,
        "category_label": str(featured.get_category_display()),
        "ends_at": _iso(featured.ends_at),
    }


def last_updated():
    """When the published list last changed: an edit, or a publish window opening or closing."""
    values = FeaturedModel.objects.aggregate(edited=Max("updated_at"), started=Max("published_at"),
                                             ended=Max("ends_at"))
    now = timezone.now()
    moments = [values["edited"], *(v for v in (values["started"], values["ended"]) if v and v <= now)]
    moments = [m for m in moments if m]
    return max(moments) if moments else None


_NULLABLE_INT = {"allow_null": True}


class FeaturedVariantSerializer(serializers.Serializer):
    filename = serializers.CharField()
    size = serializers.IntegerField()


class FeaturedMetadataSerializer(serializers.Serializer):
    downloads = serializers.IntegerField(**_NULLABLE_INT)
    downloads_24h = serializers.IntegerField(**_NULLABLE_INT)
    likes = serializers.IntegerField(**_NULLABLE_INT)
    stars = serializers.IntegerField(**_NULLABLE_INT)
    model_type = serializers.CharField(allow_null=True)
    family = serializers.CharField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())


class FeaturedLinksSerializer(serializers.Serializer):
    huggingface = serializers.CharField(allow_null=True)
    announcement = serializers.CharField(allow_null=True)
    paper = serializers.CharField(allow_null=True)


class FeaturedModelSerializer(serializers.Serializer):
    """Schema of one featured model (the data comes from `featured_data`)."""

    id = serializers.CharField()
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField())
    size_category = serializers.CharField(allow_blank=True)
    repo = serializers.CharField()
    filename = serializers.CharField(allow_null=True)
    recommended_variant = FeaturedVariantSerializer(allow_null=True)
    metadata = FeaturedMetadataSerializer()
    links = FeaturedLinksSerializer()
    published_at = serializers.DateTimeField()
    is_downloaded = serializers.BooleanField()
    category = serializers.ChoiceField(choices=FeaturedModel.Category.choices)
    category_label = serializers.CharField()
    ends_at = serializers.DateTimeField(allow_null=True)


class FeaturedModelsSerializer(serializers.Serializer):
    last_updated = serializers.DateTimeField(allow_null=True)
    models = FeaturedModelSerializer(many=True)


@extend_schema(operation_id="v1_featured_models_list", responses={200: FeaturedModelsSerializer})
@api_view(["GET"])
def featured_models(request: Request) -> Response:
    entries = FeaturedModel.objects.published().select_related("repository").prefetch_related("repository__variants")
    return Response({"last_updated": _iso(last_updated()), "models": [featured_data(f) for f in entries]})
