"""blake3 hashing: bytes, files, directories and job ids.

The only module that imports ``blake3``. The job id is computed here, in
``job_id``, and nowhere else; tests pin literal ids so that a change of
scheme is a deliberate, versioned act (bump ``JOB_FORMAT``).
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

from blake3 import blake3

# Part of every job's identity: bump it when what a job directory means changes.
JOB_FORMAT = 1
ID_HEX_DIGITS = 12
# Below this size a plain read beats setting up a memory map and threads.
_MMAP_THRESHOLD = 1 << 20


def hash_bytes(data: bytes) -> str:
    return blake3(data).hexdigest()


def hash_file(path: str | os.PathLike[str]) -> str:
    """Content hash of one file; large files are hashed over a memory map with threads."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < _MMAP_THRESHOLD:
            return blake3(f.read()).hexdigest()
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return blake3(m, max_threads=blake3.AUTO).hexdigest()


def hash_tree(path: str | os.PathLike[str]) -> str:
    """Content hash of a directory: every file's relative name and content, symlinks followed."""
    root = Path(path)
    entries = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames.sort()
        for name in sorted(filenames):
            full = Path(dirpath) / name
            entries.append(f"{full.relative_to(root).as_posix()}\0{hash_file(full)}\n")
    return hash_bytes(("tree\n" + "".join(entries)).encode())


def hash_path(path: str | os.PathLike[str]) -> str:
    """``hash_tree`` for a directory, ``hash_file`` for anything else."""
    return hash_tree(path) if os.path.isdir(path) else hash_file(path)


def job_id(method: str, job_hash: str) -> str:
    """``<method>-<first 12 hex digits of the hash>``: the same on every machine."""
    return f"{method}-{job_hash[:ID_HEX_DIGITS]}"
