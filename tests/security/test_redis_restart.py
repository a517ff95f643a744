"""Redis killed (SIGKILL, keeping nothing) and restarted while a real Django-Q2 cluster downloads.

The cluster runs in a subprocess on a private Redis (broker and cache) and a private SQLite data
dir, with the emulator of this process as its hub. Job A is mid-transfer when Redis dies; job B
waits in the database for A's slot (one download at a time), so it must be handed to the broker
after the restart. Both must complete with the right bytes, A must cross the wire once (no second
worker, no second transfer), and the cluster must still be running."""

import json
import shutil
import time

import pytest

from tests.fakehub import Fault
from tests.qcluster import wait_for
from tests.services import (
    PrivateRedis,
    assert_one_transfer,
    hf_files,
    jobs,
    modella_env,
    require_binary,
    run_command,
    sha256_of,
    start_cluster,
    stop_cluster,
)

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_server(tmp_path):
    server = PrivateRedis(require_binary("redis-server", shutil.which("redis-server")), tmp_path)
    server.start()
    yield server
    server.stop()


def test_workers_reconnect_and_no_job_is_lost_or_run_twice(hub, redis_server, tmp_path):
    data_dir = tmp_path / "data"
    env = modella_env(data_dir, hub, redis_url=redis_server.url)
    big = hub.generated(3_000_000, seed=501)
    small = hub.generated(300_000, seed=502)
    hub.add_hf_repo("acme/redis-a-GGUF", files={"a.gguf": big})
    hub.add_hf_repo("acme/redis-b-GGUF", files={"b.gguf": small})
    hub.set_fault("acme/redis-a-GGUF/a.gguf", Fault(rate_bps=500_000))  # ~6 s on the wire
    run_command(env, "migrate")
    spec = {"variants": [{"repo": "acme/redis-a-GGUF", "files": hf_files(hub, "acme/redis-a-GGUF")},
                         {"repo": "acme/redis-b-GGUF", "files": hf_files(hub, "acme/redis-b-GGUF")}]}
    a, b = json.loads(run_command(env, "seed", json.dumps(spec)).split("JOBS", 1)[1])

    log = tmp_path / "cluster.log"
    cluster = start_cluster(env, log)
    try:
        def state():
            return jobs(data_dir=data_dir) or {}

        wait_for(lambda: (state().get(a) or {}).get("bytes_done", 0) > 600_000, timeout=40, interval=0.1)
        assert state()[b]["status"] == "queued"
        redis_server.kill()
        time.sleep(2)
        redis_server.start()  # empty: whatever the broker held is gone
        wait_for(lambda: all(state().get(j, {}).get("status") in ("completed", "failed") for j in (a, b)),
                 timeout=45, interval=0.25)
        final = state()
        assert cluster.poll() is None, "the cluster exited"
    finally:
        stop_cluster(cluster)

    text = log.read_text(errors="replace")
    assert final[a]["status"] == "completed", (final[a], text[-3000:])
    assert final[b]["status"] == "completed", (final[b], text[-3000:])
    models = data_dir / "models/huggingface/acme"
    assert sha256_of(models / "redis-a-GGUF/a.gguf") == big.sha256
    assert sha256_of(models / "redis-b-GGUF/b.gguf") == small.sha256
    assert_one_transfer(hub, big)
    assert_one_transfer(hub, small)
    # The broker connection broke, the pusher was replaced with a new connection, and the cluster
    # itself never restarted (no crash loop).
    assert "Failed to pull task from broker" in text
    assert "reincarnated pusher" in text
    assert text.count(" starting.") == 1
