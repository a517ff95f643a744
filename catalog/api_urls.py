from django.urls import path, re_path

from catalog import api, civitai_api, featured_api

# `{repo}` is "owner/name" (Hugging Face), "datasets/owner/name" (a Hugging Face dataset) or
# "civitai:<id>".
REPO = r"(?P<repo>datasets/[^/]+/[^/]+|[^/]+/[^/]+|civitai:\d+)"

urlpatterns = [
    path("modelfiles", api.modelfiles, name="modelfiles"),
    path("modelfiles/resolve", api.modelfiles_resolve, name="modelfiles_resolve"),
    re_path(rf"^modelfiles/{REPO}/metadata$", api.modelfile_metadata, name="modelfile_metadata"),
    re_path(rf"^modelfiles/{REPO}/whole-repository$", api.modelfile_whole_repository,
            name="modelfile_whole_repository"),
    re_path(rf"^modelfiles/{REPO}/check-updates$", api.modelfile_check_updates, name="modelfile_check_updates"),
    re_path(rf"^modelfiles/{REPO}/files/(?P<filename>.+)/update$", api.modelfile_update, name="modelfile_update"),
    re_path(rf"^modelfiles/{REPO}/files/(?P<filename>.+)$", api.modelfile_delete, name="modelfile_delete"),
    path("featured-models", featured_api.featured_models, name="featured_models"),
    path("hub/huggingface/search", api.hub_huggingface_search, name="hub_huggingface_search"),
    path("hub/civitai/models", civitai_api.models, name="hub_civitai_models"),
    path("hub/civitai/models/<int:model_id>", civitai_api.model, name="hub_civitai_model"),
]
