"""bench/transfer.py is a deliverable of its own: a tiny run keeps it from rotting unnoticed."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_transfer_benchmark_prints_its_tables(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "MODELLA_", "DJANGO_"))}
    env["TMPDIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "bench/transfer.py", "--size-gb", "0.01", "--rounds", "1", "--memory-gb", "0.01",
         "--capped-mb", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for row in ("| curl -o (no hash", "| curl -o, then fsync", "| Modella engine (SHA-256 verified inline",
                "| huggingface_hub.hf_hub_download", "| 4 parallel ranges |", "progress writes in"):
        assert row in out, out
    assert not list(tmp_path.glob("modella-bench-*"))  # everything it wrote is gone
