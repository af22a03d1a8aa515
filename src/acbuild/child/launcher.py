"""The warm launcher (``python -m acbuild.child``): imports each method once per code hash,
from the job's source/ snapshot (``acbuild.snapshot``), and forks one process per job, as
the parent's requests say; reports each job's end."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import time
import traceback
from types import ModuleType
from typing import Any, NoReturn

from acbuild import snapshot, subjobs
from acbuild.child import process
from acbuild.child.channel import Channels
from acbuild.child.phases import JobFailure, _method_phases
from acbuild.child.process import (
    _cpu,
    _end,
    _flush,
    _fork,
    _interruptible,
    _killpg,
    _marker,
    _open_logs,
    _pidfd,
    _since,
    _usage_so_far,
)
from acbuild.child.run import line_buffered, read_setup, run_job

# ---- the launcher -----------------------------------------------------------

def serve() -> None:
    """Run the launcher until stdin closes; then kill every running job and return."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C, and says what to kill
    requests, events = os.dup(0), os.dup(1)
    # A method's import-time print, or a warning, must never land in the protocol stream.
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    line_buffered()
    launcher = _Launcher(requests, events)
    try:
        launcher.serve_forever()
    except BrokenPipeError:
        pass  # the parent is gone: nobody is left to tell
    finally:
        launcher.kill_all()


class _Running:
    __slots__ = ("token", "pid", "fd", "began", "pipe", "reported")

    def __init__(self, token: int, pid: int, fd: int, pipe: int):
        self.token, self.pid, self.fd, self.began = token, pid, fd, time.monotonic()
        self.pipe = pipe  # where the job says it is done (-1: not watched)
        self.reported = False


class _Launcher:
    def __init__(self, requests: int, events: int):
        self.requests, self.events = requests, events
        self.by_token: dict[int, _Running] = {}
        self.by_fd: dict[int, _Running] = {}  # by the fd that turns readable when the job ends
        self.by_pipe: dict[int, _Running] = {}  # by the pipe its "done" comes through
        # fds closed since the last poll: a later event of the same batch for that number is
        # stale (poll is level-triggered, so one for a new fd of that number comes again)
        self.closed: set[int] = set()
        self.codes: dict[tuple[str, str], snapshot.Code] = {}  # by code hash and method file
        self.method_dirs: set[str] = set()
        self.method_dir = ""  # that of the last job started
        self.poll = select.poll()
        self.channels = Channels(lambda fd: self.poll.register(fd, select.POLLIN),
                                 self._unregister)

    def serve_forever(self) -> None:
        self.poll.register(self.requests, select.POLLIN)
        # The start of a request not yet ended by its newline, in the pieces it came in:
        # joined once its newline comes, so a request of many megabytes (a long string
        # option) costs time linear in its size, not quadratic.
        pending: list[bytes] = []
        while True:
            self.closed.clear()
            for fd, _ in self.poll.poll():
                if fd in self.closed:
                    continue  # closed while handling this batch (a job's two fds): stale
                if fd in self.by_pipe:
                    self.done(self.by_pipe[fd])
                    continue
                if fd in self.channels.by_fd:
                    self.forward(fd)
                    continue
                if fd != self.requests:
                    self.reap(self.by_fd.pop(fd))
                    continue
                data = os.read(fd, 1 << 16)
                if not data:
                    return
                pending.append(data)
                if b"\n" not in data:
                    continue
                *lines, rest = b"".join(pending).split(b"\n")
                pending = [rest]
                for line in filter(None, lines):
                    self.handle(json.loads(line))

    def handle(self, request: dict[str, Any]) -> None:
        if request["op"] == "start":
            self.start(request["token"], request["job_dir"], request.get("concurrency", 1),
                       request.get("setup"))
        elif request["op"] == "kill" and request["token"] in self.by_token:
            _killpg(self.by_token[request["token"]].pid)
        elif request["op"] == "reply":
            self.channels.reply(request["token"], request["reply"])
        elif request["op"] != "kill":
            print(f"acbuild.child: unknown request {request!r}", file=sys.stderr)

    def start(self, token: int, job_dir: str, concurrency: int,
              setup: dict[str, Any] | None) -> None:
        setup, module = self.load(job_dir, setup)
        ours, theirs = Channels.pair()
        pid, r = _fork()
        if pid == 0:
            os.close(ours)
            subjobs.connect(theirs)
            self.job_process(job_dir, concurrency, module, setup)
        self.channels.watch(token, ours, theirs)
        exit_fd = _pidfd(pid)
        pipe = -1
        if exit_fd is None:
            exit_fd = r  # EOF: only the job holds the pipe's write end
        else:
            pipe = r  # the job says "done" here before it exits
        with contextlib.suppress(OSError):  # the child did it first, or has ended already
            os.setpgid(pid, pid)  # the child does it too: so a kill right now finds the group
        job = self.by_token[token] = self.by_fd[exit_fd] = _Running(token, pid, exit_fd, pipe)
        self.poll.register(job.fd, select.POLLIN)
        if pipe >= 0:
            self.by_pipe[pipe] = job
            self.poll.register(pipe, select.POLLIN)
        os.write(self.events, b'{"event": "started", "token": %d, "pid": %d}\n' % (token, pid))

    def _isolate(self, search_path: list[str], method_dir: str) -> None:
        """The live directories on sys.path, for what the snapshot does not hold (a module
        imported by a computed name): the method's own directory first, and no helper of
        another methods directory (its own `_util`) standing in for this one's. Costs
        nothing for the next job of the same methods directory."""
        if method_dir == self.method_dir and sys.path[:len(search_path)] == search_path:
            return
        self.method_dir = method_dir
        for entry in reversed(search_path):
            if entry in sys.path:
                sys.path.remove(entry)
            sys.path.insert(0, entry)
        self.method_dirs.add(method_dir)
        others = tuple(d + os.sep for d in self.method_dirs if d != method_dir)
        if others:
            for name, module in list(sys.modules.items()):
                file = getattr(module, "__file__", None) or ""
                if file.startswith(others):
                    del sys.modules[name]  # methods imported before keep theirs

    def load(self, job_dir: str, setup: dict[str, Any] | None = None
             ) -> tuple[dict[str, Any] | None, ModuleType | BaseException]:
        """setup.json (read unless given) and the method module, or what stopped them: the
        job reports that. The method is imported from the job's source/ snapshot, once per
        code hash: a later job of that code gets the module imported for the first."""
        process._LOAD = None  # this job's, if it imports its method (forked with it)
        try:
            if setup is None:
                setup = read_setup(job_dir)
            key = snapshot.code_key(setup)
            self._isolate(setup.get("sys_path", []), os.path.dirname(key[1]))
            code = self.codes.get(key)
            if code is None:
                code = self.codes[key] = _timed_import(snapshot.Layout.of(setup), job_dir)
                with contextlib.suppress(JobFailure):  # each job of the method reports it
                    _method_phases(code.module)  # inspect once here, not in every job
            snapshot.activate(code, job_dir)
            return setup, code.module
        except BaseException as exc:  # SystemExit too: a method's top level must not end us
            return setup, exc

    def job_process(self, job_dir: str, concurrency: int, module: ModuleType | BaseException,
                    setup: dict[str, Any] | None) -> NoReturn:
        """The forked job's whole life. Whatever its method does (closes stdout, breaks a
        stream, raises from a finally), it ends here through os._exit: it never returns into
        the launcher's code, which holds every other job."""
        status = 1
        try:
            os.setpgid(0, 0)  # one group with its slices: a kill takes them all
            _interruptible()
            for fd in (self.requests, self.events, *self.by_fd, *self.by_pipe,
                       *self.channels.by_fd):
                os.close(fd)  # the launcher's protocol and its other jobs are not this job's
            status = run_job(job_dir, concurrency, module, setup)
        except BaseException:
            with contextlib.suppress(BaseException):
                traceback.print_exc()
        finally:
            try:
                _flush()
                _say_done(status)
            finally:
                _end(status)

    def done(self, job: _Running) -> None:
        """The job said it is done, and has nothing left to run but its exit, which takes its
        memory down (most of a millisecond): the parent hears of its end now, not after."""
        data = os.read(job.pipe, 256)
        self._forget_pipe(job)
        try:
            status, cpu, maxrss = data.split()
            int(status), float(cpu), int(maxrss)
        except ValueError:
            return  # EOF, or not from our code: the exit says how it ended
        # Whatever the job left running in its group goes with it (its pid is still its own:
        # it has not been reaped).
        _killpg(job.pid)
        self.channels.forget(job.token)
        job.reported = True
        del self.by_token[job.token]  # the parent may give the token to a new job now
        self._exited(job, int(status), _since(job.began), float(cpu), int(maxrss))

    def reap(self, job: _Running) -> None:
        self.poll.unregister(job.fd)
        os.close(job.fd)
        self.closed.add(job.fd)
        self._forget_pipe(job)
        if not job.reported:
            self.channels.forget(job.token)
        # The job is a zombie now, so its group id cannot have been reused: whatever it
        # left running in its group goes with it.
        _killpg(job.pid)
        _, status, usage = os.wait4(job.pid, 0)
        if job.reported:
            return
        del self.by_token[job.token]
        self._exited(job, os.waitstatus_to_exitcode(status), _since(job.began),
                     round(usage.ru_utime + usage.ru_stime, 6), usage.ru_maxrss)

    def forward(self, fd: int) -> None:
        """A job's requests (subjobs.build) go to the parent, which answers with a reply."""
        token, requests = self.channels.read(fd)
        for request in requests:
            self.send({"event": "request", "token": token, "request": request})

    def _unregister(self, fd: int) -> None:
        self.poll.unregister(fd)
        self.closed.add(fd)

    def _forget_pipe(self, job: _Running) -> None:
        if job.pipe >= 0:
            self.poll.unregister(job.pipe)
            os.close(job.pipe)
            self.closed.add(job.pipe)
            del self.by_pipe[job.pipe]
            job.pipe = -1

    def _exited(self, job: _Running, status: int, wall: float, cpu: float, maxrss: int
                ) -> None:
        # Formatted, not json.dumps: fewer objects touched, so fewer of the pages the
        # launcher shares with its running jobs copied (each fork shares them all again).
        os.write(self.events, b'{"event": "exited", "token": %d, "pid": %d, "status": %d, '
                 b'"wall": %r, "cpu": %r, "maxrss_kib": %d}\n'
                 % (job.token, job.pid, status, wall, cpu, maxrss))

    def send(self, event: dict[str, Any]) -> None:
        os.write(self.events, (json.dumps(event) + "\n").encode())

    def kill_all(self) -> None:
        unreaped = list(self.by_fd.values())  # those reported done too: not yet waited for
        for job in unreaped:
            _killpg(job.pid)
        for job in unreaped:
            os.waitpid(job.pid, 0)
        self.by_token.clear()
        self.by_fd.clear()


def _say_done(status: int) -> None:
    """Tell the launcher the job is done (exit status, cpu seconds and peak memory, its
    slices included), just before it exits."""
    pipe = process._parent_pipe()
    if pipe is None:
        return  # the method closed it: the launcher learns of the end from the exit
    cpu, peak_rss_kib = _usage_so_far()
    with contextlib.suppress(OSError):  # the launcher is gone: nobody is left to tell
        os.write(pipe, b"%d %.6f %d\n" % (status, cpu, peak_rss_kib))


def _timed_import(layout: snapshot.Layout, job_dir: str) -> snapshot.Code:
    """``_import_method``, its time kept for the job's profile (``load``): importing a
    method and its libraries can take longer than the job itself."""
    began, cpu = time.monotonic(), _cpu()
    try:
        return _import_method(layout, job_dir)
    finally:
        process._LOAD = {"wall": _since(began), "cpu": round(_cpu() - cpu, 6)}


def _import_method(layout: snapshot.Layout, job_dir: str) -> snapshot.Code:
    """Import a method from the job's source/ as ``acbuild_method_<method>``; what it prints
    goes to the job's logs."""
    saved = os.dup(1), os.dup(2)
    try:
        _open_logs(job_dir)
        _marker("load")
        return snapshot.import_method(layout, job_dir)
    finally:
        _flush()
        for fd, old in zip((1, 2), saved):
            os.dup2(old, fd)
            os.close(old)
