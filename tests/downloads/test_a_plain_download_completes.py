import hashlib

import pytest

from storage.models import LocalFile
from tests.downloads.conftest import download

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_downloads_a_file_to_its_place_and_verifies_it(hub, models_dir):
    content = hub.generated(3 * 1024 * 1024 + 17, seed=1)
    job = download(hub, "acme/plain-GGUF", {"plain.Q4_K_M.gguf": content})

    assert job.status == "completed", job.error
    final = models_dir / "huggingface/acme/plain-GGUF/plain.Q4_K_M.gguf"
    assert hashlib.sha256(final.read_bytes()).hexdigest() == content.sha256
    assert not final.with_name(final.name + ".part").exists()
    assert job.bytes_done == job.size == content.size
    assert job.progress == 100.0
    assert len(job.revision) == 40
    job.variant.refresh_from_db()
    assert job.variant.local_path == "huggingface/acme/plain-GGUF/plain.Q4_K_M.gguf"
    assert LocalFile.objects.get(path=job.variant.local_path).sha256 == content.sha256


def test_it_asks_for_identity_encoding_and_keeps_the_token_off_the_cdn(hub, settings):
    settings.HF_TOKEN = next(iter(hub.hf_tokens))
    content = hub.generated(100_000, seed=2)
    job = download(hub, "acme/token-GGUF", {"t.gguf": content})

    assert job.status == "completed", job.error
    cdn = [r for r in hub.requests if r.listener == "cdn"]
    assert cdn and not any(r.has_auth for r in cdn)
    hub_side = hub.requests_for("/acme/token-GGUF/resolve/")
    assert hub_side and all(r.has_auth for r in hub_side)
    assert all(r.headers.get("accept-encoding") == "identity" for r in hub.requests if r.method == "GET")
