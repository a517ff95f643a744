"""PostgreSQL restarted (an immediate stop: every connection killed) in the middle of a download.

A real Django-Q2 cluster runs in a subprocess on a private PostgreSQL (database and ORM broker)
and a private data dir, with the emulator of this process as its hub. While the job transfers,
the database goes away for a few seconds and comes back. The transfer must carry on (or resume
from its offset) to a verified file, the job must run once (no second transfer started by a
worker that thought it free), and the cluster must still be running: no crash loop."""

import json
import time

import pytest

from tests.fakehub import Fault
from tests.qcluster import wait_for
from tests.services import (
    PrivatePostgres,
    assert_one_transfer,
    hf_files,
    jobs,
    modella_env,
    postgres_bindir,
    require_binary,
    run_command,
    sha256_of,
    start_cluster,
    stop_cluster,
)

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def postgres():
    server = PrivatePostgres(require_binary("PostgreSQL (initdb)", postgres_bindir()))
    try:
        server.init()
    except Exception:
        server.destroy()
        raise
    yield server
    server.destroy()


def test_a_download_survives_a_database_restart_without_a_crash_loop(hub, postgres, tmp_path):
    data_dir = tmp_path / "data"
    env = modella_env(data_dir, hub, database_url=postgres.url)
    content = hub.generated(3_000_000, seed=601)
    hub.add_hf_repo("acme/pg-restart-GGUF", files={"p.gguf": content})
    hub.set_fault("acme/pg-restart-GGUF/p.gguf", Fault(rate_bps=400_000))  # ~7.5 s on the wire
    run_command(env, "migrate")
    spec = {"variants": [{"repo": "acme/pg-restart-GGUF", "files": hf_files(hub, "acme/pg-restart-GGUF")}]}
    (job,) = json.loads(run_command(env, "seed", json.dumps(spec)).split("JOBS", 1)[1])

    log = tmp_path / "cluster.log"
    cluster = start_cluster(env, log)
    try:
        def state():
            return (jobs(postgres.url) or {}).get(job) or {}

        wait_for(lambda: state().get("bytes_done", 0) > 500_000, timeout=40, interval=0.1)
        postgres.stop("immediate")
        time.sleep(3)
        postgres.start()
        wait_for(lambda: state().get("status") in ("completed", "failed"), timeout=45, interval=0.25)
        final = state()
        time.sleep(1)
        assert cluster.poll() is None, "the cluster exited"
    finally:
        stop_cluster(cluster)

    text = log.read_text(errors="replace")
    assert final["status"] == "completed", (final, text[-4000:])
    assert sha256_of(data_dir / "models/huggingface/acme/pg-restart-GGUF/p.gguf") == content.sha256
    assert not list((data_dir / "models").rglob("*.part"))
    assert_one_transfer(hub, content)
    # The outage was noticed and lived through: the worker reconnected, the cluster never restarted.
    assert "progress write skipped" in text
    assert f"job {job}: completed" in text
    assert text.count(" starting.") == 1
    assert "reincarnated worker" not in text
