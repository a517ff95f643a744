"""Throughput of the fake CDN on loopback: python -m tests.fakehub.bench [--gb 2] [--connections 1].

The client reads with large recv_into calls into one buffer, so it measures the server, not the client.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from urllib.parse import urlsplit

from .hub import FakeHub


def read_all(url: str, range_header: str | None = None) -> int:
    """GET url over a raw socket and return the number of body bytes read (headers skipped)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    extra = f"Range: {range_header}\r\n" if range_header else ""
    sock.sendall(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{extra}\r\n".encode())
    buf = bytearray(4 << 20)
    view = memoryview(buf)
    head = b""
    total = 0
    while True:
        n = sock.recv_into(view)
        if not n:
            break
        if head is not None:
            head += bytes(view[:n])
            if b"\r\n\r\n" in head:
                total += len(head) - head.index(b"\r\n\r\n") - 4
                head = None
        else:
            total += n
    sock.close()
    return total


def measure(hub: FakeHub, size: int, connections: int = 1) -> float:
    """Bytes per second for `size` bytes of generated content, split over `connections` ranges."""
    import requests

    hub.add_hf_repo("bench/throughput", files={"blob.bin": hub.generated(size, seed=99)})
    location = requests.head(hub.hf_file_url("bench/throughput", "blob.bin")).headers["Location"]
    step = size // connections
    ranges = [f"bytes={i * step}-{size - 1 if i == connections - 1 else (i + 1) * step - 1}"
              for i in range(connections)]
    counts: list[int] = []
    started = time.perf_counter()
    threads = [threading.Thread(target=lambda r=r: counts.append(read_all(location, r))) for r in ranges]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert sum(counts) == size, (sum(counts), size)
    return size / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=1)
    args = parser.parse_args()
    with FakeHub(seed=False) as hub:
        rate = measure(hub, int(args.gb * 1e9), args.connections)
    print(f"{args.gb:.1f} GB over {args.connections} connection(s): {rate / 1e9:.2f} GB/s")


if __name__ == "__main__":
    main()
