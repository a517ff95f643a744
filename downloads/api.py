"""The Downloads API (see API.md "Downloads"): serializers beside the endpoints, the work in the
model methods (`job.cancel()`, `job.retry()`...) and `downloads.queue`, shared with the pages."""

from __future__ import annotations

from django.db.models import Q, Sum
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from downloads import queue
from downloads.models import PRIORITY_NAMES, DownloadJob
from modella.drf import Pagination, paginated
from modella.errors import InvalidInput, NotFound, RemoteNotFound

COMPLETED_SHOWN = 20


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def files_done(job: DownloadJob) -> int:
    """Files of the job verified and in place (a multi-file job finishes them one by one)."""
    if job.status == DownloadJob.Status.COMPLETED:
        return len(job.files)
    return sum(1 for f in job.files if f.get("done"))


def item_data(job: DownloadJob) -> dict:
    """A DownloadQueueItem."""
    return {
        "id": job.pk,
        "repo": job.repo,
        "filename": job.filename,
        "size": job.size,
        "status": job.status,
        "progress": job.progress,
        "bytes_done": job.bytes_done,
        "speed_bps": job.speed_bps,
        "eta_seconds": job.eta_seconds,
        "priority": job.priority_name,
        "attempts": job.attempts,
        "error": job.error_message or None,
        "error_code": job.error_code or None,
        "current_file": job.current_file or job.filename,
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "created_at": _iso(job.created_at),
        # extensions
        "source": job.source,
        "retry_at": _iso(job.retry_at),
        "files": [{"path": f["path"], "size": f.get("size"), "done": bool(f.get("done"))} for f in job.files],
        "files_done": files_done(job),
        "files_total": len(job.files),
    }


class DownloadItemSerializer(serializers.Serializer):
    """Schema of a DownloadQueueItem (the data itself comes from `item_data`)."""

    id = serializers.IntegerField()
    repo = serializers.CharField()
    filename = serializers.CharField()
    size = serializers.IntegerField()
    status = serializers.ChoiceField(choices=DownloadJob.Status.choices)
    progress = serializers.FloatField()
    bytes_done = serializers.IntegerField()
    speed_bps = serializers.IntegerField()
    eta_seconds = serializers.IntegerField(allow_null=True)
    priority = serializers.ChoiceField(choices=list(PRIORITY_NAMES))
    attempts = serializers.IntegerField()
    error = serializers.CharField(allow_null=True)
    error_code = serializers.CharField(allow_null=True)
    current_file = serializers.CharField()
    files_done = serializers.IntegerField(help_text="Files of the job verified and in place.")
    files_total = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class DownloadCreateSerializer(serializers.Serializer):
    repo = serializers.CharField(required=False, max_length=300)
    filename = serializers.CharField(required=False, max_length=500, allow_blank=True)
    url = serializers.CharField(required=False, max_length=2000)
    priority = serializers.ChoiceField(choices=list(PRIORITY_NAMES), default="normal")
    # Every file of the repository (matching include / exclude globs) as one download.
    whole_repository = serializers.BooleanField(default=False)
    include = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=50)
    exclude = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=50)

    def validate(self, attrs):
        if not attrs.get("repo") and not attrs.get("url"):
            raise serializers.ValidationError(_("Give either “repo” (with “filename”) or “url”."))
        if (attrs.get("include") or attrs.get("exclude")) and not attrs.get("whole_repository"):
            raise serializers.ValidationError(_("“include” and “exclude” need “whole_repository”: true."))
        return attrs


class PrioritySerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=list(PRIORITY_NAMES))


def find_variant(repo: str, filename: str | None, url: str | None = None):
    """The catalog variant to download, fetching the repository from its hub when unknown."""
    from catalog.models import ModelRepository

    revision = None
    if url:
        from catalog.resolve import parse

        resolved = parse(url)
        repo, filename, revision = resolved.repo, filename or resolved.filename, resolved.revision
        if resolved.civitai_version_id and not filename:
            from catalog.api import civitai_version_variant

            # The version's primary file, chosen as the resolve endpoint chooses it.
            variant = civitai_version_variant(_repository(repo, revision), resolved.civitai_version_id)
            if variant:
                return variant
    repository = ModelRepository.objects.filter(repo=repo).first() or _repository(repo, revision)
    variants = repository.variants.all()
    if filename:
        variant = variants.filter(filename=filename).first() or next(
            (v for v in variants if any(f.get("path") == filename for f in v.files)), None
        )
    else:
        variant = variants.filter(is_recommended=True).first() or variants.first()
    if variant is None:
        raise RemoteNotFound(
            _("%(repo)s has no file %(file)s.") % {"repo": repo, "file": filename or "?"},
            details={"repo": repo, "filename": filename},
        )
    return variant


def find_repository(repo: str, url: str | None = None):
    """The catalog repository `repo` (or the one `url` names), fetched from its hub when unknown."""
    from catalog.models import ModelRepository

    revision = None
    if url:
        from catalog.resolve import parse

        resolved = parse(url)
        repo, revision = resolved.repo, resolved.revision
    return (None if revision else ModelRepository.objects.filter(repo=repo).first()) or _repository(repo, revision)


def _repository(repo: str, revision: str | None):
    try:
        from catalog.sync import fetch_repository
    except ImportError:  # pragma: no cover - before the catalog sync exists
        raise NotFound(_("%(repo)s is not in the catalog.") % {"repo": repo}) from None
    return fetch_repository(repo, revision) if revision else fetch_repository(repo)


def _job(job_id: int) -> DownloadJob:
    return get_object_or_404(DownloadJob, pk=job_id)


@extend_schema(request=DownloadCreateSerializer, responses={201: DownloadItemSerializer})
@api_view(["POST"])
def downloads_create(request: Request) -> Response:
    data = DownloadCreateSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    if values["whole_repository"]:
        from catalog import whole_repo

        job = whole_repo.enqueue(find_repository(values.get("repo", ""), values.get("url")), values.get("include"),
                                 values.get("exclude"), priority=values["priority"], user=request.user)
        return Response(item_data(job), status=status.HTTP_201_CREATED)
    variant = find_variant(values.get("repo", ""), values.get("filename") or None, values.get("url"))
    job = queue.enqueue(variant, priority=values["priority"], user=request.user)
    return Response(item_data(job), status=status.HTTP_201_CREATED)


@extend_schema(responses={200: inline_serializer("DownloadQueue", {
    "active": DownloadItemSerializer(many=True), "completed": DownloadItemSerializer(many=True)})})
@api_view(["GET"])
def downloads_queue(request: Request) -> Response:
    active = DownloadJob.objects.active().run_order()
    completed = DownloadJob.objects.recent_completed()[:COMPLETED_SHOWN]
    return Response({"active": [item_data(j) for j in active], "completed": [item_data(j) for j in completed]})


@extend_schema(methods=["GET"], responses={200: DownloadItemSerializer})
@extend_schema(methods=["DELETE"], responses={204: None})
@api_view(["GET", "DELETE"])
def downloads_detail(request: Request, job_id: int) -> Response:
    job = _job(job_id)
    if request.method == "DELETE":
        job.cancel()
        return Response(status=status.HTTP_204_NO_CONTENT)
    return Response(item_data(job))


@extend_schema(request=None, responses={202: DownloadItemSerializer})
@api_view(["POST"])
def downloads_retry(request: Request, job_id: int) -> Response:
    job = _job(job_id)
    if job.status not in ("failed", "cancelled", "paused"):
        raise InvalidInput(_("Only a failed, cancelled or paused download can be retried."),
                           details={"status": job.status})
    job.retry()
    return Response(item_data(job), status=status.HTTP_202_ACCEPTED)


@extend_schema(request=None, responses={200: DownloadItemSerializer})
@api_view(["POST"])
def downloads_pause(request: Request, job_id: int) -> Response:
    job = _job(job_id)
    job.pause()
    return Response(item_data(job))


@extend_schema(request=None, responses={202: DownloadItemSerializer})
@api_view(["POST"])
def downloads_resume(request: Request, job_id: int) -> Response:
    job = _job(job_id)
    job.resume()
    return Response(item_data(job), status=status.HTTP_202_ACCEPTED)


@extend_schema(request=PrioritySerializer, responses={200: DownloadItemSerializer})
@api_view(["POST"])
def downloads_priority(request: Request, job_id: int) -> Response:
    job = _job(job_id)
    data = PrioritySerializer(data=request.data)
    data.is_valid(raise_exception=True)
    job.set_priority(data.validated_data["priority"])
    return Response(item_data(job))


@extend_schema(responses={200: paginated(DownloadItemSerializer)})
@api_view(["GET"])
def downloads_history(request: Request) -> Response:
    jobs = DownloadJob.objects.finished().order_by("-finished_at", "-pk")
    wanted = request.query_params.getlist("status")
    if wanted:
        jobs = jobs.filter(status__in=wanted)
    if request.query_params.get("repo"):
        jobs = jobs.filter(repo=request.query_params["repo"])
    paginator = Pagination()
    page = paginator.paginate_queryset(jobs, request)
    return paginator.get_paginated_response([item_data(j) for j in page])


@extend_schema(responses={200: inline_serializer("DownloadStats", {
    "total": serializers.IntegerField(), "completed": serializers.IntegerField(),
    "failed": serializers.IntegerField(), "cancelled": serializers.IntegerField(),
    "success_rate": serializers.FloatField(), "total_bytes": serializers.IntegerField(),
    "average_speed_bps": serializers.IntegerField()})})
@api_view(["GET"])
def downloads_stats(request: Request) -> Response:
    return Response(stats())


def stats() -> dict:
    counts = DownloadJob.objects.status_counts()
    completed, failed = counts.get("completed", 0), counts.get("failed", 0)
    done = DownloadJob.objects.filter(status="completed")
    total_bytes = done.aggregate(n=Sum("size"))["n"] or 0
    # Average speed of completed downloads: their size over the time they ran.
    timed = done.filter(~Q(started_at=None), ~Q(finished_at=None))
    speeds = [j.size / max((j.finished_at - j.started_at).total_seconds(), 0.001) for j in timed.only(
        "size", "started_at", "finished_at")[:1000]]
    return {
        "total": sum(counts.values()),
        "completed": completed,
        "failed": failed,
        "cancelled": counts.get("cancelled", 0),
        "success_rate": round(completed / (completed + failed), 4) if completed + failed else 0.0,
        "total_bytes": total_bytes,
        "average_speed_bps": int(sum(speeds) / len(speeds)) if speeds else 0,
    }

