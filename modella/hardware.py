"""This machine's memory: RAM and, where an NVIDIA driver shows one, GPU memory.

RAM comes from /proc/meminfo (MemTotal, MemAvailable), else os.sysconf. GPUs come from
`nvidia-smi` (name, total and used memory per GPU), else /proc/driver/nvidia/gpus/*/information,
which names the GPU but not its memory. Detection runs a subprocess, so its result is kept for
CACHE_SECONDS in each process. MODELLA_RAM_BYTES and MODELLA_GPU_BYTES (settings RAM_BYTES,
GPU_BYTES; 0 = no GPU) replace what was detected: for containers whose limits /proc does not
show, and for the tests, which state the sizes they check against.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, replace

from django.conf import settings

logger = logging.getLogger(__name__)

CACHE_SECONDS = 5 * 60
NVIDIA_SMI_TIMEOUT = 3.0
NVIDIA_SMI_QUERY = ["--query-gpu=name,memory.total,memory.used", "--format=csv,noheader,nounits"]
MIB = 1024**2


@dataclass(frozen=True)
class Gpu:
    name: str
    total_bytes: int | None  # None: the driver names the GPU but not its memory
    used_bytes: int | None = None


@dataclass(frozen=True)
class Machine:
    ram_total_bytes: int | None
    ram_available_bytes: int | None
    gpus: tuple[Gpu, ...] = ()
    ram_source: str = ""  # "meminfo", "sysconf", "setting" or "" (unknown)
    gpu_source: str = ""  # "nvidia-smi", "proc", "setting" or "" (none found)

    @property
    def gpu_total_bytes(self) -> int | None:
        """The memory of all GPUs together (llama.cpp splits layers across them), if known."""
        sizes = [g.total_bytes for g in self.gpus if g.total_bytes]
        return sum(sizes) if sizes else None

    def as_dict(self) -> dict:
        return {
            "ram": {"total_bytes": self.ram_total_bytes, "available_bytes": self.ram_available_bytes,
                    "source": self.ram_source or None},
            "gpus": [{"name": g.name, "total_bytes": g.total_bytes, "used_bytes": g.used_bytes} for g in self.gpus],
            "gpu_total_bytes": self.gpu_total_bytes,
            "gpu_source": self.gpu_source or None,
        }


# --- parsing (pure functions: the tests feed them sample text) -------------------------------------
def parse_meminfo(text: str) -> tuple[int | None, int | None]:
    """(MemTotal, MemAvailable) in bytes from /proc/meminfo text (values are in kB)."""
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if key in ("MemTotal", "MemAvailable") and parts and parts[0].isdigit():
            values[key] = int(parts[0]) * 1024
    return values.get("MemTotal"), values.get("MemAvailable")


def _mib(value: str) -> int | None:
    value = value.strip()
    return int(float(value) * MIB) if value.replace(".", "", 1).isdigit() else None  # "[N/A]" -> None


def parse_nvidia_smi(text: str) -> list[Gpu]:
    """GPUs from `nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv,noheader,nounits`.

    One line per GPU, memory in MiB; the name may itself contain commas, so fields are taken from
    the right."""
    gpus = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, numbers = line.rpartition(",")
        name, sep2, total = name.rpartition(",")
        if not (sep and sep2 and name.strip()):
            continue
        gpus.append(Gpu(name=name.strip(), total_bytes=_mib(total), used_bytes=_mib(numbers)))
    return gpus


def parse_proc_nvidia(text: str) -> Gpu | None:
    """The GPU named in /proc/driver/nvidia/gpus/<bus id>/information ("Model: NVIDIA ...").

    That file has no memory size: the GPU is known to exist, its memory is not."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Model" and value.strip():
            return Gpu(name=value.strip(), total_bytes=None)
    return None


# --- detection -------------------------------------------------------------------------------------
def _ram() -> tuple[int | None, int | None, str]:
    try:
        with open("/proc/meminfo", encoding="ascii", errors="replace") as fh:
            total, available = parse_meminfo(fh.read())
        if total:
            return total, available, "meminfo"
    except OSError:
        pass
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        available_pages = os.sysconf("SC_AVPHYS_PAGES") if "SC_AVPHYS_PAGES" in os.sysconf_names else None
    except (ValueError, OSError, AttributeError):
        return None, None, ""
    if pages <= 0 or page_size <= 0:
        return None, None, ""
    return pages * page_size, (available_pages * page_size if available_pages else None), "sysconf"


def _gpus() -> tuple[list[Gpu], str]:
    binary = shutil.which("nvidia-smi")
    if binary:
        try:
            done = subprocess.run([binary, *NVIDIA_SMI_QUERY], capture_output=True, text=True,
                                  timeout=NVIDIA_SMI_TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            logger.info("nvidia-smi failed: %s", exc)
        else:
            gpus = parse_nvidia_smi(done.stdout) if done.returncode == 0 else []
            if gpus:
                return gpus, "nvidia-smi"
    found = []
    for path in sorted(glob.glob("/proc/driver/nvidia/gpus/*/information")):
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                gpu = parse_proc_nvidia(fh.read())
        except OSError:
            continue
        if gpu:
            found.append(gpu)
    return found, ("proc" if found else "")


def detect() -> Machine:
    """What this machine has, read now (no cache, no settings)."""
    total, available, ram_source = _ram()
    gpus, gpu_source = _gpus()
    return Machine(total, available, tuple(gpus), ram_source, gpu_source)


_lock = threading.Lock()
_cached: tuple[float, Machine] | None = None


def machine() -> Machine:
    """This machine's memory as the fit estimate uses it: detected (cached), settings on top."""
    global _cached
    with _lock:
        if _cached is None or time.monotonic() - _cached[0] > CACHE_SECONDS:
            _cached = (time.monotonic(), detect())
        found = _cached[1]
    ram_bytes = getattr(settings, "RAM_BYTES", None)
    gpu_bytes = getattr(settings, "GPU_BYTES", None)
    if ram_bytes is not None:
        found = replace(found, ram_total_bytes=ram_bytes, ram_available_bytes=None, ram_source="setting")
    if gpu_bytes is not None:
        gpus = (Gpu(name="MODELLA_GPU_BYTES", total_bytes=gpu_bytes),) if gpu_bytes else ()
        found = replace(found, gpus=gpus, gpu_source="setting" if gpu_bytes else "")
    return found


def clear_cache() -> None:
    global _cached
    with _lock:
        _cached = None
