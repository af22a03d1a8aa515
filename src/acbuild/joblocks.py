"""A held lock of a work directory: a job's build lock, the work directory's use hold, a
run's byte of the runs' lock file; and how a byte of a lock file is locked (open-file
description locks where the kernel has them).

It owns the locking calls only; which file and which byte a lock is, is ``Workdir``'s.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct

from acbuild.hashing import hash_bytes

OFD_SETLK: int | None = getattr(fcntl, "F_OFD_SETLK", None)


class JobLock:
    """A held lock: an open descriptor of its lock file, released by closing it."""

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


def lock_offset(job_id: str) -> int:
    """Where in the jobs' lock file this job's byte is: 62 bits of a hash of its id, so that
    two jobs locked at once share a byte about never (and if they did, one would wait)."""
    return int(hash_bytes(job_id.encode())[:16], 16) >> 2


def try_lock(fd: int, offset: int) -> bool:
    """Lock one byte of ``fd`` without waiting; False when another holder has it."""
    try:
        if OFD_SETLK is None:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
        else:
            fcntl.fcntl(fd, OFD_SETLK, _write_lock(offset))
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _write_lock(offset: int) -> bytes:
    """A ``struct flock`` (Linux) for an exclusive lock of one byte; l_pid 0, as OFD locks
    require."""
    return struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, offset, 1, 0)
