"""Why a built job failed, as an ``events.JobFailure``: what its ``post.json`` says, or
how its process ended, or that its directory went while it ran; and whether the disk
under a job is full.

It reads the job's directory and the file system's state, and changes nothing.
"""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from acbuild import events
from acbuild.intact import PostStat, post_stat
from acbuild.jobrecords import SETUP_FILE, last_marked_phase

if TYPE_CHECKING:
    from acbuild.executors import Exited


def directory_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def setup_identity(staging: Path) -> tuple[int, ...] | None:
    """What tells the setup.json acbuild wrote into a staging directory from any other file
    in its place (its file type, inode, size, mtime): one lstat. Not its permissions or
    ctime: a method that makes its directory read-only (`chmod -R a-w`) changed nothing."""
    try:
        st = os.lstat(os.path.join(staging, SETUP_FILE))
    except OSError:
        return None
    return (stat.S_IFMT(st.st_mode), st.st_ino, st.st_size, st.st_mtime_ns)


def changed_setup(staging: Path, identity: tuple[int, ...] | None) -> events.JobFailure | None:
    """Why the job's setup.json is not the one acbuild wrote, or None. A method may remove,
    rewrite or replace it (by a FIFO, a link): a job published so would say it is another
    job, or hang whoever reads it."""
    if identity is not None and setup_identity(staging) == identity:
        return None
    return events.JobFailure(
        phase=None, slice=None, traceback="",
        message=f"its {SETUP_FILE} was removed, rewritten or replaced while it ran (by its "
                "method?): a job's records are acbuild's; it was not published")


InputSeen = tuple[str, str, "PostStat | None"]  # an input's id, directory, post.json's stat


def inputs_seen(inputs: list[tuple[str, Path | None]]) -> list[InputSeen]:
    """Each input job's post.json as a job about to start may read it: (id, directory,
    stat); one lstat an input."""
    return [(job_id, str(path), post_stat(str(path))) for job_id, path in inputs
            if path is not None]


def input_rebuilt(seen: list[InputSeen]) -> events.JobFailure | None:
    """Why a job that ended is not to be published because an input it may have read was
    rebuilt in place (another run forced it) while it ran, or None. Published after that
    input, it would look current for ever, holding a result of the input's earlier build."""
    for job_id, path, then in seen:
        if post_stat(path) != then:
            return events.JobFailure(
                phase=None, slice=None, traceback="",
                message=f"its input {job_id} was built again or removed while it ran (by "
                        "another run?): what it read may be the earlier result; it was not "
                        "published")
    return None


def lost_directory(staging: Path, identity: tuple[int, int] | None) -> events.JobFailure | None:
    """Why the job's directory is not the one it was given, or None: a method may remove,
    move or replace it (its process writes only into the directory it was given, wherever
    that is now). Nothing of such a job is published or kept."""
    try:
        st = os.lstat(staging)
    except FileNotFoundError:
        how = "was removed or moved away"
    except OSError as e:
        how = f"cannot be read ({e.strerror or e})"
    else:
        if stat.S_ISDIR(st.st_mode) and (st.st_dev, st.st_ino) == identity:
            return None
        how = "was replaced by something else"
    return events.JobFailure(
        phase=None, slice=None, traceback="",
        message=f"its directory {staging} {how} while it ran (by its method?); "
                "nothing of the job was published or kept")


def failure_of(exited: Exited, post: dict[str, Any], staging: Path) -> events.JobFailure:
    error = post.get("error") or {}
    if error:
        return events.JobFailure(
            phase=error.get("phase"), slice=error.get("slice"),
            message=f"{error.get('type', 'Error')}: {error.get('message', '')}",
            traceback=error.get("traceback", ""))
    # It ended without saying why (os._exit, a signal, a full disk): its log says how far
    # it got.
    phase = last_marked_phase(staging)
    if exited.status < 0:
        message = f"the job process was killed by {_signal_name(-exited.status)}"
    else:
        message = f"the job process exited with status {exited.status} without finishing"
    if not os.access(staging, os.R_OK | os.W_OK | os.X_OK):
        message += "; its directory was made unreadable (by its method?)"
    return events.JobFailure(phase=phase, slice=None, message=message, traceback="")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def disk_full(path: Path) -> bool:
    try:
        st = os.statvfs(path)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024
