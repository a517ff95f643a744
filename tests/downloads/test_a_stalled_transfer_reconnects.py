import time

import pytest

from tests.downloads.conftest import download
from tests.fakehub import Fault

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_server_that_goes_silent_is_left_and_the_download_resumes(hub, settings):
    settings.STALL_SECONDS = 1
    content = hub.generated(1024 * 1024, seed=21)
    hub.add_hf_repo("acme/stall-GGUF", files={"s.gguf": content})
    hub.set_fault("acme/stall-GGUF/s.gguf", Fault(stall_after_bytes=300_000, stall_seconds=30))
    started = time.monotonic()
    job = download(hub, "acme/stall-GGUF", {"s.gguf": content})

    assert job.status == "completed", job.error
    assert time.monotonic() - started < 10  # far less than the 30 s the server stays silent
    gets = [r for r in hub.requests_for(content.sha256) if r.method == "GET"]
    assert gets[-1].range == "bytes=300000-"
    assert job.error_code == ""
