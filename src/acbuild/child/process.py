"""Process plumbing for the job processes: fork with a pipe, pidfds, death signals, logs,
phase markers, times, and the end of a process whatever its method did."""

from __future__ import annotations

import _signal
import contextlib
import ctypes
import gc
import os
import resource
import signal
import sys
import time
from types import TracebackType
from typing import Any, NoReturn

from acbuild.job import JobDir
from acbuild.joblog import LOGS, marker

# Taken now: a method that replaces os._exit must not keep its process from ending.
_os_exit = os._exit
# ---- process plumbing -------------------------------------------------------

_WRITE_END = -1  # in a forked child: the write end of the pipe its parent reads
_WRITE_END_KEY: tuple[int, int] | None = None  # its device and inode: still ours?
_JOB_DIR: JobDir | None = None  # in a job process: its directory, held open
_JOB_PID = -1  # in a job process: its pid
# In a job process: the import of its method, if the launcher made it for this job (its
# first of that code): {"wall", "cpu"} seconds, post.json's "load" phase.
_LOAD: dict[str, float] | None = None
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_SIGKILL = int(signal.SIGKILL)  # a plain int: ctypes converts it without the enum's lookups
_SIGINT = int(signal.SIGINT)
_libc: Any = None  # prctl(2), once looked up; False where there is none


def _fork() -> tuple[int, int]:
    """Fork with a pipe from child to parent: (pid, read end) in the parent, (0, -1) in
    the child, which finds the write end in ``_WRITE_END``."""
    global _WRITE_END, _WRITE_END_KEY
    r, w = os.pipe()
    _flush()
    parent = os.getpid()
    _load_libc()  # in the parent, once: each child then asks for its death signal at once
    gc.freeze()  # the child's collector leaves the parent's objects, so their pages stay shared
    pid = os.fork()
    if pid == 0:
        _die_with(parent)
        os.close(r)
        if _WRITE_END >= 0:
            os.close(_WRITE_END)  # a slice is not the job: the job's own pipe is not its to hold
        _WRITE_END = w
        st = os.fstat(w)
        _WRITE_END_KEY = (st.st_dev, st.st_ino)
        return 0, -1
    gc.unfreeze()
    os.close(w)
    return pid, r


def _parent_pipe() -> int | None:
    """The write end of the pipe to the parent, unless the method closed it (and perhaps
    got its number again for a file of its own: never written to)."""
    try:
        st = os.fstat(_WRITE_END)
    except OSError:
        return None
    return _WRITE_END if (st.st_dev, st.st_ino) == _WRITE_END_KEY else None


def _job_dir_fd() -> int:
    """In a job process: its directory's fd, checked to be still that directory."""
    if _JOB_DIR is None:
        raise RuntimeError("not in a job process")
    return _JOB_DIR.fd()


def _leave_unless(pid: int) -> None:
    """A process the method forked (``os.fork``) that returns from the method's function is
    not the job, nor the slice, ``pid``: it ends here, before it writes any of their
    records or says it is done."""
    if os.getpid() != pid:
        _end(0)


def _load_libc() -> None:
    global _libc
    if _libc is None:
        try:
            # Without use_errno (only the result is read): ctypes then neither saves nor
            # swaps errno through its per-thread state, which a job's first call would make.
            _libc = ctypes.CDLL(None).prctl
        except (OSError, AttributeError):  # not Linux
            _libc = False


def _die_with(parent: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux; elsewhere nothing):
    a job never outlives its launcher, nor a slice its job, whatever killed them."""
    if not _libc or _libc(_PR_SET_PDEATHSIG, _SIGKILL) != 0:
        return
    if os.getppid() != parent:  # it died before we asked
        os._exit(1)


def _interruptible() -> None:
    """Ctrl-C raises KeyboardInterrupt in this job process (the launcher ignores it).
    Through ``_signal`` with plain ints: ``signal.signal`` makes enums of the numbers and
    of the old handler, which cost a job process ~80 copied memory pages (~0.2 ms)."""
    _signal.signal(_SIGINT, signal.default_int_handler)


def _pidfd(pid: int) -> int | None:
    """An fd that turns readable when child ``pid`` ends. Better than EOF on the child's
    pipe: a grandchild forked without exec cannot hold it open. None where the kernel has
    no pidfds; the callers then wait for that EOF."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _method_frames(exc: BaseException) -> TracebackType | None:
    """The traceback from the method's own frame on: the callers' frames are acbuild's."""
    tb = exc.__traceback__
    while tb is not None and os.path.dirname(os.path.abspath(tb.tb_frame.f_code.co_filename)
                                             ) == _HERE:
        tb = tb.tb_next
    return tb


_HERE = os.path.dirname(os.path.abspath(__file__))


def _open_logs(directory: str | int, names: tuple[str, str] = LOGS, fresh: bool = False
               ) -> None:
    """Point fds 1 and 2 at the logs ``names`` in ``directory`` (a path, or an open
    directory's fd), appending (subprocesses share them); never through a link, and with
    ``fresh`` only new files."""
    _flush()
    dir_fd = directory if isinstance(directory, int) else None
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | (os.O_EXCL if fresh else 0)
    for fd, name in zip((1, 2), names):
        path = name if dir_fd is not None else os.path.join(directory, name)  # type: ignore[arg-type]
        log = os.open(path, flags, 0o666, dir_fd=dir_fd)
        os.dup2(log, fd)
        os.close(log)


def _marker(phase: str) -> None:
    # Straight to the fds, after what the streams hold: print's machinery is one more
    # thing a job process would touch (and copy) for each phase. A method that closed or
    # broke them loses its output, not the job's bookkeeping.
    _flush()
    line = marker(phase)
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            os.write(fd, line)


def _flush() -> None:
    """Flush Python's stdout and stderr; one a method closed, replaced or broke (a full
    disk, a closed pipe) is left as it is: what it held is lost, nothing else."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.flush()


def _end(status: int) -> NoReturn:
    """End this forked process now, whatever state its method left it in: never back into
    the code of the process it was forked from."""
    try:
        _flush()
    finally:
        _os_exit(status)


def _cpu(usage: Any = None) -> float:
    usage = usage or resource.getrusage(resource.RUSAGE_SELF)
    return float(usage.ru_utime + usage.ru_stime)


def _usage_so_far() -> tuple[float, int]:
    """CPU seconds and peak memory (KiB) of this process and the children it has reaped
    (its slices)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round(_cpu(own) + _cpu(children), 6), max(own.ru_maxrss, children.ru_maxrss)


def _since(began: float) -> float:
    return round(time.monotonic() - began, 6)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _killpg(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
        os.killpg(pgid, _SIGKILL)
