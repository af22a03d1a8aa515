"""Starting and watching job processes: the parent's side of the warm launcher.

``Launcher`` starts ``python -m acbuild.child`` once per run, asks it to fork one
process per job, and reports each job's end. It speaks the launcher's JSON-lines
protocol (documented in ``acbuild.child``) and never imports that module: the two
are siblings in layer 3, joined only by the module name and the protocol.

The launcher kills every running job when its stdin closes, so ``close()``, an
exception here or the death of this process all leave no job behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any

from acbuild.errors import LauncherDied

LAUNCHER_MODULE = "acbuild.child"
# How long close() lets the launcher kill and reap its jobs before killing it.
CLOSE_TIMEOUT = 5.0


@dataclass(frozen=True)
class Exited:
    """A job's process ended. ``status``: its exit code (0 ok, 1 failed), or -N if signal N
    killed it; ``wall`` and ``cpu`` in seconds (cpu includes its slices). ``post``: its
    post.json, when the executor brought it back (else the engine reads it)."""

    token: int
    status: int
    wall: float
    cpu: float
    maxrss_kib: int
    post: dict[str, Any] | None = None


@dataclass(frozen=True)
class Request:
    """A running job asked the run something (``subjobs.build``); ``Launcher.reply``
    answers it."""

    token: int
    request: dict[str, Any]


class Launcher:
    """One warm launcher process; jobs are named by the caller's integer tokens."""

    def __init__(self, env: dict[str, str] | None = None):
        # -P (Python 3.11+): no current directory on sys.path, so that a project file named
        # like a module the launcher needs (select.py, signal.py) cannot stand in for it.
        # stderr is inherited: a launcher that breaks says why where the user can see it.
        safe_path = ["-P"] if sys.version_info >= (3, 11) else []
        self._proc = subprocess.Popen(
            [sys.executable, *safe_path, "-m", LAUNCHER_MODULE],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
        )
        self._stdin: IO[bytes] = self._proc.stdin  # type: ignore[assignment]
        self._stdout: IO[bytes] = self._proc.stdout  # type: ignore[assignment]
        self._pending = b""
        self._pids: dict[int, int] = {}  # token -> pid, once the launcher has said it
        self._closed = False
        self.running: set[int] = set()
        self._requests: list[Request] = []

    def start(self, token: int, job_dir: str | os.PathLike[str], concurrency: int,
              setup: dict[str, Any] | str | None = None) -> None:
        """Fork a process for the job whose setup.json is in ``job_dir``. ``setup``: what
        that setup.json says, when the caller has it (it saves the launcher reading it), as
        a dict or as the JSON text written there (then it is not encoded again)."""
        if token in self.running:
            raise ValueError(f"job token {token} is already running")
        request: dict[str, Any] = {"op": "start", "token": token, "job_dir": os.fspath(job_dir),
                                   "concurrency": concurrency}
        if isinstance(setup, str):
            # JSON text has raw newlines only between items (a string's are escaped): without
            # them it is one line of the same JSON, spliced into the request's.
            self._send_line(f'{json.dumps(request)[:-1]}, "setup": {setup.replace(chr(10), "")}}}')
        else:
            if setup is not None:
                request["setup"] = setup
            self._send(request)
        self.running.add(token)

    def wait(self, timeout: float | None) -> list[Exited]:
        """The jobs that have ended, as soon as there is one (or a job's request, which
        ``requests`` then takes); [] when ``timeout`` passes first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            exited = self._take_events()
            if exited or self._requests:
                return exited
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._stdout], [], [], remaining)
            if not ready:
                return []
            data = os.read(self._stdout.fileno(), 1 << 16)
            if not data:
                raise LauncherDied(self._death())
            self._pending += data

    def requests(self) -> list[Request]:
        """What running jobs have asked since the last call, in order."""
        taken, self._requests = self._requests, []
        return taken

    def reply(self, token: int, reply: dict[str, Any]) -> None:
        """Answer a running job's request; a job that has ended meanwhile hears nothing."""
        if token in self.running:
            self._send({"op": "reply", "token": token, "reply": reply})

    def kill(self, token: int) -> None:
        """SIGKILL the job and its slices; ``wait`` then reports it (status -9)."""
        if token in self.running:
            self._send({"op": "kill", "token": token})

    def close(self) -> None:
        """Kill every running job and end the launcher. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(BrokenPipeError):  # it is gone already
            self._stdin.close()  # EOF: the launcher kills and reaps its jobs, then exits
        try:
            self._proc.wait(CLOSE_TIMEOUT)
        except subprocess.TimeoutExpired:
            # Stuck: its jobs are its unreaped children, so their group ids are still theirs.
            for pid in self._pids.values():
                _killpg(pid)
            self._proc.kill()
            self._proc.wait()
        self._stdout.close()
        self.running.clear()
        self._pids.clear()

    def __enter__(self) -> Launcher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _send(self, request: dict[str, Any]) -> None:
        self._send_line(json.dumps(request))

    def _send_line(self, line: str) -> None:
        if self._closed:
            raise RuntimeError("the job launcher is closed")
        try:
            self._stdin.write((line + "\n").encode())
            self._stdin.flush()
        except BrokenPipeError:
            raise LauncherDied(self._death()) from None

    def _take_events(self) -> list[Exited]:
        *lines, self._pending = self._pending.split(b"\n")
        exited = []
        for line in filter(None, lines):
            event = json.loads(line)
            if event["event"] == "started":
                self._pids[event["token"]] = event["pid"]
            elif event["event"] == "request":
                self._requests.append(Request(event["token"], event["request"]))
            elif event["event"] == "exited":
                self.running.discard(event["token"])
                self._pids.pop(event["token"], None)
                exited.append(Exited(event["token"], event["status"], event["wall"],
                                     event["cpu"], event["maxrss_kib"]))
        return exited

    def _death(self) -> str:
        try:
            status = self._proc.wait(1.0)
        except subprocess.TimeoutExpired:
            status = None
        how = "closed its output" if status is None else f"exited with status {status}"
        lost = ", ".join(map(str, sorted(self.running))) or "none"
        return (f"the job launcher ({sys.executable} -m {LAUNCHER_MODULE}) {how}; "
                f"running jobs lost (tokens: {lost})")


def _killpg(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
        os.killpg(pgid, signal.SIGKILL)
