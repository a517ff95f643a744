import hashlib

import pytest

from tests.downloads.conftest import download
from tests.fakehub import Fault

pytestmark = pytest.mark.django_db(transaction=True)

SIZE = 2 * 1024 * 1024


def _body_gets(hub, name):
    return [r for r in hub.requests_for(name) if r.listener == "cdn" and r.method == "GET"]


def test_a_connection_lost_at_37_percent_resumes_from_the_exact_offset(hub, models_dir):
    content = hub.generated(SIZE, seed=11)
    cut = int(SIZE * 0.37)
    hub.add_hf_repo("acme/drop-GGUF", files={"drop.gguf": content})
    hub.set_fault("acme/drop-GGUF/drop.gguf", Fault(drop_after_bytes=cut))
    job = download(hub, "acme/drop-GGUF", {"drop.gguf": content})

    assert job.status == "completed", job.error
    gets = _body_gets(hub, content.sha256)
    assert len(gets) == 2
    assert gets[1].range == f"bytes={cut}-"
    assert hub.bytes_sent_for(content.sha256) < SIZE * 1.05
    data = (models_dir / "huggingface/acme/drop-GGUF/drop.gguf").read_bytes()
    assert hashlib.sha256(data).hexdigest() == content.sha256


def test_a_connection_closed_cleanly_mid_body_also_resumes(hub):
    content = hub.generated(SIZE, seed=12)
    hub.add_hf_repo("acme/fin-GGUF", files={"fin.gguf": content})
    hub.set_fault("acme/fin-GGUF/fin.gguf", Fault(drop_after_bytes=1000, times=2))
    job = download(hub, "acme/fin-GGUF", {"fin.gguf": content})

    assert job.status == "completed", job.error
    ranges = [r.range for r in _body_gets(hub, content.sha256)]
    assert ranges == [None, "bytes=1000-", "bytes=2000-"]


def test_a_tcp_reset_resumes_from_the_bytes_on_disk_without_gaps(hub, models_dir):
    # An RST makes the kernel drop bytes received but not yet read, so the resume point is what
    # reached the file (not the server's cut); the final hash proves nothing is missing or doubled.
    content = hub.generated(SIZE, seed=13)
    hub.add_hf_repo("acme/rst-GGUF", files={"rst.gguf": content})
    hub.set_fault("acme/rst-GGUF/rst.gguf", Fault(drop_after_bytes=int(SIZE * 0.37), drop_with_reset=True))
    job = download(hub, "acme/rst-GGUF", {"rst.gguf": content})

    assert job.status == "completed", job.error
    gets = _body_gets(hub, content.sha256)
    assert len(gets) == 2 and gets[1].range.startswith("bytes=")
    assert gets[1].range != "bytes=0-"
    data = (models_dir / "huggingface/acme/rst-GGUF/rst.gguf").read_bytes()
    assert hashlib.sha256(data).hexdigest() == content.sha256
