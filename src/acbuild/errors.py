"""The project's exception types.

Library code raises these and never prints or exits; ``cli`` is the one place
that turns them into a message and an exit status. A failed *job* is not an
exception: it is an outcome value the engine reports.
"""

from __future__ import annotations

import signal


class AcbuildError(Exception):
    """Base of every error acbuild reports to a user. ``exit_status`` is what cli exits with."""

    exit_status = 2

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where  # "path/to/file.py:12" when known
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class ConfigError(AcbuildError):
    """acbuild.toml / [tool.acbuild] is missing a piece, has an unknown key or a wrong type."""


class CanonicalError(AcbuildError):
    """A value cannot be encoded canonically (and so cannot be part of a job's identity)."""


class OptionError(AcbuildError):
    """An option value or declaration is wrong."""


class MethodError(AcbuildError):
    """A method is unknown, cannot be loaded, or declares something invalid."""


class ScriptError(AcbuildError):
    """A build script cannot be loaded or raised while being evaluated."""


class GraphError(AcbuildError):
    """The job graph is malformed: a cycle or a duplicate label."""


class InputFileError(AcbuildError):
    """An input file given with ``urd.file`` is missing or unreadable."""


class UnhashableFile(AcbuildError):
    """A file to hash is not a regular file (a FIFO, a socket, a device), or it changed
    while it was read: no digest would stand for its content. ``reason`` says which."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path} {reason}")
        self.path = path
        self.reason = reason


class JobSpecError(AcbuildError):
    """A JOB argument matches no job, or more than one."""


class StorageError(AcbuildError):
    """A work directory, job directory or the database is unusable or of a newer format."""


class DiskFull(StorageError):
    """The disk of a work directory has no room left: nothing is damaged, nothing can be
    written. Never a reason to move a database aside or to rebuild anything."""

    def __init__(self, workdir: str, detail: str = ""):
        super().__init__(
            f"the disk of the work directory is full{f' ({detail})' if detail else ''}",
            where=workdir,
            hint="free space on that disk (failed jobs in .failed/ may go), then run the "
                 "command again; the jobs and the database are intact")


class WorkdirInUse(AcbuildError):
    """`gc` or `doctor --fix` found another acbuild process using the work directory."""

    exit_status = 1


class RemoteError(AcbuildError):
    """The remote cache cannot be reached, refuses a request, or holds something unusable.

    A run meets it as a warning and goes on locally; ``push``, ``pull`` and ``remote``
    commands, which exist to talk to it, fail with it (exit status 1)."""

    exit_status = 1


class ExecutorError(AcbuildError):
    """The executor cannot run this run's jobs: its scheduler cannot be reached, a worker
    does not see the work directory, or no worker can meet a job's resource request.
    Raised before any job starts."""


class SubjobError(AcbuildError):
    """A job's ``subjobs.build`` was refused or its subjob failed: raised inside the job's
    process, so that the parent job fails naming its subjob."""

    exit_status = 1


class NeedsBuild(AcbuildError):
    """The script needs the result of a job that is not built, and this command builds nothing."""

    def __init__(self, job_id: str, where: str | None = None):
        super().__init__(f"the script needs the result of {job_id}, which is not built", where=where)
        self.job_id = job_id


class Interrupted(AcbuildError):
    """Ctrl-C (SIGINT), SIGTERM or SIGHUP stopped the command. The exit status is the
    shell's for a death by that signal: 128 + its number (130, 143, 129)."""

    def __init__(self, signum: int = signal.SIGINT):
        name = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
        super().__init__(f"interrupted{name}")
        self.signum = signum
        self.exit_status = 128 + signum


class JobError(AcbuildError):
    """A job failed, met where a build script needs its result (``handle.load()``): the
    script may catch it. ``job`` is the failed job (its handle, once the script's line is
    known, else its id), ``phase`` and ``sliceno`` where it failed, ``error`` the method's
    error (``"ZeroDivisionError: division by zero"``), ``status`` the ``with status()``
    stack then, ``path`` its kept directory. The Accelerator's name, and its
    ``format_msg()``."""

    exit_status = 1

    def __init__(self, message: str, *, job: object = None, method: str | None = None,
                 phase: str | None = None, sliceno: int | None = None, error: str = "",
                 status: tuple[str, ...] = (), path: str | None = None,
                 where: str | None = None):
        super().__init__(message, where=where)
        self.job, self.method, self.phase, self.sliceno = job, method, phase, sliceno
        self.error, self.status, self.path = error, status, path

    def format_msg(self) -> str:
        where = f"{self.phase or 'job process'}"
        if self.sliceno is not None:
            where += f" slice {self.sliceno}"
        job = getattr(self.job, "id", self.job)  # a handle, or the id
        lines = [f"job {job} failed in {where}: {self.error or self.message}"]
        if self.status:
            lines.append("status when the error happened: " + " › ".join(self.status))
        return "\n".join(lines)


class LauncherDied(RuntimeError):
    """The launcher process ended (killed, say): the jobs it was running are lost.

    Raised by ``runner``; defined here so that the engine can catch it without importing
    the runner (and subprocess) in a run that starts no job."""
