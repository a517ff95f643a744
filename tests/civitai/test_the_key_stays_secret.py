"""The Civitai API key never appears in a URL, a log line, a page or an API answer."""

import logging

import pytest

from catalog import civitai_store
from catalog.sources import civitai
from downloads import queue
from modella.errors import ModellaError
from modella.models import UserSettings

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "civ_good"


def test_the_key_never_reaches_logs_urls_pages_or_the_api(civ, settings, caplog, logged_in_client, api_client,
                                                          user):
    settings.CIVITAI_TOKEN = SECRET
    settings.STALL_SECONDS = 1
    settings.DOWNLOAD_CONNECTIONS = 1
    caplog.set_level(logging.DEBUG)
    UserSettings.objects.update_or_create(user=user, defaults={"nsfw_level": "xxx"})

    civitai.search(query="lantern")
    civitai.version_by_hash(civ.civitai.contents[700161].sha256)
    for version_id in (600215, 600213):  # Early Access (refused) and a plain file
        try:
            civitai.resolve_download(version_id)
        except ModellaError:
            pass
    job = civitai_store.queue_file(4211, 700214, user=user)
    queue.run(job.pk)
    pages = [logged_in_client.get(url).content.decode() for url in
             ("/discover/civitai/", "/discover/civitai/4211/", "/discover/civitai/4212/?early_access=700215",
              "/downloads/", "/settings/")]
    answers = [api_client.get(url).content.decode() for url in
               ("/api/v1/hub/civitai/models", "/api/v1/hub/civitai/models/4211", "/api/v1/modelfiles",
                "/api/v1/downloads/queue", f"/api/v1/downloads/{job.pk}")]

    assert civ.requests and not any(SECRET in r.path or SECRET in r.query for r in civ.requests)
    assert all(r.headers.get("authorization") == f"Bearer {SECRET}"
               for r in civ.requests if r.listener == "civitai")
    assert caplog.records and not any(SECRET in record.getMessage() for record in caplog.records)
    assert SECRET not in caplog.text
    for text in pages + answers:
        assert SECRET not in text


def test_an_invalid_key_is_reported_without_being_shown(civ, settings, caplog):
    settings.CIVITAI_TOKEN = "civ_typo_1234"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ModellaError) as caught:
        civitai.resolve_download(600214)
    assert caught.value.details["reason"] == "invalid_key"
    assert "civ_typo_1234" not in str(caught.value.as_dict()) and "civ_typo_1234" not in caplog.text
