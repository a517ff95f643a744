"""The App folders REST endpoints: apps, their health check and repair, and the link registry.

Views translate HTTP in and out; links.registry does the work, for the pages too.
"""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from links import registry
from links.models import AppFolder, Link
from modella.drf import Pagination, paginated
from modella.errors import InvalidInput
from modella.ids import parse_id


class StaffOnly(IsAdminUser):
    message = registry.STAFF_ONLY


class AppFolderSerializer(serializers.ModelSerializer):
    link_count = serializers.SerializerMethodField()

    class Meta:
        model = AppFolder
        fields = ["id", "name", "kind", "root", "mapping", "enabled", "link_mode", "link_count", "created_at",
                  "updated_at"]

    def get_link_count(self, app: AppFolder) -> int:
        count = getattr(app, "link_count", None)
        return app.links.count() if count is None else count


class AppFolderInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=AppFolder.Kind.values)
    root = serializers.CharField(help_text="Absolute path of the app's folder; it must exist.")
    mapping = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, help_text=(
        "Model category -> folder relative to root ('' = not linked); categories: " + ", ".join(registry.CATEGORIES)
        + ". Missing categories keep the kind's defaults."))
    enabled = serializers.BooleanField(required=False)
    link_mode = serializers.ChoiceField(choices=AppFolder.LinkMode.values, required=False)


class LinkSerializer(serializers.ModelSerializer):
    app = serializers.IntegerField(source="app_id")

    class Meta:
        model = Link
        fields = ["id", "app", "source_path", "link_path", "kind", "created_at"]


_FINDING = inline_serializer("AppFolderFinding", {
    "kind": serializers.ChoiceField(choices=list(registry.FINDING_KINDS)),
    "link_path": serializers.CharField(), "source_path": serializers.CharField(allow_null=True),
    "link_id": serializers.IntegerField(allow_null=True), "message": serializers.CharField(),
    "repairable": serializers.BooleanField(),
}, many=True)
_HEALTH = inline_serializer("AppFolderHealth", {
    "app": AppFolderSerializer(), "ok": serializers.BooleanField(),
    "counts": serializers.DictField(child=serializers.IntegerField()), "findings": _FINDING,
})
_OUTCOME = inline_serializer("AppFolderLinkOutcome", {
    "link_path": serializers.CharField(), "source_path": serializers.CharField(),
    "kind": serializers.CharField(allow_null=True), "message": serializers.CharField(),
}, many=True)
_LINK_REPORT = {"linked": _OUTCOME, "existing": serializers.IntegerField(), "conflicts": _OUTCOME,
                "errors": _OUTCOME}
_LINK_ALL = inline_serializer("AppFolderLinkAll", _LINK_REPORT)
_REPAIR = inline_serializer("AppFolderRepair", {
    "fixed": serializers.IntegerField(help_text="Findings that were there before and are gone now."),
    "removed": serializers.IntegerField(), "forgotten": serializers.IntegerField(), **_LINK_REPORT,
    "remaining": _FINDING,
})


def _data(request: Request) -> dict:
    if not isinstance(request.data, dict):
        raise InvalidInput(_("Send a JSON object."))
    return request.data


def health_data(app: AppFolder, findings: list[registry.Finding]) -> dict:
    counts = dict.fromkeys(registry.FINDING_KINDS, 0)
    for finding in findings:
        counts[finding.kind] += 1
    return {"app": AppFolderSerializer(app).data, "ok": not findings, "counts": counts,
            "findings": [f.as_dict() for f in findings]}


@extend_schema(methods=["GET"], operation_id="v1_apps_list", responses=paginated(AppFolderSerializer))
@extend_schema(methods=["POST"], request=AppFolderInputSerializer, responses={201: AppFolderSerializer})
@api_view(["GET", "POST"])
@permission_classes([StaffOnly])
def apps(request: Request) -> Response:
    if request.method == "POST":
        app = registry.save_app(None, _data(request))
        return Response(AppFolderSerializer(app).data, status=201)
    paginator = Pagination()
    page = paginator.paginate_queryset(AppFolder.objects.annotate(link_count=Count("links")).order_by("name"), request)
    return paginator.get_paginated_response(AppFolderSerializer(page, many=True).data)


@extend_schema(methods=["GET"], responses=AppFolderSerializer)
@extend_schema(methods=["PATCH"], request=AppFolderInputSerializer(partial=True), responses=AppFolderSerializer)
@extend_schema(methods=["DELETE"], responses={204: None})
@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([StaffOnly])
def app_detail(request: Request, pk: int) -> Response:
    app = get_object_or_404(AppFolder, pk=pk)
    if request.method == "PATCH":
        registry.save_app(app, _data(request))
    elif request.method == "DELETE":
        registry.remove_app(app)
        return Response(status=204)
    return Response(AppFolderSerializer(app).data)


@extend_schema(responses=_HEALTH)
@api_view(["GET"])
@permission_classes([StaffOnly])
def app_health(request: Request, pk: int) -> Response:
    app = get_object_or_404(AppFolder, pk=pk)
    return Response(health_data(app, registry.check(app)))


@extend_schema(request=None, responses=_REPAIR)
@api_view(["POST"])
@permission_classes([StaffOnly])
def app_repair(request: Request, pk: int) -> Response:
    app = get_object_or_404(AppFolder, pk=pk)
    return Response(registry.repair(app).as_dict())


@extend_schema(request=None, responses=_LINK_ALL)
@api_view(["POST"])
@permission_classes([StaffOnly])
def app_link_all(request: Request, pk: int) -> Response:
    app = get_object_or_404(AppFolder, pk=pk)
    return Response(registry.link_all(app).as_dict())


@extend_schema(operation_id="v1_links_list", responses=paginated(LinkSerializer),
               parameters=[OpenApiParameter("app", int, description="Only the links of this app folder.")])
@api_view(["GET"])
@permission_classes([StaffOnly])
def links(request: Request) -> Response:
    rows = Link.objects.order_by("app_id", "link_path")
    app = request.query_params.get("app")
    if app is not None:
        app_id = parse_id(app)
        if app_id is None:
            raise InvalidInput(_("“app” must be the id of an app folder."), details={"app": app})
        rows = rows.filter(app_id=app_id)
    paginator = Pagination()
    return paginator.get_paginated_response(LinkSerializer(paginator.paginate_queryset(rows, request),
                                                           many=True).data)
