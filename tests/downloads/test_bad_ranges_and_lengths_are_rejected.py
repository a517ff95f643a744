"""§5 #5, #6, #7, #23: servers that answer Range or Content-Length wrongly never corrupt the file."""

import hashlib

import pytest

from tests.downloads.conftest import download
from tests.fakehub import Fault

pytestmark = pytest.mark.django_db(transaction=True)
SIZE = 1024 * 1024


def _gets(hub, sha):
    return [r for r in hub.requests_for(sha) if r.method == "GET"]


def _file(models_dir, repo, name):
    return (models_dir / "huggingface" / repo / name).read_bytes()


def test_a_server_ignoring_range_makes_it_start_over_never_append(hub, models_dir):
    content = hub.generated(SIZE, seed=41)
    hub.add_hf_repo("acme/norange-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/norange-GGUF/a.gguf", Fault(drop_after_bytes=400_000, ignore_range=True))
    job = download(hub, "acme/norange-GGUF", {"a.gguf": content})

    assert job.status == "completed", job.error
    gets = _gets(hub, content.sha256)
    assert gets[1].range == "bytes=400000-" and gets[1].status == 200
    data = _file(models_dir, "acme/norange-GGUF", "a.gguf")
    assert len(data) == SIZE and hashlib.sha256(data).hexdigest() == content.sha256


def test_a_206_starting_at_the_wrong_offset_is_rejected_before_writing(hub, models_dir):
    content = hub.generated(SIZE, seed=42)
    hub.add_hf_repo("acme/badstart-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/badstart-GGUF/a.gguf", Fault(drop_after_bytes=300_000, times=None))
    hub.set_fault("acme/badstart-GGUF/a.gguf",
                  Fault(drop_after_bytes=300_000, wrong_content_range_start=-1000, times=2))
    job = download(hub, "acme/badstart-GGUF", {"a.gguf": content})

    assert job.status == "completed", job.error
    assert hashlib.sha256(_file(models_dir, "acme/badstart-GGUF", "a.gguf")).hexdigest() == content.sha256


def test_a_206_with_another_total_means_the_file_changed_and_restarts_from_zero(hub, models_dir):
    content = hub.generated(SIZE, seed=43)
    hub.add_hf_repo("acme/badtotal-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/badtotal-GGUF/a.gguf",
                  Fault(drop_after_bytes=300_000, wrong_content_range_total=SIZE + 5, times=2))
    job = download(hub, "acme/badtotal-GGUF", {"a.gguf": content})

    assert job.status == "completed", job.error
    ranges = [r.range for r in _gets(hub, content.sha256)]
    assert ranges[:2] == [None, "bytes=300000-"]
    assert ranges[2] is None  # started over
    assert hashlib.sha256(_file(models_dir, "acme/badtotal-GGUF", "a.gguf")).hexdigest() == content.sha256


@pytest.mark.parametrize("delta", [-5000, 5000])
def test_a_wrong_content_length_is_caught_against_the_expected_size(hub, models_dir, delta):
    content = hub.generated(SIZE, seed=44)
    repo = f"acme/cl{delta}-GGUF"
    hub.add_hf_repo(repo, files={"a.gguf": content})
    hub.set_fault(f"{repo}/a.gguf", Fault(content_length_delta=delta, times=1))
    job = download(hub, repo, {"a.gguf": content})

    assert job.status == "completed", job.error
    assert hashlib.sha256(_file(models_dir, repo, "a.gguf")).hexdigest() == content.sha256


def test_a_length_that_stays_wrong_fails_with_size_mismatch(hub, settings, models_dir):
    settings.DOWNLOAD_MAX_ATTEMPTS = 2
    content = hub.generated(SIZE, seed=45)
    hub.add_hf_repo("acme/clbad-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/clbad-GGUF/a.gguf", Fault(content_length_delta=-5000, times=None))
    job = download(hub, "acme/clbad-GGUF", {"a.gguf": content})

    assert job.status == "failed"
    assert job.error_code == "size_mismatch"
    assert str(SIZE) in job.error_message
    assert not (models_dir / "huggingface/acme/clbad-GGUF/a.gguf").exists()


def test_gzip_sent_despite_identity_is_decoded_and_verified(hub, models_dir):
    content = hub.generated(300_000, seed=46)
    hub.add_hf_repo("acme/gzip-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/gzip-GGUF/a.gguf", Fault(gzip=True, times=1))
    job = download(hub, "acme/gzip-GGUF", {"a.gguf": content})

    assert job.status == "completed", job.error
    assert hashlib.sha256(_file(models_dir, "acme/gzip-GGUF", "a.gguf")).hexdigest() == content.sha256
