"""The catalog's REST endpoints (API.md "Model files" and "Browsing the hubs").

Views translate HTTP in and out; the work is in catalog.sync, catalog.sources, the models and
their querysets. Responses are built by small functions rather than DRF serializers: a page of
50 repositories carries ~400 variants, and plain dicts keep it well inside the latency budget.
The serializers below exist to document the responses in the OpenAPI schema.
"""

from __future__ import annotations

from django.db.models import Max, Prefetch, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import quant, resolve, sync
from catalog.models import (
    SIZE_BUCKETS,
    VARIANT_STATUSES,
    ModelRepository,
    ModelVariant,
    RepoType,
    variant_filter,
)
from catalog.sources import huggingface
from downloads.models import DownloadJob
from modella.drf import Pagination
from modella.errors import InvalidInput, NotFound, RemoteNotFound

SORTS = {
    "repo": [Lower("repo").asc(), "pk"],
    "-repo": [Lower("repo").desc(), "-pk"],
    "likes": ["likes", "pk"],
    "-likes": ["-likes", "pk"],
    "size": ["max_size", "pk"],
    "-size": ["-max_size", "pk"],
    "updated": ["remote_last_modified", "pk"],
    "-updated": ["-remote_last_modified", "-pk"],
}


# --- Response shapes -------------------------------------------------------------------------------
def _progress(job) -> float:
    if not job or not job.size:
        return 0.0
    return round(min(100.0, job.bytes_done * 100 / job.size), 1)


def variant_data(variant: ModelVariant) -> dict:
    status, job = variant.status_and_job()
    bits = variant.quant_bits
    kind = quant.QUANTS.get(variant.quant_method, (0, ""))[1]
    data = {
        "id": variant.pk,
        "filename": variant.filename,
        "size": variant.size,
        "sha256": variant.sha256,
        "status": status,
        "download_id": job.pk if job else None,
        "role": variant.role,
        "is_recommended": variant.is_recommended,
        "files": [{"path": f.get("path"), "size": f.get("size"), "sha256": f.get("sha256")} for f in variant.files],
        "update_available": variant.update_available,
        "update_details": variant.update_details if variant.update_available else None,
        "projectors": variant.update_details.get("projectors", []),
        "metadata": {
            "architecture": variant.architecture or None,
            "parameters": variant.parameters,
            "context_length": variant.context_length,
            "format": variant.format,
            "model_type": variant.model_type or None,
            "base_model": variant.base_model or None,
            "quantization": {"bits": quant.Quant(variant.quant_method, bits, kind).nominal_bits if bits else None,
                             "bits_per_weight": bits, "method": variant.quant_method or None},
            "performance_metrics": quant.ratings(bits, kind),
        },
        "fit": variant.fit.as_dict(),
    }
    if status in ("queued", "downloading", "failed"):
        data["progress"] = _progress(job)
    return data


def repository_data(repository: ModelRepository, variants=None) -> dict:
    variants = list(repository.variants.all()) if variants is None else variants
    recommended = next((v.filename for v in variants if v.is_recommended), None)
    return {
        "repo": repository.repo,
        "source": repository.source,
        "repo_type": repository.repo_type,
        "metadata": {
            "likes": repository.likes,
            "stars": repository.likes,
            "downloads": repository.downloads,
            "license": repository.license or None,
            "tags": repository.tags,
            "description": repository.description,
            "family": repository.family or None,
            "model_type": repository.model_type or None,
            "base_model": repository.base_model or None,
            "links": repository.links or {"huggingface": repository.hub_url, "homepage": None, "paper": None},
            "gated": repository.gated or False,
            "private": repository.private,
            "access": repository.access,
            "access_help": repository.access_help() or None,
            "last_modified": repository.remote_last_modified.isoformat().replace("+00:00", "Z")
            if repository.remote_last_modified else None,
            "revision": repository.remote_revision or None,
            "recommended_filename": recommended,
        },
        "variants": [variant_data(v) for v in variants],
    }


def _variant_fields() -> dict:
    return {
        "id": serializers.IntegerField(), "filename": serializers.CharField(), "size": serializers.IntegerField(),
        "sha256": serializers.CharField(), "status": serializers.ChoiceField(VARIANT_STATUSES),
        "progress": serializers.FloatField(required=False),
        "download_id": serializers.IntegerField(allow_null=True), "role": serializers.CharField(),
        "is_recommended": serializers.BooleanField(), "files": serializers.ListField(child=serializers.DictField()),
        "update_available": serializers.BooleanField(), "metadata": serializers.DictField(),
        "fit": serializers.DictField(help_text="Will it fit: verdict gpu|ram|too_large|unknown, needed_bytes, "
                                               "weights_bytes, kv_cache_bytes, overhead_bytes, context, gpu_bytes, "
                                               "ram_bytes, reason"),
    }


# Built once: drf-spectacular names components by class, and two classes named "ModelRepository"
# would clash in the schema.
_REPOSITORY_SCHEMA = type(inline_serializer("ModelRepository", {
    "repo": serializers.CharField(), "source": serializers.CharField(),
    "repo_type": serializers.ChoiceField(choices=RepoType.values), "metadata": serializers.DictField(),
    "variants": inline_serializer("ModelVariant", _variant_fields(), many=True),
    "selected_filename": serializers.CharField(required=False),
}))


def _repository_schema(**kwargs):
    return _REPOSITORY_SCHEMA(**kwargs)


ModelFilesPageSchema = inline_serializer("ModelFilesPage", {
    "storage": inline_serializer("CatalogStorage", {
        "total_bytes": serializers.IntegerField(), "used_bytes": serializers.IntegerField(),
        "available_bytes": serializers.IntegerField(), "model_count": serializers.IntegerField(),
    }),
    "count": serializers.IntegerField(), "next": serializers.URLField(allow_null=True),
    "previous": serializers.URLField(allow_null=True), "repositories": _repository_schema(many=True),
})


def storage_block() -> dict:
    """The disk's numbers and how many model files Modella knows (see API.md "Storage").

    Counted with two indexed queries rather than storage.disk.usage(), which reads every
    downloaded file's size: this block rides on every catalog page."""
    from storage.models import LocalFile
    from storage.usage import disk_numbers

    total, used, available = disk_numbers()
    imported = LocalFile.objects.model_files().filter(variant__isnull=True).count()
    return {"total_bytes": total, "used_bytes": used, "available_bytes": available,
            "model_count": ModelVariant.objects.downloaded().count() + imported}


# --- Model files -----------------------------------------------------------------------------------
def _multi(request: Request, name: str, allowed=None) -> list[str]:
    values = [v.strip() for raw in request.query_params.getlist(name) for v in raw.split(",") if v.strip()]
    if allowed is not None:
        wrong = [v for v in values if v not in allowed]
        if wrong:
            raise InvalidInput(
                _("Unknown %(name)s: %(values)s. Use one of: %(allowed)s.")
                % {"name": name, "values": ", ".join(wrong), "allowed": ", ".join(allowed)},
                details={name: wrong},
            )
    return values


def catalog_queryset(request: Request):
    """The repositories and variants `GET /modelfiles` shows for the request's filters."""
    sizes = _multi(request, "size", list(SIZE_BUCKETS))
    statuses = _multi(request, "status", list(VARIANT_STATUSES))
    sort = request.query_params.get("sort") or "repo"
    if sort not in SORTS:
        raise InvalidInput(_("Unknown sort %(sort)s. Use one of: %(allowed)s.")
                           % {"sort": sort, "allowed": ", ".join(SORTS)}, details={"sort": sort})
    repositories = ModelRepository.objects.all()
    for field, param in (("family", "family"), ("source", "source"), ("model_type", "type"),
                         ("base_model", "base_model")):
        values = _multi(request, param)
        if values:
            q = Q()
            for value in values:
                q |= Q(**{f"{field}__iexact": value})
            repositories = repositories.filter(q)
    repo_types = _multi(request, "repo_type", RepoType.values)
    if repo_types:
        repositories = repositories.filter(repo_type__in=repo_types)
    search = request.query_params.get("search", "").strip()
    if search:
        repositories = repositories.search(search)
    variants = ModelVariant.objects.order_by("role", "size", "filename")
    if sizes or statuses:
        condition = variant_filter(sizes, statuses)
        repositories = repositories.filter(pk__in=ModelVariant.objects.filter(condition).values("repository_id"))
        variants = variants.filter(condition)
    if sort in ("size", "-size"):
        repositories = repositories.annotate(max_size=Max("variants__size"))
    # Three queries for any page: repositories, their variants, the variants' live downloads.
    jobs = DownloadJob.objects.active().order_by("-created_at")
    variants = variants.prefetch_related(Prefetch("download_jobs", queryset=jobs, to_attr="active_jobs"))
    return repositories.order_by(*SORTS[sort]).prefetch_related(Prefetch("variants", queryset=variants))


@extend_schema(
    parameters=[
        OpenApiParameter("search", str), OpenApiParameter("family", str, many=True),
        OpenApiParameter("size", str, many=True, enum=list(SIZE_BUCKETS)),
        OpenApiParameter("status", str, many=True, enum=list(VARIANT_STATUSES)),
        OpenApiParameter("source", str), OpenApiParameter("type", str), OpenApiParameter("base_model", str),
        OpenApiParameter("repo_type", str, many=True, enum=RepoType.values),
        OpenApiParameter("sort", str, enum=list(SORTS)), OpenApiParameter("page", int),
        OpenApiParameter("page_size", int),
    ],
    responses={200: ModelFilesPageSchema},
)
@api_view(["GET"])
def modelfiles(request: Request) -> Response:
    paginator = Pagination()
    page = paginator.paginate_queryset(catalog_queryset(request), request)
    return Response({
        "storage": storage_block(),
        "count": paginator.page.paginator.count,
        "next": paginator.get_next_link(),
        "previous": paginator.get_previous_link(),
        "repositories": [repository_data(r) for r in page],
    })


def _load_or_fetch(repo: str) -> ModelRepository:
    repository = ModelRepository.objects.filter(repo=repo).first()
    if repository is not None:
        return repository
    try:
        return sync.fetch_repository(repo)
    except (RemoteNotFound, InvalidInput) as exc:
        raise NotFound(_("No model repository %(repo)s, here or on the hub.") % {"repo": repo}) from exc


@extend_schema(
    parameters=[OpenApiParameter("filename", str)],
    responses={200: inline_serializer("ModelFileMetadata", {
        "repo": serializers.CharField(), "model_family": serializers.CharField(allow_null=True),
        "architecture": serializers.CharField(allow_null=True), "parameters": serializers.IntegerField(allow_null=True),
        "quantization": serializers.DictField(), "license": serializers.CharField(allow_null=True),
        "tags": serializers.ListField(child=serializers.CharField()),
        "performance_metrics": serializers.DictField(),
    })},
)
@api_view(["GET"])
def modelfile_metadata(request: Request, repo: str) -> Response:
    repository = _load_or_fetch(repo)
    filename = request.query_params.get("filename")
    variants = list(repository.variants.all())
    if filename:
        variant = repository.get_variant(filename)
    else:
        variant = next((v for v in variants if v.is_recommended), None) or next(iter(variants), None)
    kind = quant.QUANTS.get(variant.quant_method, (0, ""))[1] if variant else ""
    ratings = quant.ratings(variant.quant_bits, kind) if variant else None
    bits = variant.quant_bits if variant else None
    return Response({
        "repo": repository.repo,
        "filename": variant.filename if variant else None,
        "model_family": repository.family or None,
        "architecture": (variant.architecture if variant else "") or None,
        "parameters": variant.parameters if variant else None,
        "quantization": {
            "bits": quant.Quant(variant.quant_method, bits, kind).nominal_bits if bits else None,
            "bits_per_weight": bits,
            "method": (variant.quant_method if variant else "") or None,
        },
        "license": repository.license or None,
        "tags": repository.tags,
        "performance_metrics": {
            "speed_rating": ratings["speed"] if ratings else None,
            "memory_rating": ratings["memory"] if ratings else None,
            "quality_rating": ratings["quality"] if ratings else None,
        },
    })


@extend_schema(
    request=inline_serializer("ResolveInput", {"input": serializers.CharField()}),
    responses={200: _repository_schema()},
)
@api_view(["POST"])
def modelfiles_resolve(request: Request) -> Response:
    text = request.data.get("input") if hasattr(request.data, "get") else None
    resolved = resolve.parse(text)
    repository = sync.fetch_repository(resolved.repo, resolved.revision)
    data = repository_data(repository)
    if resolved.filename:
        data["selected_filename"] = repository.get_variant(resolved.filename).filename
    elif resolved.civitai_version_id:
        chosen = civitai_version_variant(repository, resolved.civitai_version_id)
        if chosen is not None:
            data["selected_filename"] = chosen.filename
    return Response(data)


def civitai_version_variant(repository: ModelRepository, version_id: int) -> ModelVariant | None:
    """`…?modelVersionId=`: that version's primary file (else its first), or None if unknown.

    Shared by the resolve endpoint and `POST /api/v1/downloads {"url": …}`."""
    files = [v for v in repository.variants.all() if v.civitai_version_id == version_id]
    return next((v for v in files if v.files and v.files[0].get("primary")), files[0] if files else None)


def _repository_or_404(repo: str) -> ModelRepository:
    repository = ModelRepository.objects.filter(repo=repo).first()
    if repository is None:
        raise NotFound(_("%(repo)s is not in the catalog.") % {"repo": repo})
    return repository


@extend_schema(responses={204: None})
@api_view(["DELETE"])
def modelfile_delete(request: Request, repo: str, filename: str) -> Response:
    _repository_or_404(repo).get_variant(filename).remove_local_files()
    return Response(status=204)


@extend_schema(request=None, responses={202: dict})
@api_view(["POST"])
def modelfile_update(request: Request, repo: str, filename: str) -> Response:
    """Download the newer remote version of a downloaded file (see ModelVariant.start_update)."""
    from downloads.api import item_data

    job = _repository_or_404(repo).get_variant(filename).start_update(user=request.user)
    return Response(item_data(job), status=202)


@extend_schema(request=None, responses={200: _repository_schema()})
@api_view(["POST"])
def modelfile_check_updates(request: Request, repo: str) -> Response:
    """Fetch the repository again now; changed downloaded files come back with `update_available`."""
    _repository_or_404(repo)
    return Response(repository_data(sync.fetch_repository(repo)))


# --- Browsing the hub ------------------------------------------------------------------------------
@extend_schema(
    parameters=[OpenApiParameter("q", str), OpenApiParameter("author", str),
                OpenApiParameter("sort", str, enum=list(huggingface.SEARCH_SORTS)),
                OpenApiParameter("limit", int), OpenApiParameter("cursor", str)],
    responses={200: inline_serializer("HubSearchPage", {
        "results": serializers.ListField(child=serializers.DictField()),
        "next": serializers.CharField(allow_null=True),
    })},
)
@api_view(["GET"])
def hub_huggingface_search(request: Request) -> Response:
    params = request.query_params
    try:
        limit = int(params.get("limit") or 20)
    except ValueError:
        raise InvalidInput(_("limit must be a number.")) from None
    page = huggingface.search(q=params.get("q", "").strip(), author=params.get("author", "").strip(),
                              sort=params.get("sort", ""), limit=limit, cursor=params.get("cursor", ""))
    known = set(ModelRepository.objects.filter(repo__in=[r["repo"] for r in page["results"]])
                .values_list("repo", flat=True))
    results = [{**item, "in_catalog": item["repo"] in known} for item in page["results"]]
    return Response({"results": results, "next": page["next"]})



@extend_schema(
    parameters=[OpenApiParameter("include", str, many=True), OpenApiParameter("exclude", str, many=True)],
    responses={200: inline_serializer("WholeRepositoryPreview", {
        "repo": serializers.CharField(), "revision": serializers.CharField(allow_null=True),
        "include": serializers.ListField(child=serializers.CharField()),
        "exclude": serializers.ListField(child=serializers.CharField()),
        "files_total": serializers.IntegerField(), "size": serializers.IntegerField(),
        "files": serializers.ListField(child=serializers.DictField()),
    })},
)
@api_view(["GET"])
def modelfile_whole_repository(request: Request, repo: str) -> Response:
    """What `POST /downloads {"whole_repository": true, ...}` would fetch: file count, size, first paths."""
    from catalog import whole_repo

    repository = _load_or_fetch(repo)
    include = whole_repo.parse_patterns(request.query_params.getlist("include"), "include")
    exclude = whole_repo.parse_patterns(request.query_params.getlist("exclude"), "exclude")
    return Response(whole_repo.preview(repository, include, exclude))
