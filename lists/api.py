"""The lists' REST endpoints (API.md "Lists").

Views translate HTTP in and out; the work is in lists.models (`entries()`, `add_item()`,
`download_all()`, `remove_local()`, `export()`, `import_document()`), which the pages call too.
Responses are built by small functions; the serializers document them in the OpenAPI schema.
Another user's list answers 404 `not_found`, exactly like a list that does not exist.
"""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from lists.models import Entry, ModelList, download_budget, resolve_items
from modella.drf import Pagination
from modella.errors import InvalidInput

MAX_IMPORT_BYTES = 2 * 1024 * 1024


# --- Response shapes -------------------------------------------------------------------------------
def item_data(entry: Entry) -> dict:
    item = entry.item
    return {
        "id": item.pk,
        "repo": item.repo,
        "filename": item.filename or None,
        "note": item.note,
        "added_at": item.added_at,
        "status": entry.status,
        # Extras: the file an item without a filename stands for, its size and its download.
        "resolved_filename": entry.variant.filename if entry.variant is not None else None,
        "size": entry.size,
        "download_id": entry.job.pk if entry.job is not None else None,
    }


def list_data(model_list: ModelList, entries: list[Entry] | None = None, available: int | None = None) -> dict:
    entries = model_list.entries() if entries is None else entries
    summary = model_list.summary(entries, available)
    return {
        "id": model_list.pk,
        "name": model_list.name,
        "description": model_list.description,
        "items": [item_data(e) for e in entries],
        "total_size": summary["total_size"],
        "created_at": model_list.created_at,
        "updated_at": model_list.updated_at,
        "item_count": summary["item_count"],
        "remaining_bytes": summary["remaining_bytes"],
        "shortfall_bytes": summary["shortfall_bytes"],
    }


def job_data(job) -> dict:
    """A DownloadQueueItem, as the downloads API writes it."""
    from downloads.api import item_data as download_item_data

    return download_item_data(job)


def download_result_data(result: dict) -> dict:
    return {"queued": [job_data(job) for job in result["queued"]], "skipped": result["skipped"],
            "storage": result["storage"]}


# --- Schema documentation --------------------------------------------------------------------------
class ListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    repo = serializers.CharField()
    filename = serializers.CharField(allow_null=True)
    note = serializers.CharField()
    added_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["downloaded", "queued", "available", "missing"])
    resolved_filename = serializers.CharField(allow_null=True)
    size = serializers.IntegerField()
    download_id = serializers.IntegerField(allow_null=True)


class ModelListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    items = ListItemSerializer(many=True)
    total_size = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    item_count = serializers.IntegerField()
    remaining_bytes = serializers.IntegerField(help_text="Bytes still to download for the items not downloaded.")
    shortfall_bytes = serializers.IntegerField(help_text="How much more free space downloading the rest needs.")


class PaginatedModelListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ModelListSerializer(many=True)


class ListInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)


class ItemInputSerializer(serializers.Serializer):
    repo = serializers.CharField(help_text="owner/name or civitai:<id>")
    filename = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                     help_text="Leave out for the repository's recommended variant.")
    note = serializers.CharField(required=False, allow_blank=True)


_SKIPPED = inline_serializer("ListDownloadSkipped", {
    "item_id": serializers.IntegerField(), "repo": serializers.CharField(),
    "filename": serializers.CharField(allow_null=True),
    "reason": serializers.CharField(help_text="already_downloaded, already_queued, insufficient_storage, missing, "
                                              "or an API error code such as remote_unauthorized"),
    "message": serializers.CharField(), "details": serializers.DictField(),
}, many=True)
_DOWNLOAD_RESULT = inline_serializer("ListDownloadResult", {
    "queued": serializers.ListField(child=serializers.DictField(), help_text="DownloadQueueItem objects"),
    "skipped": _SKIPPED,
    "storage": inline_serializer("ListDownloadStorage", {
        "needed_bytes": serializers.IntegerField(), "available_bytes": serializers.IntegerField(),
        "shortfall_bytes": serializers.IntegerField()}),
})
_REMOVE_RESULT = inline_serializer("ListRemoveLocalResult", {
    "removed": inline_serializer("ListRemovedFile", {
        "item_id": serializers.IntegerField(), "repo": serializers.CharField(), "filename": serializers.CharField(),
        "freed_bytes": serializers.IntegerField()}, many=True),
    "freed_bytes": serializers.IntegerField(),
})
_EXPORT_ITEM = inline_serializer("ListExportItem", {
    "source": serializers.CharField(), "repo": serializers.CharField(),
    "filename": serializers.CharField(allow_null=True), "sha256": serializers.CharField(allow_null=True),
    "note": serializers.CharField(),
}, many=True)
_EXPORT = inline_serializer("ListExport", {
    "format": serializers.CharField(), "version": serializers.IntegerField(),
    "exported_at": serializers.DateTimeField(), "name": serializers.CharField(),
    "description": serializers.CharField(), "items": _EXPORT_ITEM,
})
_IMPORT_PROBLEM = inline_serializer("ListImportProblem", {
    "repo": serializers.CharField(), "filename": serializers.CharField(allow_null=True),
    "reason": serializers.CharField(), "message": serializers.CharField()}, many=True)
_IMPORT_RESULT = inline_serializer("ListImportResult", {
    "list": ModelListSerializer(), "imported": serializers.IntegerField(),
    "missing": _IMPORT_PROBLEM, "unverified": _IMPORT_PROBLEM,
})


def _data(request: Request) -> dict:
    if not isinstance(request.data, dict):
        raise InvalidInput(_("Send a JSON object."))
    return request.data


# --- Endpoints -------------------------------------------------------------------------------------
@extend_schema(methods=["GET"], operation_id="v1_lists_list", responses=PaginatedModelListSerializer, parameters=[
    OpenApiParameter("page", int), OpenApiParameter("page_size", int, description="At most 200.")])
@extend_schema(methods=["POST"], request=ListInputSerializer, responses={201: ModelListSerializer})
@api_view(["GET", "POST"])
def lists(request: Request) -> Response:
    if request.method == "POST":
        data = _data(request)
        model_list = ModelList.objects.create_list(request.user, data.get("name"), data.get("description", ""))
        return Response(list_data(model_list), status=201)
    paginator = Pagination()
    page = paginator.paginate_queryset(ModelList.objects.owned_by(request.user).prefetch_related("items"), request)
    # One catalog lookup for the whole page of lists, not one per list.
    entries = resolve_items([item for model_list in page for item in model_list.items.all()])
    available = download_budget()
    return paginator.get_paginated_response([
        list_data(model_list, [e for e in entries if e.item.model_list_id == model_list.pk], available)
        for model_list in page
    ])


@extend_schema(methods=["GET"], responses=ModelListSerializer)
@extend_schema(methods=["PATCH"], request=ListInputSerializer(partial=True), responses=ModelListSerializer)
@extend_schema(methods=["DELETE"], responses={204: None})
@api_view(["GET", "PATCH", "DELETE"])
def list_detail(request: Request, pk: int) -> Response:
    model_list = ModelList.objects.get_owned(request.user, pk)
    if request.method == "PATCH":
        data = _data(request)
        model_list.update_details(name=data.get("name"), description=data.get("description"))
    elif request.method == "DELETE":
        model_list.delete()
        return Response(status=204)
    return Response(list_data(model_list))


@extend_schema(request=ItemInputSerializer, responses={201: ListItemSerializer})
@api_view(["POST"])
def list_items(request: Request, pk: int) -> Response:
    model_list = ModelList.objects.get_owned(request.user, pk)
    data = _data(request)
    item = model_list.add_item(data.get("repo"), data.get("filename"), data.get("note", ""))
    entry = next(e for e in model_list.entries() if e.item.pk == item.pk)
    return Response(item_data(entry), status=201)


@extend_schema(request=None, responses={204: None})
@api_view(["DELETE"])
def list_item(request: Request, pk: int, item_id: int) -> Response:
    ModelList.objects.get_owned(request.user, pk).remove_item(item_id)
    return Response(status=204)


@extend_schema(request=None, responses={202: _DOWNLOAD_RESULT})
@api_view(["POST"])
def list_download(request: Request, pk: int) -> Response:
    model_list = ModelList.objects.get_owned(request.user, pk)
    priority = request.data.get("priority", "normal") if isinstance(request.data, dict) else "normal"
    return Response(download_result_data(model_list.download_all(request.user, priority=priority)), status=202)


@extend_schema(request=None, responses={200: _REMOVE_RESULT})
@api_view(["POST"])
def list_remove_local(request: Request, pk: int) -> Response:
    return Response(ModelList.objects.get_owned(request.user, pk).remove_local())


@extend_schema(responses={200: _EXPORT})
@api_view(["GET"])
def list_export(request: Request, pk: int) -> JsonResponse:
    model_list = ModelList.objects.get_owned(request.user, pk)
    response = JsonResponse(model_list.export(), json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{model_list.export_filename()}"'
    return response


def read_upload(upload) -> dict:
    """The JSON document in an uploaded export file, or InvalidInput."""
    if upload.size > MAX_IMPORT_BYTES:
        raise InvalidInput(_("The file is too large for a list export (at most %(max)d bytes).")
                           % {"max": MAX_IMPORT_BYTES})
    try:
        return json.loads(upload.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput(_("The file is not valid JSON: choose a file exported from a Modella list.")) from None


@extend_schema(request={"application/json": _EXPORT, "multipart/form-data": inline_serializer(
    "ListImportUpload", {"file": serializers.FileField()})},
    responses={201: _IMPORT_RESULT, 400: OpenApiResponse(description="invalid_input")})
@api_view(["POST"])
@parser_classes([JSONParser, MultiPartParser, FormParser])
def list_import(request: Request) -> Response:
    upload = request.FILES.get("file")
    document = read_upload(upload) if upload is not None else request.data
    model_list, report = ModelList.objects.import_document(request.user, document)
    return Response({"list": list_data(model_list), **report}, status=201)
