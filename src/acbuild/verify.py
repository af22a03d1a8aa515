"""`acbuild verify`: is every file of a job still what the job wrote?

A job's ``post.json`` lists the size and blake3 of every file the method wrote
(``result.pickle`` included); verify hashes them again and reports each file
that changed, went missing or was added since. acbuild's own records beside
them (setup.json, post.json, the logs, source/) are not in that list. Reads
only; returns records and never prints.

A job's ``source/`` is checked against the blake3 its setup.json records for each
file (``code.files``; older jobs record none). Its files are hard links into the
work directory's source store (``acbuild.sourcestore``), shared by every job of
the same code: a change to one is a change to all of them, and each is reported
with the jobs that share the file. A shared file is hashed once per verify.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from acbuild.errors import StorageError, UnhashableFile
from acbuild.hashing import hash_file
from acbuild.job import OWN_FILES, RESULT_FILE
from acbuild.jobrecords import SOURCE_DIR, read_post, read_setup
from acbuild.sourcestore import SourceStore, sharing

# How many of the jobs sharing a changed source file a change names (JSON: all of them).
_NAMED = 5
# Not in post.json's "files": acbuild's records (and the temporary name post.json is
# written under, which a job killed at that instant leaves).
_RECORDS = (OWN_FILES - {RESULT_FILE}) | {".post.json.tmp", "post.json.tmp"}


@dataclass(frozen=True)
class FileChange:
    name: str  # relative to the job directory
    what: str  # changed, missing, added, unreadable
    detail: str = ""
    shared_with: tuple[str, ...] = ()  # a source file: every job whose source/ links it


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
    hashed: dict[tuple[int, int], str] = {}  # by device and inode: a shared file once
    checks = [verify_job(path, hashed) for path in paths]
    sharers = _Sharers()
    return [JobCheck(c.id, c.path, c.files, tuple(sharers.name(c.path, f) for f in c.changes),
                     c.problem) if c.changes else c for c in checks]


def verify_job(path: Path, hashed: dict[tuple[int, int], str] | None = None) -> JobCheck:
    """Hash every file of the job directory ``path`` again against its post.json, and its
    source/ against its setup.json."""
    try:
        setup = read_setup(path)
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
    changes += _check_sources(path, setup, {} if hashed is None else hashed)
    return JobCheck(path.name, path, len(listed), tuple(changes))


def _check_sources(job_dir: Path, setup: dict[str, object],
                   hashed: dict[tuple[int, int], str]) -> list[FileChange]:
    code = setup.get("code")
    recorded = code.get("files") if isinstance(code, dict) else None
    if not isinstance(recorded, dict):
        return []  # a job of an acbuild that recorded no digests of its sources
    changes = []
    for relpath, digest in sorted(recorded.items()):
        name = f"{SOURCE_DIR}/{relpath}"
        full = job_dir / SOURCE_DIR / relpath
        try:
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):  # what it leads to is not what the job ran
                changes.append(FileChange(name, "changed", "a link, not the file the job "
                                          "ran"))
                continue
            key = (st.st_dev, st.st_ino)
            if key not in hashed:
                hashed[key] = hash_file(full)
        except FileNotFoundError:
            changes.append(FileChange(name, "missing"))
            continue
        except (OSError, UnhashableFile) as e:
            changes.append(FileChange(name, "unreadable", str(e)))
            continue
        if hashed[key] != digest:
            changes.append(FileChange(name, "changed", "content differs from what the job "
                                      "ran" + _in_store(job_dir, str(digest), key)))
    changes += [FileChange(f"{SOURCE_DIR}/{rel}", "added", "not a source file the job ran")
                for rel in sorted(set(_entries(job_dir / SOURCE_DIR)) - set(recorded))]
    return changes


def _entries(root: Path, prefix: str = "") -> Iterator[str]:
    """Every name below ``root`` that is no directory (links included, none followed)."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _entries(Path(entry.path), f"{prefix}{entry.name}/")
        else:
            yield prefix + entry.name


def _in_store(job_dir: Path, digest: str, key: tuple[int, int]) -> str:
    """Where the changed file is the source store's own, say so: it is what later jobs of
    the same code would have been linked to."""
    stored = SourceStore(job_dir.parent).path(digest)
    try:
        st = os.stat(stored)
    except OSError:
        return ""
    if (st.st_dev, st.st_ino) != key:
        return ""
    return f" (the source store's file {os.path.relpath(stored, job_dir.parent)} was modified)"


class _Sharers:
    """Which jobs of a work directory share a changed source file (one hard-linked file):
    read from the jobs' source/ directories once per work directory, and only when a
    shared file changed."""

    def __init__(self) -> None:
        self._by_inode: dict[Path, dict[tuple[int, int], tuple[str, ...]]] = {}

    def name(self, job_dir: Path, change: FileChange) -> FileChange:
        if not change.name.startswith(SOURCE_DIR + "/") or change.what != "changed":
            return change
        try:
            st = (job_dir / change.name).stat()
        except OSError:
            return change
        if st.st_nlink <= 1:
            return change
        workdir = job_dir.parent
        if workdir not in self._by_inode:
            self._by_inode[workdir] = {inode: tuple(names) for inode, names in sharing(
                p for p in workdir.iterdir() if p.is_dir() and not p.name.startswith(".")
            ).items()}
        shared = self._by_inode[workdir].get((st.st_dev, st.st_ino), ())
        others = [j for j in shared if j != job_dir.name]
        if not others:
            return change
        named = ", ".join(others[:_NAMED]) + (f" and {len(others) - _NAMED} more"
                                              if len(others) > _NAMED else "")
        detail = (f"{change.detail}; the file is shared: the change is also in "
                  f"{len(others)} other job(s): {named}")
        return FileChange(change.name, change.what, detail, shared)  # one tuple for all


def shared_files(checks: Iterable[JobCheck]) -> list[tuple[str, tuple[str, ...]]]:
    """Each changed shared source file once, as (the first job's file, every job sharing
    it): what a change's ``shared_with`` says, without repeating it for each job."""
    seen: dict[int, tuple[str, tuple[str, ...]]] = {}
    for check in checks:
        for change in check.changes:
            if change.shared_with and id(change.shared_with) not in seen:
                seen[id(change.shared_with)] = (f"{check.id}/{change.name}",
                                                change.shared_with)
    return list(seen.values())


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
