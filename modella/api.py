"""Site-wide API endpoints."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from downloads.models import DownloadJob
from modella import health


@extend_schema(responses={200: dict})
@api_view(["GET"])
def status_view(request: Request) -> Response:
    counts = DownloadJob.objects.status_counts()
    return Response(
        {
            "version": settings.VERSION,
            "worker": health.worker_status(),
            "queue": {
                "downloading": counts.get("downloading", 0),
                "queued": counts.get("queued", 0),
                "failed": counts.get("failed", 0),
            },
            "hubs": health.hub_status(),
        }
    )
