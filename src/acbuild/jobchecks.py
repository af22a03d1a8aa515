"""Whether a finished job's directory can be read as it is: its records whole, its files
what the job wrote (``problem``, ``problems``: the checks of a job that is read, and of
every job `status` shows).

A job whose files the work directory's index holds, read from the post.json the store's
``find`` saw, costs a stat a file; any other is read, and indexed in the target. What to do
with a job that has a problem is the caller's (``decision``, ``JobStore.recheck``).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat as stat_mode
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from acbuild.db import Database
from acbuild.errors import StorageError
from acbuild.filedigests import FileDigests
from acbuild.hashing import hash_file
from acbuild.intact import PostStat, changed_files, finished_record
from acbuild.jobrecords import SETUP_FILE, read_post
from acbuild.workdir import Workdir

EachDb = Callable[[Callable[[Database], Any]], Iterator[tuple[Workdir, Any]]]


class Found(Protocol):
    """A job ``find`` found (``store.Found``): its hash and directory."""

    @property
    def hash(self) -> str: ...
    @property
    def location(self) -> str | Path: ...


class JobChecks:
    """The checks of one store's jobs. ``each_db``: the store's query of each work
    directory's database; ``post_stats``: hash -> the ``PostStat`` of the post.json the
    store's ``find`` saw (filled by it)."""

    def __init__(self, target: Workdir, target_db: Callable[[], Database], each_db: EachDb,
                 post_stats: dict[str, PostStat], digests: FileDigests):
        self.target = target
        self.target_db = target_db
        self._each_db = each_db
        self._post_stats = post_stats
        self._cached_file_digest = digests.cached_file_digest
        self._store_fresh_digests = digests.store_fresh_digests

    def problem(self, job_dir: str | Path) -> tuple[str, str] | None:
        """What keeps a finished job's directory from being read as it is: (cause, words),
        ``damaged`` ("its directory is damaged: setup.json missing") or ``modified`` ("its
        files changed since it was built: out.txt"); None when its records are whole and
        its files are what the job wrote. post.json is read; it lists each file's size,
        mtime and blake3: a stat each, and a read only of a file whose mtime moved."""
        problem, _ = self._read_problem(str(job_dir))
        self._store_fresh_digests()
        return problem

    def _read_problem(self, job_dir: str) -> tuple[tuple[str, str] | None, Any]:
        """``problem``, from post.json read; and what to index of it (its ``PostStat``,
        files), None for a damaged one."""
        try:
            files, post_stat = finished_record(job_dir)
        except StorageError as e:
            return ("damaged", f"its directory is damaged: {e.message}"), None
        return self._files_problem(job_dir, files), (post_stat, files)

    def _files_problem(self, job_dir: str, files: dict[str, Any]) -> tuple[str, str] | None:
        changed = changed_files(job_dir, files, self._cached_file_digest) if files else []
        if changed:
            return "modified", f"its files changed since it was built: {_names(changed)}"
        return None

    def problems(self, jobs: Iterable[Found]) -> dict[str, tuple[str, str]]:
        """``problem`` of each of ``jobs`` that has one, by hash. A job whose files its work
        directory's index holds, read from the post.json ``find`` saw (the one its row
        records), costs a stat of setup.json and one per file, no read; any other job is
        read, and indexed (in the target) for the next time."""
        index: dict[str, dict[str, tuple[PostStat, str]]] = {
            str(workdir.path): files for workdir, files in self._each_db(
                lambda db: db.job_files())}
        found: dict[str, tuple[str, str]] = {}
        fresh: list[tuple[str, int, int, int, str]] = []
        target = str(self.target.path)
        seen = self._post_stats
        none: dict[str, tuple[PostStat, str]] = {}
        for job in jobs:
            location = str(job.location)
            root = location.rpartition("/")[0]  # (a job's location is <workdir>/<id>)
            entry = index.get(root, none).get(job.hash)
            if (entry is not None and seen.get(job.hash) == entry[0]
                    and _regular(f"{location}/{SETUP_FILE}")):
                text = entry[1]
                problem = None if text == "{}" else self._files_problem(location,
                                                                         json.loads(text))
            else:  # not indexed (or setup.json not a file: said as reading it says it)
                problem, read = self._read_problem(location)
                if read is not None and root == target:
                    (size, mtime_ns, ctime_ns), files = read
                    fresh.append((job.hash, size, mtime_ns, ctime_ns, json.dumps(files)))
            if problem is not None:
                found[job.hash] = problem
        self._store_fresh_digests()
        if fresh:
            with contextlib.suppress(StorageError):  # an index: not keeping it loses nothing
                self.target_db().keep_job_files(fresh)
        return found


def file_changed(job_dir: Path, name: str) -> bool:
    """Whether the file ``name`` a finished job wrote is no longer what it wrote (post.json's
    size; its blake3 when its mtime moved): a result that must not be presented as the
    job's (``show``, ``compare``, ``open_project``). A stat, and a read only when moved."""
    try:
        files = read_post(job_dir).get("files")
    except StorageError:
        return False
    if not isinstance(files, dict) or name not in files:
        return False
    return bool(changed_files(str(job_dir), {name: files[name]}, hash_file))


SHOWN_FILES = 3  # a reason names at most this many changed files


def _names(files: Sequence[str]) -> str:
    more = len(files) - SHOWN_FILES
    return ", ".join(files[:SHOWN_FILES]) + (f" and {more} more" if more > 0 else "")


def _regular(path: str) -> bool:
    try:
        return stat_mode.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
