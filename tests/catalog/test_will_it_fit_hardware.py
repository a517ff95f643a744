"""Will it fit: reading this machine's RAM and GPUs (sample driver output), and the settings that state them."""

import pytest

from modella import hardware

MiB = 1024**2
GiB = 1024**3

MEMINFO = """MemTotal:       24683656 kB
MemFree:        21045320 kB
MemAvailable:   23313920 kB
Buffers:           53244 kB
"""

# `nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv,noheader,nounits` on a two-GPU box.
NVIDIA_SMI = """NVIDIA GeForce RTX 3090, 24576, 1034
NVIDIA RTX A4000, Laptop GPU, 16376, 5
"""

# /proc/driver/nvidia/gpus/0000:01:00.0/information
PROC_NVIDIA = """Model: \t\t NVIDIA GeForce RTX 4090
IRQ:   \t\t 139
GPU UUID: \t GPU-5c4b3a29-8f1e-4c2d-9b7a-6e5d4c3b2a19
Video BIOS: \t 95.02.18.80.5f
Bus Type: \t PCIe
DMA Size: \t 47 bits
DMA Mask: \t 0x7fffffffffff
Bus Location: \t 0000:01:00.0
Device Minor: \t 0
GPU Excluded:\t No
"""


def test_it_reads_total_and_available_ram_from_meminfo():
    assert hardware.parse_meminfo(MEMINFO) == (24683656 * 1024, 23313920 * 1024)
    assert hardware.parse_meminfo("garbage\n") == (None, None)


def test_it_reads_every_gpu_from_nvidia_smi():
    gpus = hardware.parse_nvidia_smi(NVIDIA_SMI)
    assert gpus == [
        hardware.Gpu("NVIDIA GeForce RTX 3090", 24576 * MiB, 1034 * MiB),
        hardware.Gpu("NVIDIA RTX A4000, Laptop GPU", 16376 * MiB, 5 * MiB),  # a comma in the name
    ]
    machine = hardware.Machine(32 * GiB, None, tuple(gpus))
    assert machine.gpu_total_bytes == (24576 + 16376) * MiB  # llama.cpp splits layers across GPUs


def test_memory_nvidia_smi_cannot_tell_is_unknown():
    assert hardware.parse_nvidia_smi("NVIDIA GH200 480GB, [N/A], [N/A]\n") == [
        hardware.Gpu("NVIDIA GH200 480GB", None, None)]
    assert hardware.parse_nvidia_smi("No devices were found\n") == []
    assert hardware.Machine(GiB, None, (hardware.Gpu("x", None),)).gpu_total_bytes is None


def test_the_proc_driver_file_names_the_gpu_but_not_its_memory():
    assert hardware.parse_proc_nvidia(PROC_NVIDIA) == hardware.Gpu("NVIDIA GeForce RTX 4090", None)
    assert hardware.parse_proc_nvidia("IRQ: 12\n") is None


def test_detection_reads_this_machine_without_failing():
    found = hardware.detect()
    assert found.ram_total_bytes and found.ram_total_bytes > 64 * MiB
    assert found.ram_source in ("meminfo", "sysconf")


@pytest.mark.parametrize(
    ("ram", "gpu", "expected"),
    [
        (48 * GiB, 12 * GiB, (48 * GiB, 12 * GiB, "setting", "setting")),
        (48 * GiB, 0, (48 * GiB, None, "setting", "")),  # 0: no GPU, whatever the driver says
    ],
)
def test_the_settings_replace_what_was_detected(settings, ram, gpu, expected):
    settings.RAM_BYTES, settings.GPU_BYTES = ram, gpu
    machine = hardware.machine()
    assert (machine.ram_total_bytes, machine.gpu_total_bytes, machine.ram_source, machine.gpu_source) == expected


def test_without_settings_the_detected_values_are_used_and_cached(settings):
    settings.RAM_BYTES = settings.GPU_BYTES = None
    hardware.clear_cache()
    first = hardware.machine()
    assert first.ram_source in ("meminfo", "sysconf")
    assert first.ram_total_bytes == hardware.detect().ram_total_bytes
    assert hardware.machine() is first  # the cache answers until CACHE_SECONDS have passed
