"""A bounded load test on 127.0.0.1: N concurrent clients for D seconds against a real server,
while downloads run.

    .venv/bin/python bench/load.py                     # 50 clients, 60 s, gunicorn (gthread), 2 downloads
    .venv/bin/python bench/load.py --clients 20 --duration 20 --server runserver --downloads 0

Builds a throwaway data directory (its own SQLite database, MODELLA_DEBUG=0), seeds a catalog
(--repos repositories x 8 variants, a user, an API token, a session), starts the server on a free
port, and has every client loop over the three endpoints people and scripts hit most often:

* `/`                  the Models page (HTML, session cookie)
* `/models/queue/`     the queue fragment the page polls (htmx request)
* `/api/v1/modelfiles` the catalog API (token)

Meanwhile --downloads files (2 by default) download from the hub emulator (tests/fakehub, in its
own process) through a real Django-Q2 cluster (`manage.py qcluster`, ORM broker on the same
SQLite database), each throttled by the emulator to --download-rate bytes/s and big enough to
last the whole run: the pages are measured while the engine writes progress every second.

It prints, per endpoint, the requests, errors (anything but 200, and transport errors), requests
per second, p50 and p95 latency, and writes the same numbers to bench/results/load.json. The exit
status is 1 when there was any error, or when a download failed or stopped during the run. Only
127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = {
    "models_page": ("/", {}),
    "queue_fragment": ("/models/queue/", {"HX-Request": "true"}),
    "api_modelfiles": ("/api/v1/modelfiles", {}),
}

SEED = r"""
import random
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from rest_framework.authtoken.models import Token
from catalog.models import ModelRepository, ModelVariant

rng = random.Random(7)
quants = [("Q2_K", 2.96), ("Q3_K_M", 3.91), ("Q4_0", 4.5), ("Q4_K_M", 4.89), ("Q5_K_M", 5.69),
          ("Q6_K", 6.56), ("Q8_0", 8.5), ("F16", 16.0)]
repos = [ModelRepository(source="huggingface", repo=f"owner{i % 50}/Model-{i}-GGUF", name=f"Model-{i}-GGUF",
                         author=f"owner{i % 50}", description=f"Bench model {i}", license="apache-2.0",
                         tags=["gguf"], likes=rng.randint(0, 5000), downloads=rng.randint(0, 10**6),
                         family="llama", model_type="LLM") for i in range(REPOS)]
ModelRepository.objects.bulk_create(repos)
variants = []
for repo in ModelRepository.objects.all():
    for quant, bits in quants:
        name = f"{repo.name}.{quant}.gguf"
        size = int(7e9 * bits / 8)
        variants.append(ModelVariant(repository=repo, filename=name, size=size, sha256="0" * 64, format="gguf",
                                     quant_method=quant, quant_bits=bits, is_recommended=quant == "Q4_K_M",
                                     files=[{"path": name, "size": size, "sha256": "0" * 64}]))
ModelVariant.objects.bulk_create(variants)
user = get_user_model().objects.create_superuser("bench", "bench@example.invalid", "bench-password-1")
token = Token.objects.create(user=user)
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
from catalog.models import ModelRepository, ModelVariant
from downloads import queue
for spec in DOWNLOADS:
    owner, name = spec["repo"].split("/")
    repo = ModelRepository.objects.create(source="huggingface", repo=spec["repo"], author=owner, name=name)
    variant = ModelVariant.objects.create(repository=repo, filename="model.gguf", size=spec["size"],
                                          sha256=spec["sha256"], format="gguf",
                                          files=[{"path": "model.gguf", "size": spec["size"], "sha256": spec["sha256"]}])
    queue.enqueue(variant)
print("SEEDED", token.key, session.session_key)
"""


def serve_hub(conn, downloads: int, size: int, rate: int) -> None:
    """Child process: the hub emulator with `downloads` throttled files (its own GIL, like a real hub)."""
    sys.path.insert(0, str(ROOT))
    from tests.fakehub import FakeHub, Fault

    hub = FakeHub().start()
    specs = []
    for n in range(downloads):
        repo = f"bench/download-{n}-GGUF"
        content = FakeHub.generated(size, seed=700 + n)
        hub.add_hf_repo(repo, files={"model.gguf": content})
        hub.set_fault(f"{repo}/model.gguf", Fault(rate_bps=rate))
        specs.append({"repo": repo, "size": size, "sha256": content.sha256})
    conn.send({"hf": hub.hf_url, "civitai": hub.civitai_url, "downloads": specs})
    conn.recv()  # until the parent is done
    hub.stop()


def download_jobs(data_dir: Path) -> list[dict]:
    with sqlite3.connect(data_dir / "modella.sqlite3", timeout=10) as db:
        rows = db.execute('SELECT id, status, bytes_done, size, error FROM downloads_downloadjob ORDER BY id').fetchall()
    return [{"id": r[0], "status": r[1], "bytes_done": r[2], "size": r[3], "error": r[4]} for r in rows]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(data_dir: Path) -> dict:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.pop("MODELLA_REDIS_URL", None)
    env.update({
        "MODELLA_DATA_DIR": str(data_dir), "MODELLA_DEBUG": "0", "MODELLA_SECRET_KEY": "load-test-only-" + "x" * 40,
        "MODELLA_SSL_REDIRECT": "0", "MODELLA_SECURE_COOKIES": "0", "MODELLA_ALLOWED_HOSTS": "127.0.0.1",
        "MODELLA_LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "modella.settings",
        "MODELLA_STATIC_ROOT": str(data_dir / "staticfiles"),
    })
    return env


def seed(env: dict, repos: int, downloads: list[dict]) -> tuple[str, str]:
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    # MODELLA_DEBUG=0 serves hashed static files from a manifest, as a production install does.
    subprocess.run([*manage, "collectstatic", "--noinput", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    script = SEED.replace("REPOS", str(repos)).replace("DOWNLOADS", json.dumps(downloads))
    out = subprocess.run([*manage, "shell", "-c", script], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("SEEDED"))
    _, token, session = line.split()
    return token, session


def start_server(kind: str, env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    if kind == "gunicorn" and shutil.which("gunicorn", path=str(Path(sys.executable).parent)):
        command = [str(Path(sys.executable).parent / "gunicorn"), "modella.wsgi", "--bind", f"127.0.0.1:{port}",
                   "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
                   "--log-level", "warning", "--backlog", "512"]
    else:
        command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"the server exited: {process.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start within 30 s")


def client_loop(base: str, token: str, session_key: str, until: float, results: dict, lock: threading.Lock,
                offset: int) -> None:
    import requests

    http = requests.Session()
    http.trust_env = False
    http.cookies.set("sessionid", session_key, domain="127.0.0.1")
    names = list(ENDPOINTS)
    i = offset
    while time.monotonic() < until:
        name = names[i % len(names)]
        i += 1
        path, headers = ENDPOINTS[name]
        headers = dict(headers)
        if path.startswith("/api/"):
            headers["Authorization"] = f"Token {token}"
        began = time.perf_counter()
        try:
            response = http.get(base + path, headers=headers, timeout=30, allow_redirects=False)
            ok = response.status_code == 200
            error = None if ok else f"HTTP {response.status_code}"
        except Exception as exc:  # noqa: BLE001 - every failure is counted
            ok, error = False, type(exc).__name__
        elapsed = (time.perf_counter() - began) * 1000
        with lock:
            entry = results[name]
            entry["latencies"].append(elapsed)
            if not ok:
                entry["errors"] += 1
                entry["kinds"][error] = entry["kinds"].get(error, 0) + 1


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--repos", type=int, default=500, help="repositories in the seeded catalog (x 8 variants)")
    parser.add_argument("--server", choices=["gunicorn", "runserver"], default="gunicorn")
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 2))
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--downloads", type=int, default=2, help="downloads running during the run")
    parser.add_argument("--download-rate", type=int, default=1_000_000, help="bytes/s of each download")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "load.json"))
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="modella-load-"))
    env = environment(data_dir)
    process = cluster = hub_process = hub_conn = None
    downloads: list[dict] = []
    jobs_before: list[dict] = []
    jobs_after: list[dict] = []
    try:
        if args.downloads:
            # Big enough to outlast seeding, start-up, warm-up and the run itself.
            size = int(args.download_rate * (args.duration + 120))
            hub_conn, child = multiprocessing.Pipe()
            hub_process = multiprocessing.Process(target=serve_hub, args=(child, args.downloads, size,
                                                                          args.download_rate), daemon=True)
            hub_process.start()
            info = hub_conn.recv()
            downloads = info["downloads"]
            env.update({"MODELLA_HF_ENDPOINT": info["hf"], "MODELLA_CIVITAI_ENDPOINT": info["civitai"],
                        "MODELLA_DOWNLOAD_HOSTS": "127.0.0.1", "MODELLA_STORAGE_RESERVE_BYTES": "0",
                        "MODELLA_MAX_CONCURRENT_DOWNLOADS": str(max(2, args.downloads)),
                        "MODELLA_DOWNLOAD_CONNECTIONS": "1"})
        token, session_key = seed(env, args.repos, downloads)
        if downloads:
            cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            deadline = time.monotonic() + 60
            while sum(j["status"] == "downloading" and j["bytes_done"] > 0 for j in download_jobs(data_dir)) \
                    < len(downloads):
                if time.monotonic() > deadline or cluster.poll() is not None:
                    raise SystemExit(f"the downloads did not start: {download_jobs(data_dir)}")
                time.sleep(0.5)
        port = free_port()
        process = start_server(args.server, env, port, args.workers, args.threads)
        base = f"http://127.0.0.1:{port}"
        lock = threading.Lock()
        # Warm-up (not counted): every worker process loads its code and templates once.
        warm = {name: {"latencies": [], "errors": 0, "kinds": {}} for name in ENDPOINTS}
        warmers = [threading.Thread(target=client_loop, args=(base, token, session_key, time.monotonic() + 5, warm,
                                                              lock, n), daemon=True) for n in range(4)]
        for warmer in warmers:
            warmer.start()
        for warmer in warmers:
            warmer.join(timeout=60)
        results = {name: {"latencies": [], "errors": 0, "kinds": {}} for name in ENDPOINTS}
        until = time.monotonic() + args.duration
        clients = [threading.Thread(target=client_loop, args=(base, token, session_key, until, results, lock, n),
                                    daemon=True) for n in range(args.clients)]
        began = time.monotonic()
        for client in clients:
            client.start()
        if downloads:
            jobs_before = download_jobs(data_dir)
        for client in clients:
            client.join(timeout=args.duration + 60)
        wall = time.monotonic() - began
        if downloads:
            jobs_after = download_jobs(data_dir)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if cluster is not None:
            os.killpg(cluster.pid, 15)
            try:
                cluster.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(cluster.pid, 9)
        if hub_conn is not None:
            hub_conn.send("stop")
            hub_process.join(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)

    summary = {"clients": args.clients, "duration_s": round(wall, 1), "server": args.server,
               "workers": args.workers, "threads": args.threads, "repos": args.repos,
               "cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()], "endpoints": {}}
    # The downloads ran for the whole measurement: bytes arrived during it and none failed or finished early.
    moved = {a["id"]: a["bytes_done"] - b["bytes_done"] for a, b in zip(jobs_after, jobs_before, strict=True)}
    downloads_ok = all(j["status"] == "downloading" for j in jobs_after) and all(v > 0 for v in moved.values())
    summary["downloads"] = [{"status": j["status"], "bytes_during_run": moved[j["id"]],
                             "rate_bps": round(moved[j["id"]] / wall), "error": j["error"]} for j in jobs_after]
    print(f"{args.clients} clients, {wall:.0f} s, {args.server} ({args.workers} workers x {args.threads} threads), "
          f"{args.repos} repositories x 8 variants, {os.cpu_count()} CPUs")
    print(f"{'endpoint':<16} {'requests':>9} {'errors':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8}")
    total_errors = 0
    for name, entry in results.items():
        latencies = entry["latencies"]
        count = len(latencies)
        p50 = statistics.median(latencies) if latencies else 0.0
        p95 = percentile(latencies, 0.95) if latencies else 0.0
        total_errors += entry["errors"]
        summary["endpoints"][name] = {"path": ENDPOINTS[name][0], "requests": count, "errors": entry["errors"],
                                      "error_kinds": entry["kinds"], "rps": round(count / wall, 1),
                                      "p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}
        print(f"{name:<16} {count:>9} {entry['errors']:>7} {count / wall:>7.1f} {p50:>8.1f} {p95:>8.1f}"
              + (f"  {entry['kinds']}" if entry["kinds"] else ""))
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(summary, indent=2) + "\n")
    for n, job in enumerate(summary["downloads"]):
        print(f"download {n}: {job['status']}, {job['bytes_during_run'] / 1e6:.0f} MB during the run "
              f"({job['rate_bps'] / 1e6:.2f} MB/s){'  ' + job['error'] if job['error'] else ''}")
    print(f"written to {output}")
    return 1 if total_errors or not downloads_ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
