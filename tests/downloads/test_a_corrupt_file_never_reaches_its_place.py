"""§5 #8, #13: a flipped byte or an error page is never a model."""

import pytest

from storage.models import LocalFile
from tests.downloads.conftest import download
from tests.fakehub import Fault

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_flipped_byte_is_fetched_once_more_then_fails_with_both_hashes(hub, models_dir):
    content = hub.generated(500_000, seed=51)
    hub.add_hf_repo("acme/flip-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/flip-GGUF/a.gguf", Fault(corrupt_offset=123_456))
    job = download(hub, "acme/flip-GGUF", {"a.gguf": content})

    assert job.status == "failed"
    assert job.error_code == "checksum_mismatch"
    assert content.sha256 in job.error_message
    assert job.error_details["actual"] in job.error_message
    gets = [r for r in hub.requests_for(content.sha256) if r.method == "GET"]
    assert [r.range for r in gets] == [None, None]  # one full re-fetch
    folder = models_dir / "huggingface/acme/flip-GGUF"
    assert not (folder / "a.gguf").exists()
    assert not (folder / "a.gguf.part").exists()
    quarantined = LocalFile.objects.filter(kind=LocalFile.Kind.QUARANTINED)
    assert quarantined.count() == 1  # both bad copies had the same hash: kept once, listed for removal
    assert all((models_dir / q.path).exists() for q in quarantined)


def test_an_error_page_with_status_200_is_refused_and_nothing_is_left(hub, models_dir, settings):
    settings.DOWNLOAD_MAX_ATTEMPTS = 1
    content = hub.generated(500_000, seed=52)
    hub.add_hf_repo("acme/page-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/page-GGUF/a.gguf", Fault(error_page=True, times=None))
    job = download(hub, "acme/page-GGUF", {"a.gguf": content})

    assert job.status == "failed"
    assert "web page" in job.error_message
    folder = models_dir / "huggingface/acme/page-GGUF"
    assert not (folder / "a.gguf").exists()
    assert not (folder / "a.gguf.part").exists() or (folder / "a.gguf.part").stat().st_size == 0


def test_an_error_page_once_is_retried_and_the_file_arrives(hub):
    content = hub.generated(500_000, seed=53)
    hub.add_hf_repo("acme/page1-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/page1-GGUF/a.gguf", Fault(error_page=True, times=1))
    job = download(hub, "acme/page1-GGUF", {"a.gguf": content})

    assert job.status == "completed", job.error
