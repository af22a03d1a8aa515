"""`acbuild verify`: is every file of a job still what the job wrote?

A job's ``post.json`` lists the size and blake3 of every file the method wrote
(``result.pickle`` included); verify hashes them again and reports each file
that changed, went missing or was added since. acbuild's own records beside
them (setup.json, post.json, the logs, source/) are not in that list. Reads
only; returns records and never prints.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from acbuild.errors import StorageError, UnhashableFile
from acbuild.hashing import hash_file
from acbuild.job import OWN_FILES, RESULT_FILE
from acbuild.workdir import read_post, read_setup

# Not in post.json's "files": acbuild's records (and the temporary name post.json is
# written under, which a job killed at that instant leaves).
_RECORDS = (OWN_FILES - {RESULT_FILE}) | {".post.json.tmp", "post.json.tmp"}


@dataclass(frozen=True)
class FileChange:
    name: str  # relative to the job directory
    what: str  # changed, missing, added, unreadable
    detail: str = ""


@dataclass(frozen=True)
class JobCheck:
    """One job verified: ``problem`` when its records cannot be read at all."""

    id: str
    path: Path
    files: int  # how many files post.json lists
    changes: tuple[FileChange, ...] = ()
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None and not self.changes


def verify_jobs(paths: Iterable[Path]) -> list[JobCheck]:
    return [verify_job(path) for path in paths]


def verify_job(path: Path) -> JobCheck:
    """Hash every file of the job directory ``path`` again against its post.json."""
    try:
        read_setup(path)
        post = read_post(path)
    except StorageError as e:
        return JobCheck(path.name, path, 0, problem=str(e))
    listed = post.get("files")
    if not isinstance(listed, dict):
        return JobCheck(path.name, path, 0, problem="post.json lists no files")
    changes = [change for name, meta in sorted(listed.items())
               if (change := _check_file(path, name, meta)) is not None]
    changes += [FileChange(name, "added", "not written by the job")
                for name in sorted(set(_written_files(path)) - set(listed))]
    return JobCheck(path.name, path, len(listed), tuple(changes))


def _check_file(job_dir: Path, name: str, meta: object) -> FileChange | None:
    if not isinstance(meta, dict):
        return FileChange(name, "unreadable", "post.json's entry is not a record")
    full = job_dir / name
    try:
        size = full.stat().st_size
        digest = hash_file(full)
    except FileNotFoundError:
        return FileChange(name, "missing")
    except UnhashableFile as e:  # replaced by a FIFO or a device, or being written to
        return FileChange(name, "changed", e.reason)
    except OSError as e:
        return FileChange(name, "unreadable", e.strerror or str(e))
    if size != meta.get("size"):
        return FileChange(name, "changed", f"size {meta.get('size')} → {size}")
    if digest != meta.get("blake3"):
        return FileChange(name, "changed", "content differs (blake3)")
    return None


def _written_files(job_dir: Path) -> Iterator[str]:
    """The files a job's post.json would list now: as the job process lists them, every
    file (a link to a file too) below the job directory but acbuild's records."""
    stack = [(str(job_dir), "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if not prefix and entry.name in _RECORDS:
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, f"{prefix}{entry.name}/"))
            elif entry.is_file():
                yield prefix + entry.name
