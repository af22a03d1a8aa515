"""The on-disk layout of a work directory: staging, atomic publish, job directories.

```
WORKDIR/<job id>/   finished jobs (setup.json, source/, post.json, logs, files)
WORKDIR/.tmp/       jobs being built, and the lock files
WORKDIR/.failed/    failed jobs, kept for `acbuild show`
```
A job becomes visible only by one ``os.replace`` of its finished staging
directory. Knows nothing of scripts, plans or the terminal.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import stat
import struct
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from acbuild.errors import DiskFull, StorageError
from acbuild.hashing import hash_bytes
from acbuild.joblog import LOGS, SLICE_LOGS

SETUP_FILE = "setup.json"
POST_FILE = "post.json"
SOURCE_DIR = "source"
STAGING_DIR = ".tmp"
FAILED_DIR = ".failed"
SETUP_FORMAT = 1
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
_OFD_SETLK: int | None = getattr(fcntl, "F_OFD_SETLK", None)
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

    def __repr__(self) -> str:
        return f"Workdir({str(self.path)!r})"

    def ensure(self) -> None:
        try:
            (self.path / STAGING_DIR).mkdir(parents=True, exist_ok=True)
            (self.path / FAILED_DIR).mkdir(exist_ok=True)
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise DiskFull(str(self.path), e.strerror or "") from None
            raise StorageError(f"cannot create the work directory: {e.strerror}",
                               where=str(self.path)) from None

    def job_dir(self, job_id: str) -> Path:
        return self.path / job_id

    def job_ids(self) -> set[str]:
        """The names of the published job directories, in one directory listing."""
        try:
            names = os.listdir(self.path)
        except FileNotFoundError:
            return set()
        return {n for n in names if not n.startswith((".", "acbuild.db"))}

    def stage(self, job_id: str, setup: Mapping[str, Any], sources: Mapping[str, bytes]) -> Path:
        """A fresh staging directory holding ``setup.json`` and ``source/``."""
        staging = self.path / STAGING_DIR / f"{job_id}.{os.getpid()}.{time.monotonic_ns()}"
        try:
            # Plain os calls, each directory made once, setup.json written in place (nobody sees
            # a staging directory until it is published): a cold build stages thousands of jobs.
            root = str(staging)
            os.mkdir(root)
            made = {root}
            for relpath, data in sources.items():
                target = os.path.join(root, SOURCE_DIR, relpath)
                _makedirs(os.path.dirname(target), made)
                with open(target, "wb") as f:
                    f.write(data)
            with open(os.path.join(root, SETUP_FILE), "w") as f:
                # One item a line, for grep and diff; json's C encoder (indent= is pure Python,
                # a tenth of a millisecond per job).
                f.write(json.dumps(setup, sort_keys=True, separators=(",\n ", ": ")) + "\n")
        except OSError:
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
            if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            retired = self.path / STAGING_DIR / f"{job_id}.replaced.{time.monotonic_ns()}"
            os.replace(final, retired)
            os.replace(staging, final)
            shutil.rmtree(retired, ignore_errors=True)
        return final

    def keep_failed(self, staging: Path, job_id: str) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kept = self.path / FAILED_DIR / f"{job_id}.{stamp}.{os.getpid()}"
        os.replace(staging, kept)
        return kept

    def drop_outputs(self, staging: Path) -> None:
        """Delete what a failed job wrote, keeping its records (setup.json, logs, source/)."""
        for entry in _entries(staging):
            if entry.name in JOB_RECORDS:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)

    def failed_dirs(self) -> list[Path]:
        try:
            return sorted((self.path / FAILED_DIR).iterdir(), key=lambda p: p.stat().st_mtime)
        except FileNotFoundError:
            return []

    def lock(self, job_id: str) -> JobLock | None:
        """The job's build lock, or None when another holder has it. Dies with its process.

        Each call is a holder of its own, as if another process asked: a second ``lock`` of
        the same job before the first is released gets None.
        """
        if _OFD_SETLK is None:
            return self._lock_file(job_id)
        fd = os.open(self.path / STAGING_DIR / JOBS_LOCK, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.fcntl(fd, _OFD_SETLK, _write_lock(_lock_offset(job_id)))
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EAGAIN, errno.EACCES):
                return None
            raise
        return JobLock(fd)

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
            if _try_lock(fd, offset):
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
            return not _try_lock(fd, offset)
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
        shutil.rmtree(retired, ignore_errors=True)

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
        """Staging directories of runs that died: their job's lock is free. Returns them
        (with ``dry_run``: only lists them)."""
        removed = []
        staging_root = self.path / STAGING_DIR
        try:
            # scandir's file types: no stat for each of the (many) lock files; every run asks.
            with os.scandir(staging_root) as scan:
                entries = [Path(e.path) for e in scan if e.is_dir(follow_symlinks=False)]
        except FileNotFoundError:
            return []
        for entry in entries:
            job_id = entry.name.split(".", 1)[0]
            lock = self.lock(job_id)
            if lock is None:
                continue  # a live run is building it
            try:
                if not dry_run:
                    shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
            finally:
                lock.release()
        return removed


class JobLock:
    def __init__(self, fd: int):
        self.fd = fd

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def make_exclusive(self) -> bool:
        """Turn a shared hold into the only one, without waiting; False when others hold it.

        flock converts by letting go first, so after False this hold may be lost: release it.
        """
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def _lock_offset(job_id: str) -> int:
    """Where in the jobs' lock file this job's byte is: 62 bits of a hash of its id, so that
    two jobs locked at once share a byte about never (and if they did, one would wait)."""
    return int(hash_bytes(job_id.encode())[:16], 16) >> 2


def _try_lock(fd: int, offset: int) -> bool:
    """Lock one byte of ``fd`` without waiting; False when another holder has it."""
    try:
        if _OFD_SETLK is None:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
        else:
            fcntl.fcntl(fd, _OFD_SETLK, _write_lock(offset))
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _write_lock(offset: int) -> bytes:
    """A ``struct flock`` (Linux) for an exclusive lock of one byte; l_pid 0, as OFD locks
    require."""
    return struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, offset, 1, 0)


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


def read_json(path: Path) -> dict[str, Any]:
    try:
        with open(path) as f:
            value = json.load(f)
    except FileNotFoundError:
        raise StorageError("missing", where=str(path)) from None
    except (OSError, ValueError) as e:
        raise StorageError(f"unreadable or corrupt: {e}", where=str(path)) from None
    if not isinstance(value, dict):
        raise StorageError("corrupt: not a JSON object", where=str(path))
    return value


def read_setup(job_dir: Path) -> dict[str, Any]:
    setup = read_json(job_dir / SETUP_FILE)
    fmt = setup.get("format")
    if not isinstance(fmt, int) or fmt > SETUP_FORMAT:
        raise StorageError(
            f"setup.json format {fmt!r} is not one this acbuild reads (<= {SETUP_FORMAT})",
            where=str(job_dir / SETUP_FILE), hint="upgrade acbuild",
        )
    return setup


def read_post(job_dir: Path) -> dict[str, Any]:
    return read_json(job_dir / POST_FILE)


def read_sources(job_dir: Path) -> dict[str, bytes]:
    """The copies in a job's ``source/``: project-relative path -> bytes ({} if none)."""
    root = job_dir / SOURCE_DIR
    try:
        return {p.relative_to(root).as_posix(): p.read_bytes()
                for p in sorted(root.rglob("*")) if p.is_file()}
    except OSError:
        return {}


# The line the job process writes to both logs as it enters a phase
# (acbuild.child.process._marker).
_PHASE_MARK = re.compile(rb"^--- acbuild: (load|prepare|analysis|synthesis)\b[^\n]* ---$",
                         re.MULTILINE)


def last_marked_phase(job_dir: Path) -> str | None:
    """The phase a job's log says it entered last: where a job that died without a word was.
    (No slice: the job process itself may have died while its slices ran.)"""
    try:
        with open(job_dir / "stdout.log", "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 65536))
            marks = _PHASE_MARK.findall(f.read())
    except OSError:
        return None
    return marks[-1].decode() if marks else None


def is_finished(job_dir: Path) -> bool:
    """A published directory whose post.json says the job finished."""
    try:
        return read_post(job_dir).get("status") == "ok"
    except StorageError:
        return False
