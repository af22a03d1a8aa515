"""Is a job directory intact? Whether a published job directory still holds the finished
job its records say (setup.json, post.json), and which of the files it wrote changed since.

It reads and stats, and changes nothing: what to do with a damaged directory is the
store's and doctor's business.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from acbuild.errors import StorageError
from acbuild.jobrecords import POST_FILE, SETUP_FILE, read_post, read_setup

# (size, mtime_ns, ctime_ns) of a post.json: what says it is the one a job's row recorded.
PostStat = tuple[int, int, int]


def post_stat(job_dir: str) -> PostStat | None:
    """(size, mtime_ns, ctime_ns) of the job's post.json when it is a regular file, else
    None. One lstat, no read: what a no-op run pays per job to see that the directory still
    holds the post.json that was recorded (``job_dir`` is a real directory: the listing
    said so). An emptied directory, a post.json lost or rewritten, a file in the job's
    place: each changes it — the ctime even when the size and mtime are put back."""
    try:
        st = os.lstat(f"{job_dir}/{POST_FILE}")
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns) if stat.S_ISREG(st.st_mode) else None


def finished_record(job_dir: str) -> tuple[dict[str, Any], PostStat]:
    """post.json's "files" of a job directory whose records say the job finished (setup.json
    a file, post.json a file that says so), and the ``PostStat`` of the post.json they
    were read from (what the index of a job's files is kept under); a StorageError saying
    what is wrong otherwise. Lighter than ``read_finished`` (setup.json is not read, no
    Path is made)."""
    setup, post = f"{job_dir}/{SETUP_FILE}", f"{job_dir}/{POST_FILE}"
    try:
        if not stat.S_ISREG(os.lstat(setup).st_mode):
            raise StorageError(f"{SETUP_FILE} is not a regular file", where=job_dir)
        # Not following a link, not waiting on a FIFO: only a regular file is read.
        fd = os.open(post, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except FileNotFoundError as e:
        raise StorageError(f"{os.path.basename(e.filename)} missing", where=job_dir) from None
    except NotADirectoryError:
        raise StorageError("it is a file, not a directory", where=job_dir) from None
    except OSError as e:
        raise StorageError(f"{POST_FILE} is not a regular file" if e.errno == errno.ELOOP
                           else f"{POST_FILE} cannot be read ({e.strerror})",
                           where=job_dir) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise StorageError(f"{POST_FILE} is not a regular file", where=job_dir)
        chunks = [os.read(fd, st.st_size + 1)]  # all of it, in one call
        while chunks[-1] and sum(map(len, chunks)) > st.st_size:  # it grew since: the rest
            chunks.append(os.read(fd, 1 << 16))
        record = json.loads(b"".join(chunks))
    except (OSError, ValueError) as e:
        raise StorageError(f"{POST_FILE}: unreadable or corrupt: {e}", where=job_dir) from None
    finally:
        os.close(fd)
    if not isinstance(record, dict) or record.get("status") != "ok":
        raise _unfinished(record, job_dir)
    files = record.get("files")
    return (files if isinstance(files, dict) else {}), (st.st_size, st.st_mtime_ns,
                                                          st.st_ctime_ns)


def job_damage(job_dir: Path) -> str | None:
    """What keeps ``job_dir`` from being a finished job, in a few words ("post.json
    missing"); None when it is one. Reads both records: for the rare, slow path."""
    try:
        read_finished(job_dir)
    except StorageError as e:
        return e.message
    return None


def read_finished(job_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(setup, post) of a finished job: a real directory whose setup.json names it and whose
    post.json says the job finished. Anything else is a StorageError saying what it is."""
    try:
        st = os.lstat(job_dir)
    except OSError as e:
        raise StorageError("it is gone" if isinstance(e, FileNotFoundError)
                           else f"it cannot be read ({e.strerror})", where=str(job_dir)) from None
    if stat.S_ISLNK(st.st_mode):
        raise StorageError(f"it is a link (to {os.readlink(job_dir)}), not a directory",
                           where=str(job_dir))
    if not stat.S_ISDIR(st.st_mode):
        raise StorageError("it is a file, not a directory", where=str(job_dir))
    try:
        names = set(os.listdir(job_dir))
    except OSError as e:
        raise StorageError(f"it cannot be read ({e.strerror})", where=str(job_dir)) from None
    if not names:
        raise StorageError("it is empty", where=str(job_dir))
    for name in (POST_FILE, SETUP_FILE):
        if name not in names:
            raise StorageError(f"{name} missing", where=str(job_dir))
        if not stat.S_ISREG(os.lstat(job_dir / name).st_mode):
            raise StorageError(f"{name} is not a regular file", where=str(job_dir))
    try:
        post, setup = read_post(job_dir), read_setup(job_dir)
    except StorageError as e:
        raise StorageError(f"{Path(e.where or '').name}: {e.message}",
                           where=str(job_dir)) from None
    if post.get("status") != "ok":
        raise _unfinished(post, str(job_dir))
    if setup.get("id") != job_dir.name:
        raise StorageError(f"it holds another job ({setup.get('id')})", where=str(job_dir))
    return setup, post


def _unfinished(post: object, job_dir: str) -> StorageError:
    """What a post.json that does not say "ok" says of its job."""
    failed = isinstance(post, dict) and post.get("status") == "failed"
    return StorageError("post.json says the job failed" if failed
                        else "post.json does not say the job finished", where=job_dir)


def changed_files(job_dir: str, files: Mapping[str, Any],
                  digest: Callable[[Path], str]) -> list[str]:
    """The files of post.json's ``files`` that are no longer what the job wrote: gone, of
    another size, or — when their mtime differs from the recorded one — of another content
    (``digest``, through a stat cache: a file only touched, or copied with its work
    directory, is the same file). A stat each; a file is read only when its mtime moved."""
    changed = []
    for name, recorded in files.items():
        try:
            st = os.stat(f"{job_dir}/{name}")
        except OSError:
            changed.append(f"{name} (missing)")
            continue
        if not isinstance(recorded, dict):
            continue
        if st.st_size != recorded.get("size"):
            changed.append(name)
        elif recorded.get("mtime_ns", st.st_mtime_ns) != st.st_mtime_ns:
            try:
                if digest(Path(job_dir, name)) != recorded.get("blake3"):
                    changed.append(name)
            except OSError:
                changed.append(f"{name} (unreadable)")
    return changed
