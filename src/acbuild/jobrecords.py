"""A job directory's records: the names of the files acbuild writes in it, reading its
``setup.json`` (its format versioned: a newer one is refused) and ``post.json``, the
copies in its ``source/``, and the phase its log says it entered last.

It reads and formats them; where a job directory is, and staging and publishing it, is
``workdir``'s; whether one is intact is ``intact``'s.
"""

from __future__ import annotations

import errno
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from acbuild.errors import StorageError
from acbuild.joblog import open_regular_file

SETUP_FILE = "setup.json"
POST_FILE = "post.json"
SOURCE_DIR = "source"
SETUP_FORMAT = 1


def read_json(path: Path) -> dict[str, Any]:
    try:
        with open_regular_file(path) as f:  # bytes: json decodes them faster than text
            value = json.loads(f.read())
    except FileNotFoundError:
        raise StorageError("missing", where=str(path)) from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise StorageError("not a regular file (a link)", where=str(path)) from None
        if e.errno == errno.EINVAL:
            raise StorageError("not a regular file", where=str(path)) from None
        raise StorageError(f"unreadable or corrupt: {e}", where=str(path)) from None
    except ValueError as e:
        raise StorageError(f"unreadable or corrupt: {e}", where=str(path)) from None
    if not isinstance(value, dict):
        raise StorageError("corrupt: not a JSON object", where=str(path))
    return value


def setup_text(setup: Mapping[str, Any]) -> str:
    """setup.json's text: one item a line, for grep and diff; json's C encoder (indent= is
    pure Python, a tenth of a millisecond per job). Made once a job: the launcher is sent it
    too (``runner.Launcher.start``), its newlines taken out."""
    return json.dumps(setup, sort_keys=True, separators=(",\n ", ": ")) + "\n"


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
    """The copies in a job's ``source/``: project-relative path -> bytes ({} if none). A link
    there is no copy acbuild made: what it leads to (any file of the machine) is not read."""
    root = job_dir / SOURCE_DIR
    try:
        if root.is_symlink():
            return {}
        return {p.relative_to(root).as_posix(): p.read_bytes()
                for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}
    except OSError:
        return {}


# The line the job process writes to both logs as it enters a phase
# (acbuild.child.process._marker). Compiled at first use (re's cache keeps it): every run
# imports this module, few read a log.
_PHASE_MARK = rb"(?m)^--- acbuild: (load|prepare|analysis|synthesis)\b[^\n]* ---$"


def last_marked_phase(job_dir: Path) -> str | None:
    """The phase a job's log says it entered last: where a job that died without a word was.
    (No slice: the job process itself may have died while its slices ran.)"""
    try:
        # (a job that left a FIFO there and died would keep its run waiting on it forever)
        with open_regular_file(job_dir / "stdout.log") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 65536))
            marks = re.findall(_PHASE_MARK, f.read())
    except OSError:
        return None
    return marks[-1].decode() if marks else None


def is_finished(job_dir: Path) -> bool:
    """A published directory whose post.json says the job finished."""
    try:
        return read_post(job_dir).get("status") == "ok"
    except StorageError:
        return False
