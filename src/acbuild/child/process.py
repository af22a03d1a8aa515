"""Process plumbing for the job processes: fork with a pipe, pidfds, death signals, logs,
phase markers, times."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import resource
import signal
import sys
import time
from types import TracebackType
from typing import Any

LOGS = ("stdout.log", "stderr.log")
# ---- process plumbing -------------------------------------------------------

_WRITE_END = -1  # in a forked child: the write end of the pipe its parent reads
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_libc: Any = None  # prctl(2), once looked up; False where there is none


def _fork() -> tuple[int, int]:
    """Fork with a pipe from child to parent: (pid, read end) in the parent, (0, -1) in
    the child, which finds the write end in ``_WRITE_END``."""
    global _WRITE_END
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
        return 0, -1
    gc.unfreeze()
    os.close(w)
    return pid, r


def _load_libc() -> None:
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):  # not Linux
            _libc = False


def _die_with(parent: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux; elsewhere nothing):
    a job never outlives its launcher, nor a slice its job, whatever killed them."""
    if not _libc or _libc(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        return
    if os.getppid() != parent:  # it died before we asked
        os._exit(1)


def _pidfd(pid: int) -> int | None:
    """An fd that turns readable when child ``pid`` ends. Better than EOF on the child's
    pipe: a grandchild forked without exec cannot hold it open. None where the kernel has
    no pidfds; the callers then wait for that EOF."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _method_frames(exc: BaseException) -> TracebackType | None:
    """The traceback from the method's own frame on: the caller's frame is acbuild's."""
    return exc.__traceback__.tb_next if exc.__traceback__ else None


def _open_logs(directory: str) -> None:
    """Point fds 1 and 2 at the job's logs, appending (slices and subprocesses share them)."""
    _flush()
    for fd, name in zip((1, 2), LOGS):
        log = os.open(os.path.join(directory, name), os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                      0o666)
        os.dup2(log, fd)
        os.close(log)


def _marker(phase: str) -> None:
    # Straight to the fds, after what the streams hold: print's machinery is one more
    # thing a job process would touch (and copy) for each phase.
    _flush()
    line = f"--- acbuild: {phase} ---\n".encode()
    os.write(1, line)
    os.write(2, line)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


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
        os.killpg(pgid, signal.SIGKILL)
