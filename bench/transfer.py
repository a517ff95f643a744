"""Transfer benchmark: Modella's engine vs curl vs huggingface_hub, parallel ranges, memory, DB writes.

    .venv/bin/python bench/transfer.py [--size-gb 2] [--rounds 3] [--memory-gb 4] [--capped-mb 512]
                                       [--models-dir DIR]

The emulator (tests/fakehub) runs in its own process on 127.0.0.1 so that it does not share a
GIL with the client being measured. One warm-up round is run and discarded (a VM's memory is slow
the first time it is touched), then `--rounds` rounds of curl, curl + fsync, Modella and
hf_hub_download alternate and the medians are reported: single runs on a shared VM swing by ±20%.
Downloads go to a temporary directory (or under `--models-dir`, e.g. /dev/shm to leave the disk
out) that is removed at the end. Prints Markdown tables for the README.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MB = 1024 * 1024


def serve(conn, files: dict[str, tuple[int, int, int | None]]) -> None:
    """Child process: run the emulator with `files` {repo: (size, seed, rate_bps)}."""
    from tests.fakehub import FakeHub, Fault

    hub = FakeHub().start()
    shas = {}
    for repo, (size, seed, rate) in files.items():
        content = FakeHub.generated(size, seed=seed)
        hub.add_hf_repo(repo, files={"model.gguf": content})
        if rate:
            hub.set_fault(f"{repo}/model.gguf", Fault(rate_bps=rate))
        shas[repo] = content.sha256
    conn.send({"hf": hub.hf_url, "shas": shas})
    conn.recv()  # until the parent is done
    hub.stop()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def setup_django(data_dir: Path, hf_url: str, models_dir: Path) -> None:
    os.environ["MODELLA_DATA_DIR"] = str(data_dir)
    os.environ["MODELLA_MODELS_DIR"] = str(models_dir)
    os.environ["MODELLA_HF_ENDPOINT"] = hf_url
    os.environ["MODELLA_DOWNLOAD_HOSTS"] = "127.0.0.1"
    os.environ["MODELLA_STORAGE_RESERVE_BYTES"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modella.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def modella_download(repo: str, size: int, sha: str, connections: int = 1) -> dict:
    from django.conf import settings

    from catalog.models import ModelRepository, ModelVariant
    from downloads import queue
    from downloads.engine import Download

    settings.DOWNLOAD_CONNECTIONS = connections
    settings.PARALLEL_THRESHOLD_BYTES = 1 if connections > 1 else 1 << 62
    owner, name = repo.split("/")
    repository, _ = ModelRepository.objects.get_or_create(repo=repo, defaults={"author": owner, "name": name})
    variant, _ = ModelVariant.objects.get_or_create(
        repository=repository, filename="model.gguf",
        defaults={"size": size, "sha256": sha, "files": [{"path": "model.gguf", "size": size, "sha256": sha}]})
    job = queue.enqueue(variant)
    job = queue.claim(job.pk, "bench")
    peak = [rss_mb()]
    base = peak[0]
    done = threading.Event()

    def sample():
        while not done.wait(0.05):
            peak[0] = max(peak[0], rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    settle()
    started = time.perf_counter()
    download = Download(job, "bench")
    outcome = download.run()
    seconds = time.perf_counter() - started
    done.set()
    job.refresh_from_db()
    assert outcome == "completed", (outcome, job.error)
    path = Path(settings.MODELS_DIR) / job.files[0]["rel"]
    path.unlink()
    variant.mark_removed()
    return {"seconds": seconds, "mbps": size / MB / seconds, "rss_growth_mb": peak[0] - base,
            "db_writes": download.monitor.db_writes, "writes_per_s": download.monitor.db_writes / seconds,
            "shortest_gap": download.monitor.shortest_gap}


def settle() -> None:
    """Before each timed run: flush what the previous one left. With ext4's `discard` mount option
    (as on this VM) a deleted 2 GB file is trimmed at the next journal commit, which would slow
    whichever download runs then."""
    os.sync()
    time.sleep(1)


def cdn_url(hf: str, repo: str) -> str:
    import requests

    response = requests.head(f"{hf}/{repo}/resolve/main/model.gguf", allow_redirects=False, timeout=10)
    return response.headers["Location"]


def curl_download(url: str, out: Path, size: int, fsync: bool = False) -> float:
    """curl -o; with `fsync`, also wait until the file is on disk, as Modella does before "completed"."""
    settle()
    started = time.perf_counter()
    subprocess.run(["curl", "-s", "-f", "-o", str(out), url], check=True)
    if fsync:
        fd = os.open(out, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    seconds = time.perf_counter() - started
    assert out.stat().st_size == size
    out.unlink()
    return seconds


def hf_download(hf: str, repo: str, cache: Path) -> float:
    code = (
        "import time, sys; from huggingface_hub import hf_hub_download; t=time.perf_counter(); "
        f"hf_hub_download({repo!r}, 'model.gguf', cache_dir={str(cache)!r}); print(time.perf_counter()-t)"
    )
    env = dict(os.environ, HF_ENDPOINT=hf, HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_TELEMETRY="1",
               HF_HUB_DISABLE_PROGRESS_BARS="1")
    settle()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    shutil.rmtree(cache, ignore_errors=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-gb", type=float, default=2)
    parser.add_argument("--memory-gb", type=float, default=4)
    parser.add_argument("--capped-mb", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models-dir", type=Path, default=None,
                        help="download here instead of the temporary directory (e.g. /dev/shm)")
    args = parser.parse_args()
    size = int(args.size_gb * 1024 * MB)
    big = int(args.memory_gb * 1024 * MB)
    capped = args.capped_mb * MB
    files = {"bench/plain": (size, 7, None), "bench/big": (big, 8, None), "bench/capped": (capped, 9, 50 * 10**6)}

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(child, files), daemon=True)
    server.start()
    print("starting the emulator and hashing the generated files ...", file=sys.stderr)
    info = parent.recv()
    hf, shas = info["hf"], info["shas"]
    work = Path(tempfile.mkdtemp(prefix="modella-bench-"))
    models = Path(tempfile.mkdtemp(prefix="modella-bench-", dir=args.models_dir)) if args.models_dir else work / "models"
    models.mkdir(parents=True, exist_ok=True)
    try:
        setup_django(work / "data", hf, models)
        url, sha = cdn_url(hf, "bench/plain"), shas["bench/plain"]
        print("warm-up round ...", file=sys.stderr)
        curl_download(url, models / "curl.bin", size)
        modella_download("bench/plain", size, sha)
        times: dict[str, list[float]] = {"curl": [], "curl_fsync": [], "modella": [], "modella_parallel": [], "hf": []}
        rss = []
        for number in range(1, args.rounds + 1):
            print(f"round {number}: curl, curl + fsync, Modella (1 and 4 connections), hf_hub_download ...",
                  file=sys.stderr)
            times["curl"].append(curl_download(url, models / "curl.bin", size))
            times["curl_fsync"].append(curl_download(url, models / "curl.bin", size, fsync=True))
            single = modella_download("bench/plain", size, sha)
            times["modella"].append(single["seconds"])
            rss.append(single["rss_growth_mb"])
            times["modella_parallel"].append(modella_download("bench/plain", size, sha, connections=4)["seconds"])
            times["hf"].append(hf_download(hf, "bench/plain", work / "hf-cache"))
        print("parallel vs single under the 50 MB/s per-connection cap ...", file=sys.stderr)
        capped_single = modella_download("bench/capped", capped, shas["bench/capped"])
        capped_par = modella_download("bench/capped", capped, shas["bench/capped"], connections=4)
        print(f"memory: {args.memory_gb:g} GB download ...", file=sys.stderr)
        memory = modella_download("bench/big", big, shas["bench/big"])

        mbps = {name: size / MB / statistics.median(values) for name, values in times.items()}
        each = {name: " / ".join(f"{size / MB / t:.0f}" for t in values) for name, values in times.items()}
        labels = {"curl": "curl -o (no hash, left in the page cache)",
                  "curl_fsync": "curl -o, then fsync (no hash, on disk)",
                  "modella": "Modella engine (SHA-256 verified inline, fsynced)",
                  "modella_parallel": "Modella engine, 4 parallel ranges (the default above 256 MB)",
                  "hf": "huggingface_hub.hf_hub_download (no hash, no fsync)"}
        print(f"\n### {size / 1024 / MB:g} GB generated file on 127.0.0.1, "
              f"median of {args.rounds} rounds\n")
        print("| client | MB/s (median) | each round | vs curl | vs curl + fsync |")
        print("|---|---|---|---|---|")
        for name, label in labels.items():
            print(f"| {label} | {mbps[name]:.0f} | {each[name]} | {mbps[name] / mbps['curl']:.2f}× "
                  f"| {mbps[name] / mbps['curl_fsync']:.2f}× |")
        print(f"\nModella vs hf_hub_download: {mbps['modella'] / mbps['hf']:.2f}×; "
              f"worker RSS growth during these runs: {max(rss):.1f} MB at most")
        print(f"\n### 50 MB/s per-connection cap, {capped / MB:.0f} MB file\n")
        print("| mode | MB/s | speed-up |")
        print("|---|---|---|")
        print(f"| single stream | {capped_single['mbps']:.0f} | 1.00× |")
        print(f"| 4 parallel ranges | {capped_par['mbps']:.0f} | {capped_par['mbps'] / capped_single['mbps']:.2f}× |")
        print(f"\n### Memory: {args.memory_gb:g} GB download\n")
        print(f"RSS growth {memory['rss_growth_mb']:.1f} MB at {memory['mbps']:.0f} MB/s; "
              f"{memory['db_writes']} progress writes in {memory['seconds']:.1f} s "
              f"({memory['writes_per_s']:.2f}/s); shortest gap between two writes {memory['shortest_gap']:.2f} s")
    finally:
        parent.send("stop")
        server.join(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(models, ignore_errors=True)


if __name__ == "__main__":
    main()
