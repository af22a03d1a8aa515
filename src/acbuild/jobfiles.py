"""A job's own files as the Accelerator's method API writes and reads them:
``job.save`` / ``job.json_save`` (pickle or JSON, per slice, temporary, in the
background), ``job.load`` / ``job.json_load`` (of the job itself or of an input job),
and the file names a slice number gives (``name.N``, as in the Accelerator).

This process's bookkeeping lives here: the temporary files it saved (removed when the
job finishes, so they are never in post.json's list) and the background saves it
started (waited for at the end of the phase; one that failed fails the phase).

Standard library and ``acbuild.results`` (when a pickle is read or written) only: the
job process imports this.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# ``Job`` below: an acbuild.job.Job (which imports this module, so it is not imported here).
Job = Any

_NO_DEFAULT: Any = object()  # load(default=...) not given: a missing file is an error
_TEMP: list[str] = []  # this process's temporary files, by name in the job directory
_BACKGROUND: list[tuple[int, str]] = []  # this process's background saves: (pid, name)
# In a slice: the temporary files it started with (its job's, forked with it), and those it
# kept (``register_file``): what it hands its job is what it changed.
_INHERITED: frozenset[str] = frozenset()
_KEPT: list[str] = []


def sliced_name(name: str | os.PathLike[str], sliceno: int | None) -> str:
    """The file name for ``sliceno``: ``name.N``, as the Accelerator names it."""
    name = os.fspath(name)
    if sliceno is None:
        return name
    if isinstance(sliceno, bool) or not isinstance(sliceno, int) or sliceno < 0:
        raise ValueError(f"sliceno must be a slice number (an int from 0) or None, "
                         f"not {sliceno!r}")
    return f"{name}.{sliceno}"


class SavedFile:
    """What ``job.save`` and ``job.json_save`` return: the file, to load back or pass on."""

    def __init__(self, job: Job, base: str, sliceno: int | None, kind: str):
        self.job, self.base, self.sliceno, self.kind = job, base, sliceno, kind
        self.name = sliced_name(base, sliceno)

    def __repr__(self) -> str:
        return f"SavedFile({self.job.id!r}, {self.name!r})"

    @property
    def path(self) -> Path:
        return self.job.path / self.name

    @property
    def filename(self) -> str:
        return os.path.basename(self.name)

    def wait(self) -> None:
        """Wait until a background save has written the file (a failed one is an error)."""
        wait_background(self.name)

    def jobwithfile(self) -> Any:
        """The file as an option value for another job (``job.withfile``)."""
        return self.job.withfile(self.base, sliced=self.sliceno is not None)

    def load(self) -> Any:
        wait_background(self.name)  # saved in the background: it is there once written
        if self.kind == "json":
            return json_load(self.job, self.name)
        return load(self.job, self.name)


def pickle_bytes(obj: Any) -> bytes:
    from acbuild import results  # here: a handle that is never loaded does not import it

    return results.dumps(obj)  # defaultdicts as dicts, as a result is


def json_bytes(obj: Any, sort_keys: bool = True) -> bytes:
    """JSON as the Accelerator writes it: indented, sorted keys, a final newline."""
    return (json.dumps(obj, indent=4, sort_keys=bool(sort_keys), ensure_ascii=False)
            + "\n").encode()


def save(job: Job, data: Callable[[], bytes], base: str | os.PathLike[str],
         sliceno: int | None, kind: str, temp: bool, background: bool) -> SavedFile:
    """Write ``data()`` to ``base`` (``base.N`` for slice N) in the job being built, now
    or in a forked process."""
    if not job.writable:
        raise PermissionError(f"{job.id} is not the job being built: save to your own job")
    saved = SavedFile(job, os.fspath(base), sliceno, kind)
    name = saved.name
    job.filename(name)  # a bad name is refused here, in the caller, not in the background
    if temp:
        add_temps([name])
    if not background:
        _write(job, name, data())
        return saved
    _flush()
    pid = os.fork()
    if pid == 0:  # the object as it is now is what is saved: the fork has a copy
        status = 1
        try:
            _write(job, name, data())
            status = 0
        except BaseException:
            import traceback  # only here: a no-op run imports this module, never this

            traceback.print_exc()
        finally:
            _flush()
            os._exit(status)
    _BACKGROUND.append((pid, name))
    return saved


def _write(job: Job, name: str, data: bytes) -> None:
    with job.open(name, "wb") as f:
        f.write(data)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a stream the method broke: its own loss
            if stream is not None:
                stream.flush()


def wait_background(name: str | None = None) -> None:
    """Wait for this process's background saves (only ``name``'s, if given); one that
    failed is an error naming its file (its traceback is in the job's log)."""
    failed = []
    for pid, saved in list(_BACKGROUND):
        if name is not None and saved != name:
            continue
        _BACKGROUND.remove((pid, saved))
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # a process the method forked: its parent's save, not its
            continue
        if os.waitstatus_to_exitcode(status) != 0:
            failed.append(saved)
    if failed:
        raise RuntimeError(f"the background save of {', '.join(map(repr, failed))} failed "
                           "(its traceback is in the job's stderr log)")


def reap_background() -> None:
    """After the phase failed: its background saves are waited for, whatever became of
    them (none outlives its phase, or holds its process's pipes open)."""
    with contextlib.suppress(RuntimeError):
        wait_background()


def load(job: Job, name: str, default: Any = _NO_DEFAULT) -> Any:
    from acbuild import results

    try:
        return results.load(job.path, os.fspath(job.filename(name)))
    except FileNotFoundError:
        if default is _NO_DEFAULT:
            raise
        return default


def json_load(job: Job, name: str, default: Any = _NO_DEFAULT) -> Any:
    try:
        with open(job.filename(name), "rb") as f:
            return json.load(f)
    except FileNotFoundError:
        if default is _NO_DEFAULT:
            raise
        return default


# ---- temporary files: this process's, handed up from the slices, removed at the end ----

def take_temps() -> list[str]:
    """This process's temporary files, forgotten here (a slice hands them to its job)."""
    names = list(_TEMP)
    _TEMP.clear()
    return names


def add_temps(names: list[str]) -> None:
    for name in map(os.path.normpath, names):
        if name not in _TEMP:
            _TEMP.append(name)
        while name in _KEPT:
            _KEPT.remove(name)


def keep(name: str) -> None:
    """A temporary file registered after all: kept, as the Accelerator does."""
    while name in _TEMP:
        _TEMP.remove(name)
    if name not in _KEPT:
        _KEPT.append(name)


def begin_slice() -> None:
    """A slice starts: what it later hands its job is measured from here."""
    global _INHERITED
    _INHERITED = frozenset(_TEMP)
    _KEPT.clear()


def slice_changes() -> dict[str, list[str]]:
    """What a slice did to the temporary files: those it made, and those it kept (its
    job's too: a file prepare saved as temporary and a slice registered is kept)."""
    return {"temps": [name for name in _TEMP if name not in _INHERITED], "kept": list(_KEPT)}


def apply_slice_changes(changes: dict[str, list[str]]) -> None:
    add_temps(changes["temps"])
    for name in changes.get("kept", ()):
        keep(name)


def unregistered(job: Job, pattern: str, own: frozenset[str]) -> set[str]:
    """The files under the job directory that match ``pattern`` (a glob, recursive),
    but for temporary files and acbuild's records (``own``)."""
    found = set()
    for path in job.path.glob(pattern):
        name = path.relative_to(job.path).as_posix()
        if path.is_file() and name.split("/")[0] not in own and name not in _TEMP:
            found.add(name)
    return found


def remove_temps(job_dir: Job) -> None:
    """Remove the temporary files (those already gone: the method's business)."""
    for name in take_temps():
        path = job_dir.filename(name)  # refuses a name that now goes through a link
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
