"""The on-disk layout of a work directory: staging, atomic publish, job directories.

```
WORKDIR/<job id>/   finished jobs (setup.json, source/, post.json, logs, files)
WORKDIR/.tmp/       jobs being built, and the lock files
WORKDIR/.failed/    failed jobs, kept for `acbuild show`
```
A job becomes visible only by one ``os.replace`` of its finished staging
directory. Nothing is ever deleted through a link: a work directory whose
``.tmp`` or ``.failed`` is one is refused, and what is removed is removed as
what it is (a real directory's tree, or the link or file itself). Knows nothing
of scripts, plans or the terminal.
A job directory's records are read by ``jobrecords``; whether one is intact is
``intact``'s.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import stat
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from acbuild.errors import DiskFull, StorageError
from acbuild.joblocks import OFD_SETLK, JobLock, lock_offset, try_lock
from acbuild.joblog import LOGS, SLICE_LOGS
from acbuild.jobrecords import POST_FILE, SETUP_FILE, SOURCE_DIR, setup_text
from acbuild.sourcestore import SourceStore, write_new_file

STAGING_DIR = ".tmp"
FAILED_DIR = ".failed"
# What acbuild writes in every job directory, beside what the method writes.
JOB_RECORDS = frozenset({SETUP_FILE, POST_FILE, SOURCE_DIR, *LOGS, SLICE_LOGS})
# Held shared by every acbuild process that uses a work directory's jobs; `gc` takes it
# exclusively, so it never removes a job a run is reading, reusing or building.
USE_LOCK = "in-use.lock"
# One file for every job's build lock: a job locks one byte of it, at an offset its id picks.
# A lock file per job cost a new inode per job built (and on some file systems a new inode
# costs a tenth of a millisecond or more). Where open-file-description locks are missing
# (not Linux), each job has its own lock file, ``<job id>.lock``.
JOBS_LOCK = "jobs.lock"
# Whether a run lives: each `acbuild run` holds one byte of this file, at a random offset
# its row in the database records, for as long as its process lives. A row that says
# "running" whose byte is free is a run that died (SIGKILL, a power cut): the kernel frees
# a dead process's locks, and a random byte is never a later run's by chance, as a pid is.
RUNS_LOCK = "runs.lock"


class Workdir:
    """One work directory; ``writable`` is False for a shared source we only reuse from."""

    def __init__(self, path: Path, writable: bool = True):
        self.path = path
        self.writable = writable
        self._sources: SourceStore | None = None

    @property
    def sources(self) -> SourceStore:
        """Its store of source files, which jobs' source/ files are hard links to."""
        if self._sources is None:
            self._sources = SourceStore(self.path)
        return self._sources

    def __repr__(self) -> str:
        return f"Workdir({str(self.path)!r})"

    def ensure(self) -> None:
        """Make the layout. A ``.tmp`` or ``.failed`` that is a link (or not a directory) is
        refused: acbuild deletes in them, and would delete in whatever the link leads to."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            for name in (STAGING_DIR, FAILED_DIR):
                _own_directory(self.path / name)
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise DiskFull(str(self.path), e.strerror or "") from None
            raise StorageError(f"cannot create the work directory: {e.strerror}",
                               where=str(self.path)) from None

    def job_dir(self, job_id: str) -> Path:
        return self.path / job_id

    def job_ids(self) -> set[str]:
        """The names of the published job directories, in one directory listing: real
        directories only (the listing's file types: no stat each). A job's name that is a
        link or a file is no job directory: ``job_damage`` says what it is."""
        try:
            with os.scandir(self.path) as scan:
                return {e.name for e in scan if e.is_dir(follow_symlinks=False)
                        and not e.name.startswith(".")}
        except FileNotFoundError:
            return set()

    def not_directories(self) -> set[str]:
        """The names that are no real directory (a link, a file), in one listing: what an
        lstat of ``<name>/post.json`` cannot tell (it sees through a link to a directory).
        Cheaper than ``job_ids``: no set of every job's name."""
        try:
            with os.scandir(self.path) as scan:
                return {e.name for e in scan if not e.is_dir(follow_symlinks=False)}
        except FileNotFoundError:
            return set()

    def names(self) -> set[str]:
        """Every name in the job namespace, whatever it is (a job directory, or not)."""
        try:
            names = os.listdir(self.path)
        except FileNotFoundError:
            return set()
        return {n for n in names if not n.startswith((".", "acbuild.db"))}

    def stage(self, job_id: str, setup: Mapping[str, Any] | str,
              sources: Mapping[str, bytes]) -> Path:
        """A fresh staging directory holding ``setup.json`` (``setup``, or its ``setup_text``)
        and ``source/`` (its files hard links into the work directory's source store)."""
        staging = self.path / STAGING_DIR / f"{job_id}.{os.getpid()}.{time.monotonic_ns()}"
        try:
            # Plain os calls, each directory made once, setup.json written in place (nobody sees
            # a staging directory until it is published): a cold build stages thousands of jobs.
            root = str(staging)
            os.mkdir(root)
            made = {root}
            store = self.sources
            for relpath, data in sources.items():
                target = os.path.join(root, SOURCE_DIR, relpath)
                _makedirs(os.path.dirname(target), made)
                store.place(target, data)
            write_new_file(os.path.join(root, SETUP_FILE),
                           (setup if isinstance(setup, str) else setup_text(setup)).encode(),
                           0o666)
        except OSError:
            import shutil  # here: a no-op run never removes anything (bz2, lzma: ~2 ms)

            shutil.rmtree(staging, ignore_errors=True)  # a full disk: leave no half a staging
            raise
        return staging

    def stage_empty(self, job_id: str) -> Path:
        """A fresh, empty staging directory: for a job whose files come from elsewhere (the
        remote cache). Named as ``stage`` names them, so a dead run's is found and removed."""
        staging = self.path / STAGING_DIR / f"{job_id}.{os.getpid()}.{time.monotonic_ns()}"
        os.mkdir(staging)
        return staging

    def publish(self, staging: Path, job_id: str) -> Path:
        """Make a finished staging directory the job. A forced rebuild replaces the old one."""
        final = self.job_dir(job_id)
        try:
            os.rename(staging, final)  # fails when a (non-empty) job directory is there
        except OSError as e:
            # ENOTDIR: a file or a link took the job's name; it is moved away as it is.
            if e.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR):
                raise
            retired = self.path / STAGING_DIR / f"{job_id}.replaced.{time.monotonic_ns()}"
            os.replace(final, retired)
            os.replace(staging, final)
            remove_entry(retired)
        return final

    def keep_failed(self, staging: Path, job_id: str, damaged: bool = False) -> Path:
        """Move a failed job's directory — or, ``damaged``, a published one that is not
        whole, or whatever took its name — as it is (a link stays a link) into ``.failed/``,
        under ``<job id>.<time>.<pid>[.damaged][.<n>]``."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        mark = ".damaged" if damaged else ""
        base = self.path / FAILED_DIR / f"{job_id}.{stamp}.{os.getpid()}{mark}"
        kept, n = base, 0
        while os.path.lexists(kept):  # this process kept one of this job this second already
            n += 1
            kept = base.with_name(f"{base.name}.{n}")
        os.replace(staging, kept)
        return kept

    def drop_outputs(self, staging: Path) -> None:
        """Delete what a failed job wrote, keeping its records (setup.json, logs, source/)."""
        import shutil

        for entry in _entries(staging):
            if entry.name in JOB_RECORDS:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)

    def failed_dirs(self) -> list[Path]:
        """What ``.failed/`` holds, oldest first (a link in it is not followed)."""
        try:
            return sorted((self.path / FAILED_DIR).iterdir(), key=_lmtime)
        except FileNotFoundError:
            return []

    def failed_attempts(self) -> list[Path]:
        """The failed jobs ``.failed/`` keeps, oldest first: real directories only. A link
        there is no job acbuild kept (gc removes it as a link): reading through it would
        read, and the board serve, whatever directory it leads to."""
        return [p for p in self.failed_dirs() if stat.S_ISDIR(_lmode(p))]

    def lock(self, job_id: str) -> JobLock | None:
        """The job's build lock, or None when another holder has it. Dies with its process.

        Each call is a holder of its own, as if another process asked: a second ``lock`` of
        the same job before the first is released gets None.
        """
        if OFD_SETLK is None:
            return self._lock_file(job_id)
        fd = os.open(self.path / STAGING_DIR / JOBS_LOCK, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            if try_lock(fd, lock_offset(job_id)):
                return JobLock(fd)
        except OSError:
            os.close(fd)
            raise
        os.close(fd)
        return None

    def _lock_file(self, job_id: str) -> JobLock | None:
        path = self.path / STAGING_DIR / f"{job_id}.lock"
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return JobLock(fd)

    def use(self) -> JobLock | None:
        """A shared hold on this work directory for as long as a command uses its jobs.

        Waits while `gc` holds it exclusively. A read-only source is held only when its lock
        file exists already: opening a file read-only and locking it changes nothing on disk.
        None when there is nothing to hold.
        """
        path = self.path / STAGING_DIR / USE_LOCK
        try:
            if self.writable:
                fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
            else:
                fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        fcntl.flock(fd, fcntl.LOCK_SH)
        return JobLock(fd)

    def hold_run(self) -> tuple[JobLock, int]:
        """A byte of the runs' lock file, held until released or this process ends, and its
        offset: recorded in the run's row, it tells a live run from one that died."""
        try:
            fd = os.open(self.path / STAGING_DIR / RUNS_LOCK, os.O_CREAT | os.O_RDWR, 0o644)
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise DiskFull(str(self.path), e.strerror or "") from None
            raise StorageError(f"cannot open the runs' lock file: {e.strerror}",
                               where=str(self.path)) from None
        for _ in range(8):  # two runs drawing the same of 2**62 bytes: about never
            offset = int.from_bytes(os.urandom(8), "big") >> 2
            if try_lock(fd, offset):
                return JobLock(fd), offset
        os.close(fd)
        raise StorageError("cannot lock a byte of the runs' lock file", where=str(self.path))

    def run_alive(self, offset: int) -> bool:
        """Whether the run holding ``offset`` of the runs' lock file lives. True when that
        cannot be told: a run is called dead only when its byte is seen free. (Not to be asked
        by the process that holds the byte where locks are per process, not Linux.)"""
        try:
            fd = os.open(self.path / STAGING_DIR / RUNS_LOCK, os.O_RDWR)
        except FileNotFoundError:
            return False
        except OSError:
            return True
        try:
            return not try_lock(fd, offset)
        except OSError:
            return True
        finally:
            os.close(fd)  # and with it the byte, if we took it

    def remove_job(self, job_id: str) -> None:
        """Make a job's directory vanish at once (one rename into ``.tmp/``), then delete it.

        Call with the job's lock held. A crash mid-way leaves only a staging leftover, which
        the next run or `gc` removes; never a half-deleted job in the namespace.
        """
        retired = self.path / STAGING_DIR / f"{job_id}.removed.{os.getpid()}.{time.monotonic_ns()}"
        try:
            os.replace(self.job_dir(job_id), retired)
        except FileNotFoundError:
            return
        remove_entry(retired)

    def remove_stale_locks(self) -> int:
        """Delete the per-job lock files of jobs nobody is building. Only under an exclusive
        `use` hold: then no acbuild process can be about to lock one of them."""
        removed = 0
        for entry in _entries(self.path / STAGING_DIR):
            if (not entry.name.endswith(".lock")
                    or entry.name in (USE_LOCK, JOBS_LOCK, RUNS_LOCK) or entry.is_dir()):
                continue
            lock = self.lock(entry.name[: -len(".lock")])
            if lock is None:
                continue
            try:
                entry.unlink(missing_ok=True)
                removed += 1
            finally:
                lock.release()
        return removed

    def remove_leftovers(self, dry_run: bool = False) -> list[Path]:
        """Staging directories of runs that died: named as acbuild names them, and their
        job's lock is free. Returns them (with ``dry_run``: only lists them)."""
        removed = []
        staging_root = self.path / STAGING_DIR
        try:
            # scandir's file types: no stat for each of the (many) lock files; every run asks.
            with os.scandir(staging_root) as scan:
                entries = [(Path(e.path), job_id) for e in scan
                           if e.is_dir(follow_symlinks=False)
                           and (job_id := staged_job_id(e.name)) is not None]
        except FileNotFoundError:
            return []
        for entry, job_id in entries:
            lock = self.lock(job_id)
            if lock is None:
                continue  # a live run is building it
            try:
                if not dry_run:
                    remove_entry(entry)
                removed.append(entry)
            finally:
                lock.release()
        return removed


# The names acbuild gives in .tmp/ (see stage, publish, remove_job) and in .failed/ (see
# keep_failed). A job id is "<method>-<12 hex digits>" and a method's name may hold dots
# ("v1.2"): the id is what precedes the one suffix acbuild writes, never the name up to a dot.
_STAGED = re.compile(r"(.+-[0-9a-f]{12})\.(?:\d+\.\d+|replaced\.\d+|removed\.\d+\.\d+)")
_KEPT = re.compile(r"(.+-[0-9a-f]{12})\.\d{8}-\d{6}\.\d+(\.damaged)?(?:\.\d+)?")


def staged_job_id(name: str) -> str | None:
    """The job a ``.tmp/`` directory of this name is (or was) staging; None when acbuild
    did not name it (then it is not acbuild's to remove)."""
    match = _STAGED.fullmatch(name)
    return match.group(1) if match else None


def failed_job_id(name: str) -> str | None:
    """The job a ``.failed/`` entry of this name holds; None when acbuild did not name it."""
    match = _KEPT.fullmatch(name)
    return match.group(1) if match else None


def failed_attempt(name: str) -> str | None:
    """The job a ``.failed/`` entry of this name is a failed attempt of (not a damaged
    directory moved aside); None when it is not one."""
    match = _KEPT.fullmatch(name)
    return match.group(1) if match and not match.group(2) else None


def remove_entry(path: Path) -> None:
    """Delete what ``path`` is, never what it leads to: a real directory's tree (rmtree
    follows no link inside it), else the link or file itself."""
    import shutil

    try:
        if stat.S_ISDIR(os.lstat(path).st_mode):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except FileNotFoundError:
        pass


def _own_directory(path: Path) -> None:
    """Make ``path`` a directory, or check that it is one itself (not a link to one)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        try:
            os.mkdir(path)
            return
        except FileExistsError:  # another run made it at this moment: checked as any other
            st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        return
    what = f"a link to {os.readlink(path)}" if stat.S_ISLNK(st.st_mode) else "not a directory"
    raise StorageError(
        f"{path.name} is {what}; acbuild deletes what it holds, and never through a link",
        where=str(path), hint=f"replace it by a directory of its own: rm {path} && "
                              f"mkdir {path}")


def _lmode(path: Path) -> int:
    try:
        return os.lstat(path).st_mode
    except OSError:
        return 0


def _lmtime(path: Path) -> float:
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return 0.0


def disk_usage(path: Path) -> int:
    """Bytes a file or directory tree takes on disk (as ``du``): blocks, each inode once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    stack = [path]
    while stack:
        current = stack.pop()
        try:
            st = current.lstat()
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        total += st.st_blocks * 512
        if stat.S_ISDIR(st.st_mode):
            stack.extend(_entries(current))
    return total


def _entries(directory: Path) -> list[Path]:
    try:
        return list(directory.iterdir())
    except OSError:
        return []


def _makedirs(directory: str, made: set[str]) -> None:
    """``os.makedirs`` for a directory under one in ``made`` (which it adds to)."""
    if directory in made:
        return
    _makedirs(os.path.dirname(directory), made)
    os.mkdir(directory)
    made.add(directory)
