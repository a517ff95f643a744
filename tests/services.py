"""Private Redis and PostgreSQL servers for fault tests, and a Modella process tree run against them.

The machine's shared servers (127.0.0.1:5432, 127.0.0.1:6379) are never stopped: the suite itself
runs on them in CI. Each test starts its own server on a free port in a temporary directory and
kills or restarts it at will. Modella runs in subprocesses (`python -m tests.services <command>`)
whose environment points DATABASE_URL / MODELLA_REDIS_URL at the private server and
MODELLA_DATA_DIR at a private folder, with the hub emulator of the test process as its hubs.

    python -m tests.services migrate | qcluster | seed '<json>'
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("MODELLA_REQUIRE_SERVICES") == "1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_binary(name: str, path: str | None) -> str:
    """The binary's path; skip the calling test when it is missing, unless CI demands it."""
    import pytest

    if path:
        return path
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (MODELLA_REQUIRE_SERVICES=1) but is not installed")
    pytest.skip(f"{name} is not installed")


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not happen within {timeout} s")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


# --- Redis -----------------------------------------------------------------------------------------
class PrivateRedis:
    """`redis-server` on a free port, keeping nothing on disk (a restart loses every key)."""

    def __init__(self, binary: str, folder: Path):
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder), "--logfile", str(self.folder / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(lambda: _listening(self.port), 10, "Redis start")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no save; connected clients see their sockets reset."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        _wait(lambda: not _listening(self.port), 10, "Redis stop")

    def stop(self) -> None:
        self.kill()


# --- PostgreSQL ------------------------------------------------------------------------------------
def postgres_bindir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return str(Path(found[-1]).parent)
    initdb = shutil.which("initdb")
    return str(Path(initdb).parent) if initdb else None


class PrivatePostgres:
    """A throwaway cluster (initdb) on a free port with its socket in its own folder.

    PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user and its
    commands run through `runuser`."""

    def __init__(self, bindir: str):
        self.bindir, self.port = Path(bindir), free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="modella-pg-"))
        self.data = self.folder / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/modella"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run([*prefix, *command], check=check, capture_output=True, text=True, timeout=60)

    def init(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync")
        self.start()
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE modella")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "postgres.log"), "-w", "-t", "30", "start")

    def stop(self, mode: str = "immediate") -> None:
        """`immediate`: every backend killed at once, no checkpoint (a crash, recovered at start)."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)
        _wait(lambda: not _listening(self.port), 10, "PostgreSQL stop")

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


# --- Modella against them --------------------------------------------------------------------------
def modella_env(data_dir: Path, hub, database_url: str = "", redis_url: str = "", **extra: str) -> dict:
    """The environment of a Modella subprocess: private data dir and services, the emulator as hubs,
    short timeouts so that faults play out within seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELLA_") and k != "DATABASE_URL"}
    env.update({
        "DJANGO_SETTINGS_MODULE": "modella.settings", "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
        "MODELLA_DATA_DIR": str(data_dir), "MODELLA_HF_ENDPOINT": hub.hf_url,
        "MODELLA_CIVITAI_ENDPOINT": hub.civitai_url, "MODELLA_DOWNLOAD_HOSTS": "127.0.0.1",
        "MODELLA_STORAGE_RESERVE_BYTES": "0", "MODELLA_STALL_SECONDS": "3", "MODELLA_HUB_TIMEOUT": "5",
        "MODELLA_MAX_CONCURRENT_DOWNLOADS": "1", "MODELLA_WORKERS": "2", "MODELLA_DOWNLOAD_CONNECTIONS": "1",
        "MODELLA_LOG_LEVEL": "INFO",
    })
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["MODELLA_REDIS_URL"] = redis_url
    env.update(extra)
    return env


def run_command(env: dict, *args: str, timeout: float = 120) -> str:
    result = subprocess.run([sys.executable, "-m", "tests.services", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{args[0]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def start_cluster(env: dict, log_path: Path) -> subprocess.Popen:
    """`qcluster` in its own process group (stop_cluster ends the whole tree)."""
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child; closed with it
    return subprocess.Popen([sys.executable, "-m", "tests.services", "qcluster"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_cluster(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    try:  # workers the cluster forked and left behind
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def hf_files(hub, repo_id: str) -> list[dict]:
    repo = hub.hf_repo(repo_id)
    return [{"path": path, "size": entry.size, "sha256": entry.sha256} for path, entry in repo.head.files.items()]


JOB_COLUMNS = ("id", "status", "offset", "bytes_done", "attempts", "error_code", "error", "lease_owner",
               "started_at", "finished_at")


def jobs(database_url: str = "", data_dir: Path | None = None) -> dict[int, dict]:
    """The download jobs as the private database holds them, read without Django (None while the
    database is unreachable)."""
    sql = "SELECT " + ", ".join(f'"{c}"' for c in JOB_COLUMNS) + " FROM downloads_downloadjob"
    try:
        if database_url:
            import psycopg

            with psycopg.connect(database_url.replace("postgres://", "postgresql://"), connect_timeout=2) as conn:
                rows = conn.execute(sql).fetchall()
        else:
            with sqlite3.connect(data_dir / "modella.sqlite3", timeout=5) as conn:
                rows = conn.execute(sql).fetchall()
    except Exception:  # noqa: BLE001 - the database is down or busy: the caller polls again
        return None
    return {row[0]: dict(zip(JOB_COLUMNS, row, strict=True)) for row in rows}


# --- the subprocess side -----------------------------------------------------------------------------
def _seed(spec: dict) -> None:
    """Create the catalog entries of `spec["variants"]` and queue them in order; print the job ids."""
    from django.db import transaction

    from catalog.models import ModelRepository, ModelVariant
    from downloads import queue

    ids = []
    with transaction.atomic():  # all queued before the first slot is handed out
        for item in spec["variants"]:
            owner, name = item["repo"].split("/")
            repository = ModelRepository.objects.create(source="huggingface", repo=item["repo"], author=owner,
                                                        name=name)
            files = item["files"]
            variant = ModelVariant.objects.create(
                repository=repository, filename=files[0]["path"], files=files, size=sum(f["size"] for f in files),
                sha256=files[0]["sha256"], format="gguf")
            ids.append(queue.enqueue(variant).pk)
    print("JOBS", json.dumps(ids))


def main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modella.settings")
    django.setup()
    from django.core.management import call_command

    command = argv[0]
    if command == "migrate":
        call_command("migrate", verbosity=0)
    elif command == "qcluster":
        call_command("qcluster")
    elif command == "seed":
        _seed(json.loads(argv[1]))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])


# --- what the emulator saw ---------------------------------------------------------------------------
def assert_one_transfer(hub, content) -> None:
    """The file crossed the wire once: its body requests never ran at the same time, and each one
    after the first resumed where the previous had got to (at most one checkpoint earlier), so no
    byte range was fetched twice beyond a resume."""
    gets = sorted((r for r in hub.requests_for(content.sha256) if r.method == "GET" and r.listener == "cdn"),
                  key=lambda r: r.time)
    assert gets, "the file was never requested"
    reached = 0
    for previous, current in zip(gets, gets[1:], strict=False):
        # (0.2 s of slack: the server logs a request as over a moment after the client has read it all)
        assert current.time >= previous.time + (previous.duration or 0) - 0.2, "two transfers at once"
    for r in gets:
        start = int(r.range.split("=")[1].split("-")[0]) if r.range else 0
        assert start <= reached, f"a gap: resumed at {start} with only {reached} bytes received"
        assert start >= reached - 2_000_000 or start == reached, f"fetched again from {start} after {reached}"
        reached = max(reached, start + r.bytes_sent)
    assert reached >= content.size
    assert hub.bytes_sent_for(content.sha256) < content.size * 1.5


def sha256_of(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
