"""Browsing Civitai through the REST API (API.md "Browsing the hubs").

`GET /api/v1/hub/civitai/models` and `GET /api/v1/hub/civitai/models/{id}` serve the same data
the Civitai pages show, filtered by the requesting user's content level (per version and per
image), from the same functions (catalog.civitai_views.search_params, catalog.civitai_store).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import civitai_store
from catalog.civitai_views import search_params
from catalog.models import ModelRepository
from catalog.sources import civitai


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _version_data(version: dict) -> dict:
    data = {k: v for k, v in version.items() if k not in ("published", "early_access_until")}
    data["early_access_until"] = _iso(version.get("early_access_until"))
    return data


def _model_data(model: dict, in_catalog: set[str]) -> dict:
    data = {k: v for k, v in model.items() if k != "versions"}
    data["in_catalog"] = model["repo"] in in_catalog
    return data


@extend_schema(
    parameters=[OpenApiParameter("query", str), OpenApiParameter("tag", str), OpenApiParameter("username", str),
                OpenApiParameter("types", str, many=True, enum=civitai.MODEL_TYPES),
                OpenApiParameter("base_models", str, many=True),
                OpenApiParameter("sort", str, enum=civitai.SORTS), OpenApiParameter("period", str, enum=civitai.PERIODS),
                OpenApiParameter("nsfw", bool), OpenApiParameter("cursor", str), OpenApiParameter("limit", int)],
    responses={200: inline_serializer("CivitaiModelPage", {
        "items": serializers.ListField(child=serializers.DictField()),
        "next_cursor": serializers.CharField(allow_null=True),
    })},
)
@api_view(["GET"])
def models(request: Request) -> Response:
    params = request.query_params
    level, blur = civitai_store.preferences(request.user)
    # The API names the filters after Civitai's own (query, tag, username); the page uses q + by.
    arguments = search_params(params, level)
    nsfw = params.get("nsfw", "").lower()
    arguments.update(
        query=params.get("query", "").strip(), tag=params.get("tag", "").strip(),
        username=params.get("username", "").strip(),
        types=[t for raw in params.getlist("types") for t in raw.split(",") if t.strip()],
        base_models=[b for raw in params.getlist("base_models") for b in raw.split(",") if b.strip()],
        sort=params.get("sort", "") or "Highest Rated", period=params.get("period", "") or "AllTime",
        nsfw=nsfw in ("1", "true", "yes") if nsfw else arguments["nsfw"],
    )
    page = civitai.search(limit=params.get("limit") or 24, **arguments)
    shown = [civitai_store.present(m, level, blur) for m in page["items"]]
    known = set(ModelRepository.objects.filter(repo__in=[m["repo"] for m in shown]).values_list("repo", flat=True))
    items = []
    for model in shown:
        data = _model_data(model, known)
        data["versions"] = [_version_data(v) for v in model["versions"]]
        items.append(data)
    return Response({"items": items, "next_cursor": page["next_cursor"]})


@extend_schema(
    operation_id="v1_hub_civitai_model_retrieve",
    parameters=[OpenApiParameter("versions_page", int)],
    responses={200: inline_serializer("CivitaiModel", {
        "id": serializers.IntegerField(), "repo": serializers.CharField(), "name": serializers.CharField(),
        "versions": serializers.ListField(child=serializers.DictField()),
        "versions_page": serializers.IntegerField(), "versions_pages": serializers.IntegerField(),
        "versions_count": serializers.IntegerField(),
    })},
)
@api_view(["GET"])
def model(request: Request, model_id: int) -> Response:
    level, blur = civitai_store.preferences(request.user)
    shown = civitai_store.present(civitai.get_model(model_id), level, blur)
    pages = civitai_store.versions_page(shown, request.query_params.get("versions_page"))
    version, file = civitai_store.default_file(shown)
    known = set(ModelRepository.objects.filter(repo=shown["repo"]).values_list("repo", flat=True))
    data = _model_data(shown, known)
    data.update(
        versions=[_version_data(v) for v in pages["versions"]], versions_page=pages["page"],
        versions_pages=pages["pages"], versions_count=pages["count"],
        default_file={"version_id": version["id"], "file_id": file["id"], "filename": file["filename"]}
        if file else None,
    )
    return Response(data)
