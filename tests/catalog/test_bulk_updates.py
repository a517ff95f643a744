""""Update all selected": the list of updates, the run summary (queued, skipped and why, and what
changed once the downloads finish), through the API and the no-JavaScript page."""

import pytest

from catalog import civitai_store
from catalog import updates as catalog_updates
from catalog.models import ModelVariant
from catalog.sync import fetch_repository
from downloads import queue
from downloads.models import DownloadJob, UpdateRun
from tests.catalog.helpers import QUANTS, add_quant_repo, gguf
from tests.catalog.test_bulk_updates_civitai import MODEL_ID, V1, V3_EARLY, publish

# The engine's monitor thread reads the job on its own connection: it must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

FILE = "chat-7b.Q4_K_M.gguf"


def run(job_id: int) -> DownloadJob:
    queue.run(job_id)
    return DownloadJob.objects.get(pk=job_id)


@pytest.fixture
def hf_update(hub):
    """A downloaded Hugging Face file with a new commit on the Hub."""
    add_quant_repo(hub, quants=("Q4_K_M",))
    variant = fetch_repository(QUANTS).variants.get(filename=FILE)
    assert run(queue.enqueue(variant).pk).status == "completed"
    variant.refresh_from_db()
    hub.replace_hf_file(QUANTS, FILE, gguf("Q4_K_M", params=9e9) + b"\0" * 512)
    return variant


@pytest.fixture
def early_update(hub):
    """A downloaded Civitai LoRA whose only newer version is in Early Access."""
    publish(hub, V1)
    assert run(civitai_store.queue_file(MODEL_ID, 790001).pk).status == "completed"
    publish(hub, V3_EARLY, V1)
    return ModelVariant.objects.get(civitai_file_id=790001)


@pytest.fixture
def both(hf_update, early_update):
    assert catalog_updates.check_all() == 2
    hf_update.refresh_from_db()
    early_update.refresh_from_db()
    return hf_update, early_update


def test_the_api_lists_every_update_with_old_and_new(api_client, both):
    hf, early = both
    data = api_client.get("/api/v1/updates").json()

    assert data["count"] == 2
    rows = {row["variant"]: row for row in data["results"]}
    commit = rows[hf.pk]
    assert commit["kind"] == "commit" and commit["repo"] == QUANTS and commit["filename"] == FILE
    assert commit["old"]["revision"] == hf.downloaded_revision
    assert commit["new"]["revision"] == hf.update_details["new"]["revision"] != commit["old"]["revision"]
    assert commit["size_change"] == hf.update_details["new"]["size"] - hf.size
    assert commit["early_access"] is False and commit["download"] is None
    version = rows[early.pk]
    assert version["kind"] == "version" and version["source"] == "civitai"
    assert version["early_access"] is True and version["early_access_until"].startswith("2099-01-01")
    assert version["new"]["version_name"] == "v3.0" and version["old"]["version_name"] == "v1.0"


def test_applying_says_what_was_queued_and_what_was_skipped_and_why(api_client, both):
    hf, early = both
    response = api_client.post("/api/v1/updates/apply", {"variants": [hf.pk, early.pk, 999999], "policy": "archive"},
                               format="json")

    assert response.status_code == 202
    summary = response.json()
    assert summary["policy"] == "archive" and summary["finished"] is False
    assert [i["variant"] for i in summary["queued"]] == [hf.pk]
    assert summary["queued"][0]["download"]["status"] == "queued"
    skipped = {i["variant"]: i for i in summary["skipped"]}
    assert skipped[early.pk]["reason"] == "early_access" and "2099-01-01" in skipped[early.pk]["message"]
    assert skipped[None]["reason"] == "not_found"

    again = api_client.post("/api/v1/updates/apply", {"variants": [hf.pk], "policy": "replace"}, format="json").json()
    assert again["skipped"][0]["reason"] == "already_queued"
    listed = {row["variant"]: row for row in api_client.get("/api/v1/updates").json()["results"]}
    assert listed[hf.pk]["download"]["id"] == summary["queued"][0]["download"]["id"]


def test_the_summary_says_what_changed_once_the_download_finished(api_client, both, models_dir):
    hf, _early = both
    old_commit = hf.downloaded_revision[:7]
    summary = api_client.post("/api/v1/updates/apply", {"variants": [hf.pk], "policy": "keep"}, format="json").json()
    assert run(summary["queued"][0]["download"]["id"]).status == "completed"

    done = api_client.get(f"/api/v1/updates/runs/{summary['id']}").json()
    assert done["finished"] is True
    item = done["queued"][0]
    assert item["download"]["status"] == "completed"
    kept = f"huggingface/{QUANTS}/chat-7b.Q4_K_M.{old_commit}.gguf"
    assert item["result"] == {"policy": "keep", "files": [
        {"path": f"huggingface/{QUANTS}/{FILE}", "action": "moved", "to": kept}]}
    assert hf.pk not in [row["variant"] for row in api_client.get("/api/v1/updates").json()["results"]]


def test_an_update_that_does_not_fit_is_skipped_and_stays_available(api_client, both, settings):
    hf, _early = both
    settings.STORAGE_RESERVE_BYTES = 10**18
    summary = api_client.post("/api/v1/updates/apply", {"variants": [hf.pk]}, format="json").json()

    assert summary["policy"] == "replace"
    assert summary["skipped"][0]["reason"] == "insufficient_storage"
    assert summary["skipped"][0]["message"]
    before = hf.sha256
    hf.refresh_from_db()
    assert hf.sha256 == before and hf.update_available is True  # the refusal changed nothing


def test_a_file_without_an_update_is_skipped(api_client, hub):
    add_quant_repo(hub, quants=("Q4_K_M",))
    variant = fetch_repository(QUANTS).variants.get(filename=FILE)
    assert run(queue.enqueue(variant).pk).status == "completed"
    summary = api_client.post("/api/v1/updates/apply", {"variants": [variant.pk]}, format="json").json()
    assert summary["skipped"][0]["reason"] == "no_update"


@pytest.mark.parametrize("body", [{"variants": [1], "policy": "shred"}, {"variants": [], "policy": "keep"},
                                  {"variants": ["one"]}, {"policy": "keep"}, {"variants": [2**70]}])
def test_bad_input_is_invalid_input(api_client, db, body):
    response = api_client.post("/api/v1/updates/apply", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert not UpdateRun.objects.exists()


@pytest.mark.django_db(transaction=False)  # the task is handed out on commit: see it captured
def test_check_now_is_handed_to_a_worker(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post("/api/v1/updates/check")
    assert response.status_code == 202 and response.json() == {"queued": True}
    assert len(callbacks) == 1


# --- the page, without JavaScript ------------------------------------------------------------------
def test_the_page_lists_updates_with_checkboxes_and_a_policy_choice(logged_in_client, both):
    hf, early = both
    page = logged_in_client.get("/downloads/updates/").content.decode()

    assert f'name="variant" value="{hf.pk}"' in page and f'name="variant" value="{early.pk}"' in page
    for policy in ("replace", "keep", "archive"):
        assert f'name="policy" value="{policy}"' in page
    assert "Early Access until 2099-01-01" in page
    assert f"New commit {hf.update_details['new']['revision'][:7]}" in page
    assert 'href="/downloads/updates/"' in logged_in_client.get("/downloads/").content.decode()  # in the nav


def test_the_form_queues_the_selection_and_shows_the_summary(logged_in_client, both):
    hf, early = both
    response = logged_in_client.post("/downloads/updates/apply/", {"variant": [hf.pk, early.pk], "policy": "archive"})
    run_record = UpdateRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/downloads/updates/?run={run_record.pk}"

    page = logged_in_client.get(response["Location"]).content.decode()
    assert "Summary of the last update" in page
    assert "1 update is queued." in page and "1 file was skipped" in page
    assert "Only an Early Access version is newer" in page
    assert "every 2s" in page  # the summary follows the download while it runs

    run(run_record.items.get(outcome="queued").job_id)
    fragment = logged_in_client.get(f"/downloads/updates/?run={run_record.pk}", HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert "Old file archived as archive/huggingface/" in text and "every 2s" not in text


def test_update_all_takes_every_listed_update(logged_in_client, both):
    logged_in_client.post("/downloads/updates/apply/", {"scope": "all", "policy": "replace"})
    assert UpdateRun.objects.get().items.count() == 2


def test_a_form_without_a_policy_or_selection_says_what_is_missing(logged_in_client, both):
    hf, _early = both
    page = logged_in_client.post("/downloads/updates/apply/", {"variant": [hf.pk]}, follow=True).content.decode()
    assert "Unknown update policy" in page
    page = logged_in_client.post("/downloads/updates/apply/", {"policy": "keep"}, follow=True).content.decode()
    assert "Select at least one file to update." in page
    page = logged_in_client.post("/downloads/updates/apply/", {"policy": "keep", "variant": "9" * 30},
                                 follow=True).content.decode()
    assert "is not a variant id" in page
    assert not UpdateRun.objects.exists()


def test_check_now_on_the_page_checks_and_reports(logged_in_client, hf_update):
    page = logged_in_client.post("/downloads/updates/check/", follow=True).content.decode()
    assert "Update check done: 1 repository has updates." in page
    assert f'name="variant" value="{hf_update.pk}"' in page
