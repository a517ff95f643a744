"""Site-wide API endpoints."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from downloads.models import DownloadJob
from modella import hardware, health


class WorkerStatusSerializer(serializers.Serializer):
    alive = serializers.BooleanField()
    last_heartbeat = serializers.DateTimeField(allow_null=True)


class QueueCountsSerializer(serializers.Serializer):
    downloading = serializers.IntegerField()
    queued = serializers.IntegerField()
    failed = serializers.IntegerField()


class HubStatusSerializer(serializers.Serializer):
    reachable = serializers.BooleanField()
    since = serializers.DateTimeField(allow_null=True)
    retry_at = serializers.DateTimeField(allow_null=True)


class HubsSerializer(serializers.Serializer):
    huggingface = HubStatusSerializer()
    civitai = HubStatusSerializer()


class StatusSerializer(serializers.Serializer):
    version = serializers.CharField()
    worker = WorkerStatusSerializer()
    queue = QueueCountsSerializer()
    hubs = HubsSerializer()
    memory = serializers.DictField(help_text="This machine's RAM and GPUs as the fit estimate sees them "
                                             "(modella.hardware): ram {total_bytes, available_bytes, source}, "
                                             "gpus [{name, total_bytes, used_bytes}], gpu_total_bytes, gpu_source")


@extend_schema(responses={200: StatusSerializer})
@api_view(["GET"])
def status_view(request: Request) -> Response:
    counts = DownloadJob.objects.status_counts()
    return Response(
        {
            "version": settings.VERSION,
            "worker": health.worker_status(),
            "queue": {
                "downloading": counts.get("downloading", 0) + counts.get("verifying", 0),
                "queued": counts.get("queued", 0),
                "failed": counts.get("failed", 0),
            },
            "hubs": health.hub_status(),
            "memory": hardware.machine().as_dict(),
        }
    )
