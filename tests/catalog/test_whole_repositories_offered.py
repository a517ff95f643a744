"""The "Whole repository" choice: offered in the model details for multi-file layouts and datasets,
previewed (file count and size) with include/exclude patterns, and queued from the page."""

import json

import pytest
from django.urls import reverse

from catalog.models import ModelVariant
from catalog.sync import fetch_repository
from catalog.whole_repo import FILENAME, matches, parse_patterns
from downloads.models import DownloadJob
from modella.errors import InvalidInput

REPO = "acme/tiny-transformer"


def _add_transformers_repo(hub):
    return hub.add_hf_repo(REPO, files={
        "config.json": json.dumps({"architectures": ["LlamaForCausalLM"], "model_type": "llama"}),
        "tokenizer.json": json.dumps({"version": "1.0"}),
        "model-00001-of-00002.safetensors": hub.generated(50_000, seed=1),
        "model-00002-of-00002.safetensors": hub.generated(40_000, seed=2),
        "pytorch_model.bin": hub.generated(90_000, seed=3),
    }, library_name="transformers", pipeline_tag="text-generation")


@pytest.mark.parametrize("path, include, exclude, wanted", [
    ("unet/model.safetensors", ["*.safetensors"], [], True),  # `*` crosses folders, like fnmatch in hfh
    ("unet/model.safetensors", ["unet/"], [], True),  # a folder pattern
    ("vae/model.safetensors", ["unet/"], [], False),
    ("model.bin", [], ["*.bin"], False),
    ("config.json", [], [], True),
    ("config.json", ["*.json"], ["config.json"], False),
])
def test_patterns_match_like_allow_and_ignore_patterns(path, include, exclude, wanted):
    assert matches(path, include, exclude) is wanted


def test_pattern_fields_accept_lines_and_commas_and_refuse_other_types():
    assert parse_patterns("*.json, *.safetensors\nunet/\n\n", "include") == ["*.json", "*.safetensors", "unet/"]
    assert parse_patterns(["*.bin", " *.bin "], "exclude") == ["*.bin"]
    with pytest.raises(InvalidInput):
        parse_patterns({"a": 1}, "include")
    with pytest.raises(InvalidInput):
        parse_patterns(["x"] * 51, "include")


def test_the_api_previews_count_and_size(api_client, hub):
    repo = _add_transformers_repo(hub)
    url = f"/api/v1/modelfiles/{REPO}/whole-repository"
    everything = api_client.get(url).json()
    assert everything["files_total"] == len(repo.head.files)
    assert everything["size"] == sum(e.size for e in repo.head.files.values())
    assert everything["revision"] == repo.head.sha
    chosen = api_client.get(url, {"include": ["*.safetensors", "*.json"], "exclude": ["tokenizer.json"]}).json()
    assert [f["path"] for f in chosen["files"]] == [
        "config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    assert chosen["size"] == 90_000 + repo.head.files["config.json"].size


def test_the_details_dialog_offers_it_for_a_transformers_layout(logged_in_client, hub):
    _add_transformers_repo(hub)
    fetch_repository(REPO)
    page = logged_in_client.get(reverse("model_details", args=[REPO])).content.decode()
    assert 'id="whole-include"' in page and 'id="whole-exclude"' in page
    assert "Download whole repository" in page
    assert reverse("catalog:whole_repository", args=[REPO]) in page


def test_a_single_file_repository_is_not_offered_it(logged_in_client, hub):
    hub.add_hf_repo("acme/one-gguf", files={"one.Q4_K_M.gguf": hub.generated(5000, seed=4)})
    fetch_repository("acme/one-gguf")
    page = logged_in_client.get(reverse("model_details", args=["acme/one-gguf"])).content.decode()
    assert 'id="whole-include"' not in page


def test_the_preview_page_works_without_javascript_and_as_a_fragment(logged_in_client, hub):
    _add_transformers_repo(hub)
    fetch_repository(REPO)
    url = reverse("catalog:whole_repository", args=[REPO])
    page = logged_in_client.get(url, {"include": "*.safetensors"}).content.decode()
    assert "2 files" in page and "model-00002-of-00002.safetensors" in page and "pytorch_model.bin" not in page
    assert '<h2 id="whole-title">' in page  # under the page's h1 (the details dialog's copy is an h3 under its h2)
    fragment = logged_in_client.get(url, {"include": "*.gguf"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "No file matches these patterns." in fragment
    refused = logged_in_client.get(url, {"include": "x" * 201}, HTTP_HX_REQUEST="true").content.decode()
    assert 'role="alert"' in refused and "at most 200 characters" in refused


@pytest.mark.django_db(transaction=True)
def test_the_page_form_queues_the_whole_repository(logged_in_client, hub, settings):
    settings.STORAGE_RESERVE_BYTES = 0
    _add_transformers_repo(hub)
    fetch_repository(REPO)
    response = logged_in_client.post(reverse("catalog:whole_repository", args=[REPO]),
                                     {"include": "*.json\n*.safetensors", "exclude": "", "next": "/"})
    assert response.status_code == 302
    job = DownloadJob.objects.get(repo=REPO, filename=FILENAME)
    assert len(job.files) == 4 and all(f["local"] == f["path"] for f in job.files)
    variant = ModelVariant.objects.get(repository__repo=REPO, filename=FILENAME)
    assert variant.selection == {"include": ["*.json", "*.safetensors"], "exclude": []}
    # A refetch keeps the unit (it is not a file the hub lost).
    fetch_repository(REPO)
    assert ModelVariant.objects.filter(pk=variant.pk, role="repository").exists()


def test_previewing_without_javascript_posts_and_queues_nothing(logged_in_client, hub):
    """Preview is a POST of the form (a GET would carry the CSRF token into the URL and the logs)."""
    _add_transformers_repo(hub)
    fetch_repository(REPO)
    url = reverse("catalog:whole_repository", args=[REPO])
    form = logged_in_client.get(url).content.decode()
    assert 'formmethod="get"' not in form and 'name="action" value="preview"' in form
    page = logged_in_client.post(url, {"include": "*.safetensors", "exclude": "", "action": "preview"})
    assert page.status_code == 200 and "2 files" in page.content.decode()
    assert not DownloadJob.objects.exists()
