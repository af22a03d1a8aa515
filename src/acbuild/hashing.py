"""blake3 hashing: bytes, files, directories and job ids.

The only module that imports ``blake3``. The job id is computed here, in
``job_id``, and nowhere else; tests pin literal ids so that a change of
scheme is a deliberate, versioned act (bump ``JOB_FORMAT``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from blake3 import blake3

from acbuild.errors import UnhashableFile

# Part of every job's identity: bump it when what a job directory means changes.
JOB_FORMAT = 1
ID_HEX_DIGITS = 12
# Files are read in pieces of this size: one that fits the CPU cache hashes as fast as a
# memory map does (bench/hash_bench.py), and a read, unlike a map, cannot die of SIGBUS
# when the file is truncated under it.
_CHUNK = 1 << 20
_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISDIR, "a directory"))


def hash_bytes(data: bytes) -> str:
    # digest().hex() is hexdigest(), in fewer instructions: each job's hash goes through here.
    return blake3(data).digest().hex()


def hash_file(path: str | os.PathLike[str]) -> str:
    """Content hash of one regular file (or a link to one); see ``hash_file_stat``."""
    return hash_file_stat(path)[0]


def hash_file_stat(path: str | os.PathLike[str]) -> tuple[str, os.stat_result]:
    """Content hash of one regular file, and its stat, the same before and after the read.

    Anything else is ``UnhashableFile``, never a hang: a FIFO, socket or device is refused
    before it is opened (and opened without blocking, should it become one meanwhile); a
    file that changed while it was read (its size, mtime, ctime or inode) gives no digest.
    """
    before = os.stat(path)
    if not stat.S_ISREG(before.st_mode):
        raise UnhashableFile(os.fspath(path), f"is {_kind(before.st_mode)}, not a regular file")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if _signature(os.fstat(fd)) != _signature(before):
            raise UnhashableFile(os.fspath(path), "changed while it was hashed")
        digest, size = _read_digest(fd, before.st_size)
        after = os.fstat(fd)
    finally:
        os.close(fd)
    if size != before.st_size or _signature(after) != _signature(before):
        raise UnhashableFile(os.fspath(path), "changed while it was hashed")
    return digest, before


def _read_digest(fd: int, size: int) -> tuple[str, int]:
    """blake3 of what ``fd`` reads to its end, and how many bytes that was."""
    if size < _CHUNK:  # most files: one read, and the empty one that says it was the end
        data = b""
        while len(data) <= size and (more := os.read(fd, size + 1 - len(data))):
            data += more
        return blake3(data).hexdigest(), len(data)
    hasher = blake3(max_threads=blake3.AUTO)
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    total = 0
    while n := os.readv(fd, (buffer,)):
        hasher.update(view[:n])
        total += n
    return hasher.hexdigest(), total


def _signature(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def hash_tree(path: str | os.PathLike[str],
              file_digest: Callable[[Path], str] | None = None) -> str:
    """Content hash of a directory: every file's relative name and content.

    Symlinks are followed (a link into its own ancestor is not, so a loop ends);
    empty directories and dangling links add nothing; a FIFO, socket or device in it is
    ``UnhashableFile``. ``file_digest`` hashes one file (a stat cache
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
        else:
            try:
                mode = entry.stat().st_mode
            except FileNotFoundError:
                continue  # a dangling link: no content to hash
            raise UnhashableFile(entry.path, f"is {_kind(mode)}, not a regular file")


def job_id(method: str, job_hash: str) -> str:
    """``<method>-<first 12 hex digits of the hash>``: the same on every machine."""
    return f"{method}-{job_hash[:ID_HEX_DIGITS]}"
