import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tests.downloads.conftest import download
from tests.fakehub import Fault

pytestmark = pytest.mark.django_db(transaction=True)


def _gets(hub, sha):
    return [r for r in hub.requests_for(sha) if r.method == "GET"]


def test_two_503s_are_retried_and_the_third_attempt_succeeds(hub):
    content = hub.generated(200_000, seed=31)
    hub.add_hf_repo("acme/503-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/503-GGUF/a.gguf", Fault(fail_first=2, fail_status=503))
    job = download(hub, "acme/503-GGUF", {"a.gguf": content})

    assert job.status == "completed", job.error
    assert [r.status for r in _gets(hub, content.sha256)] == [503, 503, 200]
    assert job.attempts == 3


def test_a_429_with_retry_after_seconds_is_waited_out(hub):
    content = hub.generated(100_000, seed=32)
    hub.add_hf_repo("acme/429-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/429-GGUF/a.gguf", Fault(fail_first=1, retry_after=2))
    job = download(hub, "acme/429-GGUF", {"a.gguf": content})

    assert job.status == "completed", job.error
    first, second = _gets(hub, content.sha256)
    assert first.status == 429
    assert second.time - first.time >= 1.9


def test_a_429_with_an_http_date_is_waited_out(hub):
    content = hub.generated(100_000, seed=33)
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    hub.add_hf_repo("acme/429d-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/429d-GGUF/a.gguf", Fault(fail_first=1, retry_after=when))
    job = download(hub, "acme/429d-GGUF", {"a.gguf": content})

    assert job.status == "completed", job.error
    first, second = _gets(hub, content.sha256)
    assert second.time - first.time >= 1.0


def test_a_429_with_ratelimit_headers_is_waited_out(hub):
    content = hub.generated(100_000, seed=34)
    hub.add_hf_repo("acme/429r-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/429r-GGUF/a.gguf", Fault(fail_first=1, ratelimit_header='"resolvers";r=0;t=1'))
    job = download(hub, "acme/429r-GGUF", {"a.gguf": content})

    assert job.status == "completed", job.error
    first, second = _gets(hub, content.sha256)
    assert second.time - first.time >= 1.9  # t + 1 s, as huggingface_hub does


def test_a_wait_longer_than_the_policy_queues_the_job_instead_of_failing(hub, settings):
    settings.DOWNLOAD_MAX_WAIT_SECONDS = 5
    content = hub.generated(100_000, seed=35)
    hub.add_hf_repo("acme/429l-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/429l-GGUF/a.gguf", Fault(fail_first=1, retry_after=600))
    started = time.monotonic()
    job = download(hub, "acme/429l-GGUF", {"a.gguf": content})

    assert time.monotonic() - started < 5
    assert job.status == "queued"
    assert job.error_code == "rate_limited"
    assert job.retry_at is not None
    assert "600" in job.error_message


def test_errors_that_never_end_fail_the_job_after_bounded_attempts(hub, settings):
    settings.DOWNLOAD_MAX_ATTEMPTS = 3
    content = hub.generated(100_000, seed=36)
    hub.add_hf_repo("acme/500-GGUF", files={"a.gguf": content})
    hub.set_fault("acme/500-GGUF/a.gguf", Fault(fail_first=100, fail_status=500))
    job = download(hub, "acme/500-GGUF", {"a.gguf": content})

    assert job.status == "failed"
    assert job.error_code == "upstream_unavailable"
    assert len(_gets(hub, content.sha256)) == 4
    assert "500" in job.error_message
