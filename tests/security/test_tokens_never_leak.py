"""A planted Hugging Face token and Civitai key never leave Modella except in the Bearer header
sent to their own hub: not in a page, an API answer, a response header, a log record (any logger,
DEBUG), an error message, a stored job error, or a URL the emulator saw."""

import logging

import pytest

from catalog import civitai_store
from catalog.sources import civitai
from downloads import queue
from downloads.models import DownloadJob
from modella.errors import ModellaError
from modella.models import UserSettings
from tests.downloads.conftest import hf_variant, run_job
from tests.fakehub.catalog_seed import GATED_AUTO, GATED_MANUAL, PRIVATE_REPO

pytestmark = pytest.mark.django_db(transaction=True)

HF_SECRET = "hf_PLANTEDsecretTOKEN0123456789abcdef"
CIV_SECRET = "civPLANTEDsecretKEY0123456789abcdef"
SECRETS = (HF_SECRET, CIV_SECRET)

PAGES = ("/", "/models/queue/", "/models/strip/", "/downloads/", "/settings/", "/discover/",
         f"/models/info/{GATED_MANUAL}", "/discover/civitai/", "/discover/civitai/4211/", "/storage/")
API = ("/api/v1/status", "/api/v1/modelfiles", "/api/v1/downloads/queue", "/api/v1/downloads/history",
       "/api/v1/hub/civitai/models", "/api/v1/hub/civitai/models/4211", "/api/v1/storage",
       f"/api/v1/modelfiles/{GATED_MANUAL}/metadata", "/api/v1/hub/huggingface/search?q=helix")


def _exercise(hub, logged_in_client, api_client, user) -> list[str]:
    """Every place a token could surface; returns the texts (bodies and headers) the client got."""
    seen: list[str] = []

    def keep(response):
        seen.append(response.content.decode("utf-8", "replace"))
        seen.append(repr(dict(response.items())))
        seen.append(repr(response.cookies))
        return response

    for repo in (GATED_AUTO, GATED_MANUAL, PRIVATE_REPO, "acme/nope-does-not-exist"):
        keep(api_client.post("/api/v1/modelfiles/resolve", {"input": repo}, format="json"))
    keep(api_client.post("/api/v1/downloads", {"repo": GATED_MANUAL, "filename": "helix-2-2b-it-Q4_K_M.gguf"},
                         format="json"))
    # Downloads: a plain HF file (succeeds), the gated repo (refused), Civitai login-required and plain.
    content = hub.generated(64 * 1024, seed=7)
    jobs = [queue.enqueue(hf_variant(hub, "acme/secret-GGUF", {"s.gguf": content}), user=user)]
    jobs += list(DownloadJob.objects.exclude(pk=jobs[0].pk))
    for model_id, file_id in ((4211, 700214), (4210, 700213)):
        try:
            jobs.append(civitai_store.queue_file(model_id, file_id, user=user))
        except ModellaError as error:
            seen.append(repr(error.as_dict()))
    for version_id in (600214, 600215):
        try:
            civitai.resolve_download(version_id)
        except ModellaError as error:
            seen.append(repr(error.as_dict()))
    for job in jobs:
        job = run_job(job)
        seen.append(repr({f.name: getattr(job, f.name) for f in job._meta.fields}))
        keep(api_client.get(f"/api/v1/downloads/{job.pk}"))
    for url in PAGES:
        keep(logged_in_client.get(url))
    for url in API:
        keep(api_client.get(url))
    return seen


def _assert_no_leak(hub, caplog, seen):
    assert hub.requests, "the emulator was called"
    # Every connection the HTTP clients opened went to the emulator (no call home to a real hub).
    connects = [r.getMessage() for r in caplog.records
                if "connect_tcp.started" in r.getMessage() or "Starting new HTTP" in r.getMessage()]
    assert connects and all("127.0.0.1" in line for line in connects), connects
    for secret in SECRETS:
        for text in seen:
            assert secret not in text
        for record in caplog.records:
            assert secret not in record.getMessage()
            assert secret not in repr(record.args)
            if record.exc_info:
                assert secret not in logging.Formatter().formatException(record.exc_info)
        assert secret not in caplog.text
        for request in hub.requests:
            assert secret not in request.path and secret not in request.query
    for request in hub.requests:
        auth = request.headers.get("authorization", "")
        if request.listener == "cdn":
            assert not auth, "no token goes to the CDN"
        elif auth:
            expected = HF_SECRET if request.listener == "hub" else CIV_SECRET
            assert auth == f"Bearer {expected}", "each hub only ever sees its own token"


def test_tokens_from_the_environment_never_appear_anywhere(hubs, settings, caplog, logged_in_client, api_client,
                                                           user):
    hubs.hf_tokens[HF_SECRET] = {"name": "planted", "granted": {GATED_AUTO}, "pending": set()}
    hubs.civitai_tokens.add(CIV_SECRET)
    settings.HF_TOKEN = HF_SECRET
    settings.CIVITAI_TOKEN = CIV_SECRET
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "httpx", "httpx2", "httpcore", "huggingface_hub", "requests"):
        caplog.set_level(logging.DEBUG, logger=name)

    seen = _exercise(hubs, logged_in_client, api_client, user)

    assert any(r.has_auth for r in hubs.requests if r.listener == "hub")
    assert any(r.has_auth for r in hubs.requests if r.listener == "civitai")
    assert DownloadJob.objects.filter(status="completed").exists()
    assert DownloadJob.objects.filter(status="failed").exists(), "the gated repo was refused"
    _assert_no_leak(hubs, caplog, seen)


def test_tokens_saved_in_settings_are_encrypted_and_never_appear_anywhere(hubs, caplog, logged_in_client,
                                                                          api_client, user):
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "httpx", "httpx2", "httpcore", "huggingface_hub", "requests"):
        caplog.set_level(logging.DEBUG, logger=name)
    # Neither token is known to the emulator: every error path (invalid token, login required) runs.
    response = logged_in_client.post("/settings/", {
        "hf_token": HF_SECRET, "civitai_token": CIV_SECRET, "language": "en", "theme": "dark",
        "show_featured": "", "nsfw_level": "pg13", "nsfw_blur": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = UserSettings.objects.get(user=user)
    assert HF_SECRET not in saved.hf_token_encrypted and CIV_SECRET not in saved.civitai_token_encrypted
    assert saved.hf_token == HF_SECRET and saved.civitai_token == CIV_SECRET

    seen = _exercise(hubs, logged_in_client, api_client, user)

    assert any(r.has_auth for r in hubs.requests if r.listener == "hub")
    assert any(r.has_auth for r in hubs.requests if r.listener == "civitai")
    _assert_no_leak(hubs, caplog, seen)
