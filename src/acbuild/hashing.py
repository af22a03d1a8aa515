"""blake3 hashing: bytes, files, directories and job ids.

The only module that imports ``blake3``. The job id is computed here, in
``job_id``, and nowhere else; tests pin literal ids so that a change of
scheme is a deliberate, versioned act (bump ``JOB_FORMAT``).
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from blake3 import blake3

# Part of every job's identity: bump it when what a job directory means changes.
JOB_FORMAT = 1
ID_HEX_DIGITS = 12
# Below this size a plain read beats setting up a memory map and threads.
_MMAP_THRESHOLD = 1 << 20


def hash_bytes(data: bytes) -> str:
    # digest().hex() is hexdigest(), in fewer instructions: each job's hash goes through here.
    return blake3(data).digest().hex()


def hash_file(path: str | os.PathLike[str]) -> str:
    """Content hash of one file; large files are hashed over a memory map with threads."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < _MMAP_THRESHOLD:
            return blake3(f.read()).hexdigest()
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return blake3(m, max_threads=blake3.AUTO).hexdigest()


def hash_tree(path: str | os.PathLike[str],
              file_digest: Callable[[Path], str] | None = None) -> str:
    """Content hash of a directory: every file's relative name and content.

    Symlinks are followed (a link into its own ancestor is not, so a loop ends);
    empty directories add nothing. ``file_digest`` hashes one file (a stat cache
    may answer instead of reading); by default ``hash_file``.
    """
    digest_of = file_digest or hash_file
    root = Path(path)
    entries = []
    for relpath, full in _tree_files(root, root, frozenset()):
        name = relpath.encode("utf-8", "surrogateescape")
        # Length-prefixed: no file name, whatever its characters, can fake another entry.
        entries.append(b"%d:%s %s\n" % (len(name), name, digest_of(full).encode()))
    return hash_bytes(b"tree 1\n" + b"".join(entries))


def _tree_files(root: Path, directory: Path, ancestors: frozenset[str]
                ) -> Iterator[tuple[str, Path]]:
    """(relative name, path) of every file under ``directory``, in name order."""
    real = os.path.realpath(directory)
    if real in ancestors:
        return  # a symlink back into the tree: following it would never end
    ancestors = ancestors | {real}
    with os.scandir(directory) as scan:
        entries = sorted(scan, key=lambda e: e.name)
    for entry in entries:
        full = Path(entry.path)
        if entry.is_dir():
            yield from _tree_files(root, full, ancestors)
        elif entry.is_file():
            yield full.relative_to(root).as_posix(), full


def job_id(method: str, job_hash: str) -> str:
    """``<method>-<first 12 hex digits of the hash>``: the same on every machine."""
    return f"{method}-{job_hash[:ID_HEX_DIGITS]}"
