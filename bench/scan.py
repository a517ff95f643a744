"""Time a scan of the models folder: N sparse model files, cold (everything hashed) and warm.

    MODELLA_DATA_DIR=/tmp/modella-bench .venv/bin/python bench/scan.py [--files 5000] [--size 262144]

Uses a throwaway data directory (its own SQLite database and models folder) and prints one line
per run. The warm scan must hash 0 bytes: the cache (path + size + mtime + inode) answers.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--size", type=int, default=256 * 1024, help="apparent size of each sparse file")
    args = parser.parse_args()

    data_dir = Path(os.environ.get("MODELLA_DATA_DIR") or tempfile.mkdtemp(prefix="modella-bench-"))
    os.environ["MODELLA_DATA_DIR"] = str(data_dir)
    os.environ["MODELLA_MODELS_DIR"] = str(data_dir / "bench-models")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "modella.settings")
    os.environ.setdefault("MODELLA_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from storage import scan
    from storage.models import LocalFile

    call_command("migrate", verbosity=0)
    LocalFile.objects.all().delete()
    models = Path(settings.MODELS_DIR)
    models.mkdir(parents=True, exist_ok=True)
    extensions = (".gguf", ".safetensors", ".ckpt", ".pt", ".bin")
    for i in range(args.files):
        path = models / f"folder-{i % 50:02d}" / f"model-{i:05d}{extensions[i % len(extensions)]}"
        path.parent.mkdir(exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(i.to_bytes(8, "little"))  # distinct content per file
            fh.truncate(args.size)

    print(f"{args.files} sparse files of {args.size} bytes in {models}")
    for label in ("cold", "warm"):
        started = time.perf_counter()
        result = scan.scan(identify_files=False)
        seconds = time.perf_counter() - started
        print(f"{label}: {seconds:.2f} s, {result.found} found, {result.hashed} hashed, "
              f"{result.bytes_hashed / 1024**2:.0f} MiB hashed, {result.bytes_read} bytes read in all, "
              f"{result.found / seconds:.0f} files/s")


if __name__ == "__main__":
    main()
