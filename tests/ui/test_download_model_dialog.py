"""The Download model dialog: look up, preview, recommended choice, storage impact, queue or refuse."""

import pytest
from django.urls import reverse

from catalog.models import ModelVariant
from downloads.models import DownloadJob
from storage import disk

pytestmark = pytest.mark.django_db
TINY = "acme/tiny-llama-gguf"


def test_an_empty_dialog_asks_for_a_repository(logged_in_client):
    response = logged_in_client.get(reverse("add_model"))
    assert response.status_code == 200
    assert "Repository or link" in response.content.decode()


def test_a_valid_repo_shows_a_preview_with_the_recommended_file_selected(logged_in_client, hub):
    response = logged_in_client.get(reverse("add_model"), {"input": TINY})
    body = response.content.decode()
    assert response.status_code == 200
    assert TINY in body and "tiny-q4_k_m.gguf" in body
    chosen = response.context["chosen"]
    assert chosen.is_recommended and chosen.filename == "tiny-q4_k_m.gguf"
    assert f'value="{chosen.pk}" checked' in body
    assert "best quality under 5 bits per weight" in body
    assert "left after" in body


def test_a_hub_url_works_as_well_as_a_repo_name(logged_in_client, hub):
    response = logged_in_client.get(reverse("add_model"), {"input": f"https://huggingface.co/{TINY}"})
    assert response.context["repository"].repo == TINY


def test_invalid_input_gets_an_error_naming_the_accepted_forms(logged_in_client, hub):
    response = logged_in_client.get(reverse("add_model"), {"input": "not a repo at all"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in body and "owner/name" in body
    assert 'aria-invalid="true"' in body


def test_an_unknown_repository_is_reported_not_a_crash(logged_in_client, hub):
    response = logged_in_client.get(reverse("add_model"), {"input": "nobody/does-not-exist"})
    assert response.status_code == 200
    assert 'id="add-input-error"' in response.content.decode()


def test_typing_refreshes_only_the_result(logged_in_client, hub):
    response = logged_in_client.get(reverse("add_model"), {"input": "x"}, headers={"HX-Request": "true", "HX-Target": "add-result"})
    assert response.content.decode().lstrip().startswith('<div id="add-result"')


def test_download_selected_queues_the_file(logged_in_client, hub, user):
    logged_in_client.get(reverse("add_model"), {"input": TINY})
    variant = ModelVariant.objects.get(repository__repo=TINY, filename="tiny-q4_k_m.gguf")
    response = logged_in_client.post(reverse("add_model"), {"input": TINY, "variant": variant.pk, "priority": "high"})
    assert response.status_code == 302
    job = DownloadJob.objects.get(filename="tiny-q4_k_m.gguf")
    assert job.priority == DownloadJob.Priority.HIGH and job.user == user


def test_with_htmx_the_dialog_closes_and_the_notice_is_announced(logged_in_client, hub):
    logged_in_client.get(reverse("add_model"), {"input": TINY})
    variant = ModelVariant.objects.get(repository__repo=TINY, filename="tiny-q4_k_m.gguf")
    response = logged_in_client.post(reverse("add_model"), {"input": TINY, "variant": variant.pk, "priority": "normal"},
                                     headers={"HX-Request": "true", "HX-Target": "add-result"})
    assert "modella:close-dialog" in response["HX-Trigger"]
    assert response["HX-Retarget"] == "#notices"
    assert "added to the download queue" in response.content.decode()


def test_a_file_that_does_not_fit_is_refused_with_the_numbers(logged_in_client, hub, monkeypatch):
    logged_in_client.get(reverse("add_model"), {"input": TINY})
    variant = ModelVariant.objects.get(repository__repo=TINY, filename="tiny-f16.gguf")
    monkeypatch.setattr(disk, "free_bytes", lambda: 1000)
    page = logged_in_client.get(reverse("add_model"), {"input": TINY}).content.decode()
    assert "Will not fit" in page
    response = logged_in_client.post(reverse("add_model"), {"input": TINY, "variant": variant.pk, "priority": "normal"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "This file needs" in body and "can be used" in body
    assert not DownloadJob.objects.exists()


def test_posting_without_a_choice_asks_for_one(logged_in_client, hub):
    response = logged_in_client.post(reverse("add_model"), {"input": TINY, "priority": "normal"})
    assert "Choose a file to download." in response.content.decode()
