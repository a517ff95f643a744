"""The uploads API (API.md "Uploads"): create an upload, send it in chunks, ask where it stands.

The views only translate HTTP: the offset from `Upload-Offset` (or `Content-Range`), the chunk
from the raw request stream (never `request.data`: a chunk is streamed to disk, not parsed or held
in memory). The rules are in storage.uploads.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, throttle_classes
from rest_framework.request import Request
from rest_framework.response import Response

from modella.drf import Pagination, paginated
from modella.errors import InvalidInput, NotFound
from storage import uploads
from storage.api import LocalFileSerializer
from storage.models import Upload

_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class UploadCreateSerializer(serializers.Serializer):
    filename = serializers.CharField(max_length=1000)
    size = serializers.IntegerField(min_value=1)
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", required=False, allow_blank=True,
                                    help_text="Optional: the file's SHA-256; the finished upload must match it.")


class UploadSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(read_only=True)
    local_file = LocalFileSerializer(read_only=True, allow_null=True)
    chunk_size = serializers.SerializerMethodField(help_text="The chunk size clients should send, in bytes.")

    class Meta:
        model = Upload
        fields = ["id", "filename", "size", "offset", "progress", "status", "sha256", "expected_sha256",
                  "error_code", "error", "path", "local_file", "chunk_size", "created_at", "updated_at"]

    def get_chunk_size(self, upload: Upload) -> int:
        return settings.UPLOAD_CHUNK_BYTES


def _answer(upload: Upload, status: int = 200) -> Response:
    return Response(UploadSerializer(upload).data, status=status, headers=_offset_headers(upload))


def _offset_headers(upload: Upload) -> dict:
    return {"Upload-Offset": str(upload.offset), "Upload-Length": str(upload.size), "Cache-Control": "no-store"}


def _own_upload(request: Request, pk: str) -> Upload:
    try:
        key = uuid.UUID(pk)
    except ValueError:
        raise NotFound() from None
    upload = Upload.objects.filter(pk=key, user=request.user).select_related("local_file").first()
    if upload is None:
        raise NotFound(_("There is no such upload (it may have been cancelled)."))
    return upload


def _chunk_position(request: Request) -> tuple[int, int]:
    """(offset, length) of the chunk in the request, from Upload-Offset or Content-Range."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        raise InvalidInput(_("Send the chunk with a Content-Length header.")) from None
    raw = request.headers.get("Upload-Offset")
    if raw is None and (content_range := request.headers.get("Content-Range")):
        match = _CONTENT_RANGE.fullmatch(content_range.strip())
        if match and int(match[2]) - int(match[1]) + 1 == length:
            raw = match[1]
        else:
            raise InvalidInput(_("The Content-Range header must be “bytes start-end/size” and match the chunk's length."),
                               details={"content_range": content_range[:100]})
    if raw is None or not re.fullmatch(r"[0-9]+", raw.strip()):  # not isdigit(): "²" passes it, int() fails
        raise InvalidInput(
            _("Say where the chunk starts with an Upload-Offset header (or Content-Range: bytes start-end/size)."),
            details={"upload_offset": (raw or "")[:40]},
        )
    return int(raw), length


@extend_schema(methods=["GET"], operation_id="v1_uploads_list", responses={200: paginated(UploadSerializer)},
               description="Your uploads, newest first: unfinished ones (to resume or cancel) and finished ones.")
@extend_schema(methods=["POST"], request=UploadCreateSerializer, responses={201: UploadSerializer},
               description="Start an upload: 201 with its id and offset 0. 400 for a name that is not a model "
                           "file (.gguf, .safetensors, .ckpt, .pt, .bin) or a size over the limit, 409 "
                           "`already_exists` when a file with the given sha256 is in the library, 507 "
                           "`insufficient_storage` when it would not fit.")
@api_view(["GET", "POST"])
def uploads_view(request: Request) -> Response:
    if request.method == "POST":
        data = UploadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = uploads.start(request.user, data.validated_data["filename"], data.validated_data["size"],
                               data.validated_data.get("sha256", ""))
        response = _answer(upload, status=201)
        response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{upload.pk}")
        return response
    paginator = Pagination()
    page = paginator.paginate_queryset(
        Upload.objects.filter(user=request.user).select_related("local_file").order_by("-created_at", "pk"), request)
    return paginator.get_paginated_response(UploadSerializer(page, many=True).data)


@extend_schema(methods=["GET"], responses={200: UploadSerializer},
               description="Where the upload stands; also sent as the `Upload-Offset` header (HEAD gives only the "
                           "headers). After a dropped connection or a page reload, continue from `offset`.")
@extend_schema(
    methods=["PUT", "PATCH"],
    request={"application/octet-stream": OpenApiTypes.BINARY},
    parameters=[OpenApiParameter("Upload-Offset", int, OpenApiParameter.HEADER,
                                 description="Where this chunk starts (or send Content-Range: bytes start-end/size).")],
    responses={200: UploadSerializer, 409: OpenApiResponse(description="`offset_mismatch` or `upload_busy`; "
                                                                      "`details.offset` says where to continue.")},
    description="Send the next chunk as the raw body. When the offset reaches the size the file is verified, "
                "moved to uploads/ in the models directory and added to the library (`status`: completed, "
                "`local_file`). A connection cut mid-chunk keeps the bytes that arrived.",
)
@extend_schema(methods=["DELETE"], responses={204: None, 409: OpenApiResponse(description="`upload_busy`: a chunk "
                                                                             "is being received; try again.")},
               description="Cancel an unfinished upload (its partial file is removed) or forget a finished one.")
@api_view(["GET", "HEAD", "PUT", "PATCH", "DELETE"])
@throttle_classes([])  # chunks are bounded by bandwidth; a 50 GB file is thousands of them
def upload_view(request: Request, pk: str) -> Response:
    upload = _own_upload(request, pk)
    if request.method == "HEAD":
        return Response(headers=_offset_headers(upload))
    if request.method == "DELETE":
        uploads.cancel(upload)
        return Response(status=204)
    if request.method in ("PUT", "PATCH"):
        offset, length = _chunk_position(request)
        try:
            upload = uploads.receive(upload, offset, request.stream, length)
        except (uploads.OffsetMismatch, uploads.UploadBusy) as exc:
            return Response(exc.as_dict(), status=exc.status,
                            headers={"Upload-Offset": str(exc.details["offset"]), "Cache-Control": "no-store"})
    return _answer(upload)
