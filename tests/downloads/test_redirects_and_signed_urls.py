"""§5 #10, #11, #12: redirects only to allowed hosts, expired links resolved again, access errors."""

import time

import pytest

from downloads import queue
from tests.downloads.conftest import download, hf_variant, run_job
from tests.fakehub import Fault

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_redirect_to_a_host_not_allowed_is_refused(hub, models_dir):
    content = hub.generated(100_000, seed=61)
    hub.add_hf_repo("acme/evil-GGUF", files={"a.gguf": content})
    port = hub.cdn_url.rsplit(":", 1)[1]
    hub.set_fault("acme/evil-GGUF/a.gguf", Fault(redirect_to=f"http://127.0.0.2:{port}/steal"))
    job = download(hub, "acme/evil-GGUF", {"a.gguf": content})

    assert job.status == "failed"
    assert "127.0.0.2" in job.error_message
    assert not any("/steal" in r.path for r in hub.requests)
    assert not list((models_dir / "huggingface/acme/evil-GGUF").glob("*.gguf"))


def test_an_expired_signed_url_is_resolved_again_and_continues_at_the_offset(hub):
    content = hub.generated(600_000, seed=62)
    hub.add_hf_repo("acme/ttl-GGUF", files={"a.gguf": content})
    # The first transfer lasts 1.6 s, past the URL's 0.6 s life and into another second: the
    # emulator signs with whole-second expiry times, so a quicker retry could get the same URL.
    hub.set_fault("acme/ttl-GGUF/a.gguf", Fault(signed_url_ttl=0.6, drop_after_bytes=400_000, rate_bps=250_000))
    job = download(hub, "acme/ttl-GGUF", {"a.gguf": content})

    assert job.status == "completed", job.error
    gets = [r for r in hub.requests_for(content.sha256) if r.method == "GET"]
    assert len(gets) >= 2
    assert gets[0].query != gets[1].query  # a freshly signed URL, resolved from the stable one
    assert all(r.range == "bytes=400000-" for r in gets[1:])  # continued at the offset, never from 0
    assert hub.bytes_sent_for(content.sha256) < content.size * 1.05


def test_a_storage_403_on_a_signed_url_is_refreshed_not_failed(hub):
    content = hub.generated(300_000, seed=64)
    hub.add_hf_repo("acme/exp-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/exp-GGUF/a.gguf", Fault(fail_first=2, fail_status=403))
    job = download(hub, "acme/exp-GGUF", {"a.gguf": content})

    assert job.status == "completed", job.error
    gets = [r for r in hub.requests_for(content.sha256) if r.method == "GET"]
    assert [r.status for r in gets] == [403, 403, 200]


def test_a_gated_model_fails_at_once_saying_what_to_do(hub, settings):
    content = hub.generated(1000, seed=63)
    variant = hf_variant(hub, "acme/gated-GGUF", {"a.gguf": content})
    hub.add_hf_repo("acme/gated-GGUF", files={"a.gguf": content}, gated="manual")
    started = time.monotonic()
    job = run_job(queue.enqueue(variant))

    assert time.monotonic() - started < 3
    assert job.status == "failed"
    assert job.error_code == "remote_unauthorized"
    assert "gated" in job.error_message and "Settings" in job.error_message
    assert not [r for r in hub.requests if r.listener == "cdn"]
