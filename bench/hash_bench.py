"""Input-file hashing throughput on a 1 GiB file: blake3 (as acbuild hashes inputs) beside
``sha256sum``, the first time and through the stat cache.

    PYTHONPATH=src python bench/hash_bench.py [--size-mib 1024]

Writes the file in a temporary directory and deletes it afterwards. "cold" rows first
drop the file from the page cache (posix_fadvise DONTNEED), so they read from disk;
"warm" rows read it from memory. Each warm figure is the best of three. Not a test:
it reports numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import mmap
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from blake3 import blake3

from acbuild import hashing
from acbuild.store import JobStore

CHUNK = 64 << 20


def write_file(path: Path, size: int) -> None:
    block = os.urandom(CHUNK)  # incompressible; repeated, which no hash can exploit
    with open(path, "wb") as f:
        for written in range(0, size, CHUNK):
            f.write(block[: min(CHUNK, size - written)])
        f.flush()
        os.fsync(f.fileno())
    old = time.time() - 3600  # older than the stat cache's freshness window
    os.utime(path, (old, old))


def evict(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def timed(run: Callable[[], object], repeat: int = 1, cold: Path | None = None) -> float:
    best = float("inf")
    for _ in range(repeat):
        if cold is not None:
            evict(cold)
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def blake3_one_thread(path: Path) -> str:
    hasher = blake3()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def blake3_mmap(path: Path) -> str:
    """How acbuild hashed input files before reading them in pieces: faster on many cores,
    but a file truncated under the map kills the process with SIGBUS."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return blake3(m, max_threads=blake3.AUTO).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    args = parser.parse_args()
    size = args.size_mib << 20
    tmp = Path(tempfile.mkdtemp(prefix="acbuild-hash-bench-"))
    try:
        data = tmp / "input.bin"
        print(f"writing {args.size_mib} MiB to {data} …", file=sys.stderr)
        write_file(data, size)
        rows = run_all(data, tmp / "workdir")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nhashing a {args.size_mib} MiB file, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}\n")
    print(f"{'what':<54} {'seconds':>10} {'MiB/s':>9}")
    for name, seconds in rows:
        rate = f"{args.size_mib / seconds:9.0f}" if seconds > 0.01 else f"{'(not read)':>9}"
        print(f"{name:<54} {seconds:10.6f} {rate}")


def run_all(data: Path, workdir: Path) -> list[tuple[str, float]]:
    sha = shutil.which("sha256sum")
    rows = []

    def sha256sum() -> None:
        subprocess.run([sha or "sha256sum", str(data)], check=True, capture_output=True)

    rows.append(("sha256sum, cold", timed(sha256sum, cold=data)))
    rows.append(("blake3 hash_file (1 MiB reads), cold", timed(
        lambda: hashing.hash_file(data), cold=data)))
    rows.append(("sha256sum, warm", timed(sha256sum, 3)))
    rows.append(("blake3, one thread, 64 MiB reads, warm",
                 timed(lambda: blake3_one_thread(data), 3)))
    rows.append(("blake3 hash_file (1 MiB reads), warm", timed(
        lambda: hashing.hash_file(data), 3)))
    rows.append(("blake3 over a memory map, threads (before), warm",
                 timed(lambda: blake3_mmap(data), 3)))
    store = JobStore(workdir)
    first = timed(lambda: store.digests.file_digest(data), cold=data)
    rows.append(("FileDigests.file_digest, first time (cold, then stored)", first))
    store.close()
    rows.append(("FileDigests.file_digest, stat cache hit (a later run)", cached(data, workdir)))
    return rows


def cached(data: Path, workdir: Path) -> float:
    """Best of three later runs: a fresh JobStore each, so only the database remembers."""
    best = float("inf")
    for _ in range(3):
        store = JobStore(workdir)
        store.target_db()  # opening the database is not hashing
        best = min(best, timed(lambda s=store: s.digests.file_digest(data)))  # type: ignore[misc]
        store.close()
    return best


if __name__ == "__main__":
    main()
