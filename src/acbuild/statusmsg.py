"""``with status("text"):`` — what a method says it is doing, as a stack (nested ``with``
blocks), as the Accelerator's ``status``. An error raised inside one carries the stack
as it was when the error happened, so that the failed job's report says
"status when the error happened: loading › parsing line 7".

Per process: a slice (forked from its job) starts with the job's stack and keeps its
own. In a job process the stack is also written, at each change, to a small file of the
job directory (``STATUS_FILE``; a slice's to ``slice-logs/N.status``), which the live
display reads: a few syscalls per change, only for a method that uses ``status``.
Standard library only: the job process imports this.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

STATUS_FILE = ".acbuild-status"  # in a running job's directory: its stack, as a line
_STACK: list[str] = []
# In a job process: where the stack is written (a directory fd, got anew each time, and a
# name relative to it); None elsewhere.
_TARGET: tuple[Callable[[], int], str] | None = None
_WRITTEN = False  # whether this process wrote its stack to _TARGET
ATTRIBUTE = "_acbuild_status"  # on an exception: the stack when it was raised
SEPARATOR = " › "


@contextlib.contextmanager
def status(text: object) -> Iterator[Callable[[object], None]]:
    """Say what the code inside does; yields ``update(text)`` to change what it says."""
    _STACK.append(str(text))
    depth = len(_STACK)
    _publish()

    def update(new: object) -> None:
        _STACK[depth - 1] = str(new)
        _publish()

    try:
        yield update
    except BaseException as exc:
        # The innermost block sees the error first: the stack is recorded there, whole.
        if not hasattr(exc, ATTRIBUTE):
            with contextlib.suppress(AttributeError, TypeError):
                setattr(exc, ATTRIBUTE, tuple(_STACK))
        raise
    finally:
        del _STACK[depth - 1:]
        _publish()


def publish_to(directory: Callable[[], int] | None, name: str = STATUS_FILE) -> None:
    """Write the stack, from now on, to ``name`` in the directory ``directory()`` gives
    (None: nowhere)."""
    global _TARGET, _WRITTEN
    _TARGET, _WRITTEN = (None if directory is None else (directory, name)), False


def withdraw() -> None:
    """The process is done: the file it wrote its stack to (if any) goes."""
    if _TARGET is not None and _WRITTEN:
        with contextlib.suppress(Exception), _parent(_TARGET[0](), _TARGET[1]) as (fd, leaf):
            os.unlink(leaf, dir_fd=fd)


def _publish() -> None:
    global _WRITTEN
    if _TARGET is None:
        return
    _WRITTEN = True
    with contextlib.suppress(Exception):  # a display aid: never the method's failure
        write_new(_TARGET[0](), _TARGET[1], SEPARATOR.join(_STACK).encode())


def write_new(dir_fd: int, name: str, data: bytes) -> None:
    """Write one of acbuild's records ``name`` into the directory ``dir_fd`` as a new file:
    what the method left under that name (a link, a hard link to another job's file, a
    FIFO) is replaced, never written through."""
    if "/" not in name:  # a name in the directory itself (post.json): no context manager,
        _write_in(dir_fd, name, data)  # one of the things a job process would touch (and copy)
        return
    with _parent(dir_fd, name) as (parent, leaf):
        _write_in(parent, leaf, data)


def _write_in(parent: int, leaf: str, data: bytes) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(leaf, flags, 0o666, dir_fd=parent)
    except FileExistsError:
        os.unlink(leaf, dir_fd=parent)
        fd = os.open(leaf, flags, 0o666, dir_fd=parent)
    try:
        while data:
            data = data[os.write(fd, data):]
    finally:
        os.close(fd)


@contextlib.contextmanager
def _parent(dir_fd: int, name: str) -> Iterator[tuple[int, str]]:
    """The directory holding ``name`` (relative to ``dir_fd``) and the last part of the
    name: the directories on the way are opened one by one, never through a link (which
    O_NOFOLLOW alone refuses only for the last part)."""
    *dirs, leaf = name.split("/")
    fd = dir_fd
    try:
        for part in dirs:
            child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                            dir_fd=fd)
            if fd != dir_fd:
                os.close(fd)
            fd = child
        yield fd, leaf
    finally:
        if fd != dir_fd:
            os.close(fd)


def read(job_dir: str | os.PathLike[str], slice_dir: str = "slice-logs") -> str:
    """What a running job says it is doing: its stack, and each slice's that says one."""
    parts = []
    with contextlib.suppress(OSError):
        parts.append(Path(job_dir, STATUS_FILE).read_text(errors="replace"))
    with contextlib.suppress(OSError), os.scandir(Path(job_dir, slice_dir)) as entries:
        found = sorted((int(e.name.split(".")[0]), e.path) for e in entries
                       if e.name.endswith(".status") and e.name.split(".")[0].isdigit())
        for sliceno, path in found:
            with contextlib.suppress(OSError):
                text = Path(path).read_text(errors="replace")
                if text:
                    parts.append(f"slice {sliceno}: {text}")
    return "; ".join(p for p in parts if p)


def current() -> tuple[str, ...]:
    """The stack now, outermost first."""
    return tuple(_STACK)


def of(exc: BaseException) -> tuple[str, ...]:
    """The stack when ``exc`` was raised inside ``status`` blocks; () if it was not."""
    found = getattr(exc, ATTRIBUTE, ())
    return found if isinstance(found, tuple) else ()


def describe(stack: tuple[str, ...]) -> str:
    return f"status when the error happened: {SEPARATOR.join(stack)}"
