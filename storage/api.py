"""The storage API: usage, snapshots and local files (see API.md, "Storage")."""

from __future__ import annotations

from datetime import UTC

from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from modella.drf import Pagination, paginated
from modella.errors import InvalidInput
from storage import library
from storage.models import LocalFile, StorageSnapshot
from storage.usage import usage


class StorageSerializer(serializers.Serializer):
    total_bytes = serializers.IntegerField()
    used_bytes = serializers.IntegerField()
    available_bytes = serializers.IntegerField()
    model_count = serializers.IntegerField()
    models_bytes = serializers.IntegerField()
    by_source = serializers.DictField(child=serializers.IntegerField())
    by_type = serializers.DictField(child=serializers.IntegerField())
    by_base_model = serializers.DictField(child=serializers.IntegerField())


class StorageSnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = StorageSnapshot
        fields = ["taken_at", "total_bytes", "used_bytes", "available_bytes", "models_bytes", "model_count"]


class LocalFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = LocalFile
        fields = ["id", "path", "kind", "size", "sha256", "source", "model_type", "base_model", "header", "variant"]


class RenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=1000, trim_whitespace=True)


@extend_schema(responses={200: StorageSerializer})
@api_view(["GET"])
def storage_view(request: Request) -> Response:
    return Response(usage())


@extend_schema(
    parameters=[OpenApiParameter("since", OpenApiTypes.DATETIME, description="Only snapshots taken at or after this time.")],
    responses={200: paginated(StorageSnapshotSerializer)},
)
@api_view(["GET"])
def snapshots_view(request: Request) -> Response:
    since = None
    if request.query_params.get("since"):
        try:
            since = parse_datetime(request.query_params["since"].replace(" ", "+"))
            if since is not None:
                # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts.
                since = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
        except (ValueError, OverflowError):
            since = None
        if since is None:
            raise InvalidInput(
                _("“since” must be an ISO 8601 date and time, e.g. 2026-11-22T10:00:00Z."),
                details={"since": request.query_params["since"][:100]},
            )
    paginator = Pagination()
    page = paginator.paginate_queryset(StorageSnapshot.objects.since(since).chronological(), request)
    return paginator.get_paginated_response(StorageSnapshotSerializer(page, many=True).data)


@extend_schema(operation_id="v1_local_files_list", responses={200: paginated(LocalFileSerializer)})
@api_view(["GET"])
def local_files_view(request: Request) -> Response:
    paginator = Pagination()
    page = paginator.paginate_queryset(LocalFile.objects.order_by("-size", "pk"), request)
    return paginator.get_paginated_response(LocalFileSerializer(page, many=True).data)


@extend_schema(request=RenameSerializer, responses={200: LocalFileSerializer, 204: None})
@api_view(["GET", "PATCH", "DELETE"])
def local_file_view(request: Request, pk: int) -> Response:
    local = get_object_or_404(LocalFile, pk=pk)
    if request.method == "PATCH":
        data = RenameSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        local.rename(data.validated_data["name"])
        return Response(LocalFileSerializer(local).data)
    if request.method == "DELETE":
        local.remove()
        library.snapshot_after_change()
        return Response(status=204)
    return Response(LocalFileSerializer(local).data)
