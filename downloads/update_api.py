"""The Updates API: list the available updates, apply them with a policy, check again.

The work is in catalog.updates (what is newer) and downloads.updates (the policies); the Updates
page calls the same functions."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import updates as catalog_updates
from downloads import updates
from downloads.api import item_data
from downloads.models import UpdateRun
from modella.drf import Pagination


def update_data(update: catalog_updates.Update) -> dict:
    """One available update (GET /api/v1/updates)."""
    variant = update.variant
    return {
        "variant": variant.pk,
        "repo": variant.repository.repo,
        "source": variant.repository.source,
        "filename": variant.filename,
        "kind": update.kind,
        "old": update.old,
        "new": update.new,
        "size_change": update.size_change,
        "early_access": update.early_access,
        "early_access_until": update.early_access_until,
        "download": item_data(update.job) if update.job else None,
    }


def run_data(run: UpdateRun) -> dict:
    """An update run: per variant, queued (with its download, and once done what happened to the
    old file) or skipped (with the reason)."""
    items = []
    for item in run.items.select_related("job"):
        items.append({
            "variant": item.variant_id, "repo": item.repo, "filename": item.filename, "kind": item.kind,
            "outcome": item.outcome, "reason": item.reason or None, "message": item.message or None,
            "old": item.old, "new": item.new, "download": item_data(item.job) if item.job else None,
            "result": item.result or None,
        })
    return {
        "id": run.pk, "policy": run.policy, "created_at": run.created_at.isoformat().replace("+00:00", "Z"),
        "queued": [i for i in items if i["outcome"] == "queued"],
        "skipped": [i for i in items if i["outcome"] == "skipped"],
        "finished": all(i["download"] is None or i["download"]["status"] in ("completed", "failed", "cancelled")
                        for i in items),
    }


class ApplySerializer(serializers.Serializer):
    variants = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=updates.MAX_ID - 1), allow_empty=False, max_length=1000)
    policy = serializers.ChoiceField(choices=list(updates.POLICIES), default="replace")


UPDATE_SCHEMA = inline_serializer("AvailableUpdate", {
    "variant": serializers.IntegerField(), "repo": serializers.CharField(), "source": serializers.CharField(),
    "filename": serializers.CharField(), "kind": serializers.ChoiceField(choices=["commit", "file", "version"]),
    "old": serializers.DictField(), "new": serializers.DictField(), "size_change": serializers.IntegerField(),
    "early_access": serializers.BooleanField(), "early_access_until": serializers.CharField(allow_null=True),
    "download": serializers.DictField(allow_null=True),
})
RUN_SCHEMA = inline_serializer("UpdateRun", {
    "id": serializers.IntegerField(), "policy": serializers.CharField(), "created_at": serializers.DateTimeField(),
    "queued": serializers.ListField(child=serializers.DictField()),
    "skipped": serializers.ListField(child=serializers.DictField()), "finished": serializers.BooleanField(),
})


@extend_schema(responses={200: inline_serializer("AvailableUpdates", {
    "count": serializers.IntegerField(), "next": serializers.URLField(allow_null=True),
    "previous": serializers.URLField(allow_null=True), "results": serializers.ListField(child=UPDATE_SCHEMA)})})
@api_view(["GET"])
def updates_list(request: Request) -> Response:
    paginator = Pagination()
    page = paginator.paginate_queryset(catalog_updates.pending(), request)
    return paginator.get_paginated_response([update_data(u) for u in page])


@extend_schema(request=ApplySerializer, responses={202: RUN_SCHEMA})
@api_view(["POST"])
def updates_apply(request: Request) -> Response:
    data = ApplySerializer(data=request.data)
    data.is_valid(raise_exception=True)
    run = updates.apply(data.validated_data["variants"], data.validated_data["policy"], user=request.user)
    return Response(run_data(run), status=status.HTTP_202_ACCEPTED)


@extend_schema(responses={200: RUN_SCHEMA})
@api_view(["GET"])
def updates_run(request: Request, run_id: int) -> Response:
    return Response(run_data(get_object_or_404(UpdateRun, pk=run_id)))


@extend_schema(request=None, responses={202: inline_serializer("UpdateCheckQueued", {
    "queued": serializers.BooleanField()})})
@api_view(["POST"])
def updates_check(request: Request) -> Response:
    """Check every downloaded file for updates in the background (the scheduled check, now)."""
    updates.check_later()
    return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)
