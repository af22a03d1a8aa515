"""Inside job processes: the warm launcher, and the running of one job.

``serve`` is the launcher, ``python -m acbuild.child``, started once per run by
``acbuild.runner``. It has imported everything a job needs, imports each method
once, and forks one process per job, so a job starts in about a millisecond.
Protocol, JSON lines: requests on stdin ``{"op": "start", "token", "job_dir",
"concurrency"}`` and ``{"op": "kill", "token"}``; events on stdout
``{"event": "started", "token", "pid"}`` and ``{"event": "exited", "token", "pid",
"status", "wall", "cpu", "maxrss_kib"}`` (status: exit code, or -signal).

``run_job`` is what a forked job process does: read ``setup.json``, run prepare,
the analysis slices (each a process forked from the job) and synthesis, and
write ``result.pickle``, ``stdout.log``, ``stderr.log`` and ``post.json``.

Standard library and layers 0-1 only, never click, rich or sqlite3: every job
process has this module loaded, and its start must stay fast.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib.util
import inspect
import io
import json
import os
import pickle
import resource
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, NoReturn

from acbuild.canonical import InputFile, from_json
from acbuild.errors import MethodError, StorageError
from acbuild.hashing import hash_file
from acbuild.job import RESULT_FILE, Job, Namespace

SETUP_FORMAT = 1
POST_FORMAT = 1
SETUP_FILE = "setup.json"
POST_FILE = "post.json"
LOGS = ("stdout.log", "stderr.log")
# acbuild's own bookkeeping at the top of a job directory, which post.json's "files" omits.
UNLISTED = frozenset({SETUP_FILE, POST_FILE, POST_FILE + ".tmp", *LOGS, "source"})
# The parameters each phase function may name; prepare_res and analysis_res exist only
# once their phase has run.
PHASE_PARAMETERS = {
    "prepare": ("job", "options", "jobs", "slices"),
    "analysis": ("job", "options", "jobs", "slices", "sliceno", "prepare_res"),
    "synthesis": ("job", "options", "jobs", "slices", "prepare_res", "analysis_res"),
}
# A phase function, and the names of the parameters it takes.
Phase = tuple[Callable[..., Any], tuple[str, ...]]
Phases = dict[str, Phase]


class JobFailure(Exception):
    """Why a job failed: post.json's "error" record."""

    def __init__(self, phase: str, sliceno: int | None, type_: str, message: str, tb: str):
        super().__init__(message)
        self.record = {"phase": phase, "slice": sliceno, "type": type_, "message": message,
                       "traceback": tb}

    @classmethod
    def of(cls, phase: str, sliceno: int | None, exc: BaseException,
           tb: TracebackType | None = None) -> JobFailure:
        text = "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))
        return cls(phase, sliceno, type(exc).__name__, str(exc), text)


def read_setup(job_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The job's setup.json; one of a newer format than this acbuild knows is refused."""
    path = os.path.join(job_dir, SETUP_FILE)
    with open(path, "rb") as f:
        setup: dict[str, Any] = json.load(f)
    if not isinstance(setup.get("format"), int) or setup["format"] > SETUP_FORMAT:
        raise StorageError(f"format {setup.get('format')!r}, but this acbuild reads format "
                           f"{SETUP_FORMAT} or older", where=path, hint="upgrade acbuild")
    return setup


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
    launcher = _Launcher(requests, events)
    try:
        launcher.serve_forever()
    except BrokenPipeError:
        pass  # the parent is gone: nobody is left to tell
    finally:
        launcher.kill_all()


class _Running:
    def __init__(self, token: int, pid: int, fd: int):
        self.token, self.pid, self.fd, self.began = token, pid, fd, time.monotonic()


class _Launcher:
    def __init__(self, requests: int, events: int):
        self.requests, self.events = requests, events
        self.by_token: dict[int, _Running] = {}
        self.by_fd: dict[int, _Running] = {}  # by the fd that turns readable when the job ends
        self.modules: dict[tuple[str, int, int], ModuleType] = {}
        self.method_dirs: set[str] = set()
        self.poll = select.poll()

    def serve_forever(self) -> None:
        self.poll.register(self.requests, select.POLLIN)
        pending = b""
        while True:
            for fd, _ in self.poll.poll():
                if fd != self.requests:
                    self.reap(self.by_fd.pop(fd))
                    continue
                data = os.read(fd, 1 << 16)
                if not data:
                    return
                *lines, pending = (pending + data).split(b"\n")
                for line in filter(None, lines):
                    self.handle(json.loads(line))

    def handle(self, request: dict[str, Any]) -> None:
        if request["op"] == "start":
            self.start(request["token"], request["job_dir"], request.get("concurrency", 1))
        elif request["op"] == "kill" and request["token"] in self.by_token:
            _killpg(self.by_token[request["token"]].pid)
        elif request["op"] != "kill":
            print(f"acbuild.child: unknown request {request!r}", file=sys.stderr)

    def start(self, token: int, job_dir: str, concurrency: int) -> None:
        setup, module = self.load(job_dir)
        pid, r = _fork()
        if pid == 0:
            self.job_process(job_dir, concurrency, module, setup)
        exit_fd = _pidfd(pid)
        if exit_fd is None:
            exit_fd = r  # EOF: only the job holds the pipe's write end
        else:
            os.close(r)
        with contextlib.suppress(OSError):  # the child did it first, or has ended already
            os.setpgid(pid, pid)  # the child does it too: so a kill right now finds the group
        job = self.by_token[token] = self.by_fd[exit_fd] = _Running(token, pid, exit_fd)
        self.poll.register(job.fd, select.POLLIN)
        self.send({"event": "started", "token": token, "pid": pid})

    def _isolate(self, search_path: list[str], method_dir: str) -> None:
        """Import as the code hash resolved: the method's own directory first, and no helper
        of another methods directory (its own `_util`) standing in for this one's. Costs
        nothing with one methods directory."""
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

    def load(self, job_dir: str) -> tuple[dict[str, Any] | None, ModuleType | BaseException]:
        """setup.json and the method module, or what stopped them: the job reports that."""
        setup = None
        try:
            setup = read_setup(job_dir)
            path = setup["method_file"]
            stat = os.stat(path)
            key = (path, stat.st_mtime_ns, stat.st_size)  # an edited method is imported anew
            self._isolate(setup.get("sys_path", []), os.path.dirname(path))
            if key not in self.modules:
                self.modules[key] = _import_method(setup["method"], path, job_dir)
                with contextlib.suppress(JobFailure):  # each job of the method reports it
                    _method_phases(self.modules[key])  # inspect once here, not in every job
            return setup, self.modules[key]
        except BaseException as exc:  # SystemExit too: a method's top level must not end us
            return setup, exc

    def job_process(self, job_dir: str, concurrency: int, module: ModuleType | BaseException,
                    setup: dict[str, Any] | None) -> NoReturn:
        status = 1
        try:
            os.setpgid(0, 0)  # one group with its slices: a kill takes them all
            signal.signal(signal.SIGINT, signal.default_int_handler)
            for fd in (self.requests, self.events, *self.by_fd):
                os.close(fd)  # the launcher's protocol and its other jobs are not this job's
            status = run_job(job_dir, concurrency, module, setup)
        except BaseException:
            traceback.print_exc()
        finally:
            _flush()
            os._exit(status)

    def reap(self, job: _Running) -> None:
        self.poll.unregister(job.fd)
        os.close(job.fd)
        # The job is a zombie now, so its group id cannot have been reused: whatever it
        # left running in its group goes with it.
        _killpg(job.pid)
        _, status, usage = os.wait4(job.pid, 0)
        del self.by_token[job.token]
        self.send({"event": "exited", "token": job.token, "pid": job.pid,
                   "status": os.waitstatus_to_exitcode(status), "wall": _since(job.began),
                   "cpu": round(usage.ru_utime + usage.ru_stime, 6),
                   "maxrss_kib": usage.ru_maxrss})

    def send(self, event: dict[str, Any]) -> None:
        os.write(self.events, (json.dumps(event) + "\n").encode())

    def kill_all(self) -> None:
        for job in self.by_token.values():
            _killpg(job.pid)
        for job in self.by_token.values():
            os.waitpid(job.pid, 0)
        self.by_token.clear()


def _import_method(method: str, path: str, job_dir: str) -> ModuleType:
    """Import a method file as ``acbuild_method_<method>``; what it prints goes to the job's logs."""
    name = f"acbuild_method_{method}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise MethodError("cannot be imported as a Python module", where=path)
    module = importlib.util.module_from_spec(spec)
    saved = os.dup(1), os.dup(2)
    try:
        _open_logs(job_dir)
        _marker("load")
        sys.modules[name] = module  # so that the method's classes pickle within the job
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        _flush()
        for fd, old in zip((1, 2), saved):
            os.dup2(old, fd)
            os.close(old)
    return module


_PHASES: dict[ModuleType, Phases | JobFailure] = {}


def _method_phases(module: ModuleType) -> Phases:
    """The method's phase functions and the parameters each names, checked; computed once
    per module, in the launcher before it forks (inspect is slow, a job's start is not)."""
    if module not in _PHASES:
        try:
            _PHASES[module] = {phase: (getattr(module, phase), _parameters(phase, module))
                               for phase in PHASE_PARAMETERS
                               if callable(getattr(module, phase, None))}
        except JobFailure as failure:
            _PHASES[module] = failure
    found = _PHASES[module]
    if isinstance(found, JobFailure):
        raise found
    return found


def _parameters(phase: str, module: ModuleType) -> tuple[str, ...]:
    function, allowed = getattr(module, phase), PHASE_PARAMETERS[phase]
    for name, parameter in inspect.signature(function).parameters.items():
        if name not in allowed or parameter.kind in (parameter.VAR_POSITIONAL,
                                                     parameter.VAR_KEYWORD):
            code = function.__code__
            error = MethodError(f"{phase}() takes a parameter {name!r}; {phase} may take only "
                                f"{', '.join(allowed)}",
                                where=f"{code.co_filename}:{code.co_firstlineno}")
            raise JobFailure.of(phase, None, error)
    return tuple(inspect.signature(function).parameters)


# ---- one job, in its own process --------------------------------------------

def run_job(job_dir: str, concurrency: int, module: ModuleType | BaseException,
            setup: dict[str, Any] | None = None) -> int:
    """Run one job in this process; returns its exit status, 0 (ok) or 1 (failed).

    ``module`` is the method, or the exception that stopped its import (the job then
    fails in phase "load"); ``setup`` is read from the job directory when not given.
    """
    job_dir = os.path.abspath(job_dir)
    os.chdir(job_dir)  # job.path is the staging directory: relative names work
    _open_logs(job_dir)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(line_buffering=True)  # a crash loses at most a partial line
    start, began = time.time(), time.monotonic()
    phases: dict[str, Any] = {}
    error = None
    try:
        if isinstance(module, BaseException):
            raise JobFailure.of("load", None, module)
        _run_phases(_method_phases(module), _arguments(job_dir, setup), concurrency, phases)
    except JobFailure as failure:
        error = failure.record
        print(error["traceback"], file=sys.stderr, end="", flush=True)
    _write_post(start, began, phases, error)
    return 0 if error is None else 1


def _arguments(job_dir: str, setup: dict[str, Any] | None) -> dict[str, Any]:
    try:
        setup = setup if setup is not None else read_setup(job_dir)
        options = _resolve_files(from_json(setup["options"]), setup["project_root"])
        inputs = {name: Job(info["path"], info["id"]) if info else None
                  for name, info in setup["inputs"].items()}
        return {"job": Job(job_dir, setup["id"], writable=True), "options": Namespace(options),
                "jobs": Namespace(inputs), "slices": setup["slices"],
                "prepare_res": None, "analysis_res": None}
    except Exception as exc:
        raise JobFailure.of("load", None, exc) from None


def _resolve_files(value: Any, root: str) -> Any:
    """Input files become absolute paths, also inside lists and dicts."""
    if isinstance(value, InputFile):
        return Path(root, value.relpath)
    if isinstance(value, (list, tuple)):
        return type(value)(_resolve_files(item, root) for item in value)
    if isinstance(value, dict):
        return {key: _resolve_files(item, root) for key, item in value.items()}
    return value


def _run_phases(functions: Phases, args: dict[str, Any], concurrency: int,
                phases: dict[str, Any]) -> None:
    result, producer = None, ""
    if "prepare" in functions:
        result = args["prepare_res"] = _call("prepare", functions["prepare"], args, phases)
        producer = "prepare"
    if "analysis" in functions:
        args["analysis_res"] = _run_analysis(functions["analysis"], args, concurrency, phases)
    if "synthesis" in functions:
        result = _call("synthesis", functions["synthesis"], args, phases)
        producer = "synthesis"
    if result is not None:
        try:
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise JobFailure.of(producer, None, exc) from None
        with open(RESULT_FILE, "wb") as f:
            f.write(data)


def _call(phase: str, function: Phase, args: dict[str, Any], phases: dict[str, Any]) -> Any:
    _marker(phase)
    began, cpu = time.monotonic(), _cpu()
    try:
        return function[0](**{name: args[name] for name in function[1]})
    except BaseException as exc:  # SystemExit too: it fails the phase, not the bookkeeping
        raise JobFailure.of(phase, None, exc, _method_frames(exc)) from None
    finally:
        phases[phase] = {"wall": _since(began), "cpu": round(_cpu() - cpu, 6)}


def _write_post(start: float, began: float, phases: dict[str, Any],
                error: dict[str, Any] | None) -> None:
    files = dict(sorted(_list_files(".", "").items()))
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    post: dict[str, Any] = {
        "format": POST_FORMAT, "status": "ok" if error is None else "failed",
        "start": start, "end": time.time(), "wall": _since(began),
        "cpu": round(_cpu(own) + _cpu(children), 6),
        "peak_rss_kib": max(own.ru_maxrss, children.ru_maxrss), "phases": phases,
        "files": files, **({} if error is None else {"error": error})}
    with open(POST_FILE + ".tmp", "w") as f:
        f.write(json.dumps(post) + "\n")  # no indent: json's C encoder is the fast one
    os.replace(POST_FILE + ".tmp", POST_FILE)


def _list_files(directory: str, prefix: str) -> dict[str, dict[str, Any]]:
    """Size and blake3 of every file under ``directory`` that the job wrote."""
    files = {}
    with os.scandir(directory) as entries:
        for entry in entries:
            if not prefix and entry.name in UNLISTED:
                continue
            if entry.is_dir(follow_symlinks=False):
                files.update(_list_files(entry.path, f"{prefix}{entry.name}/"))
            elif entry.is_file():
                files[prefix + entry.name] = {"size": entry.stat().st_size,
                                              "blake3": hash_file(entry.path)}
    return files


# ---- analysis slices --------------------------------------------------------

def _run_analysis(function: Phase, args: dict[str, Any], concurrency: int,
                  phases: dict[str, Any]) -> list[Any]:
    """analysis_res: every slice's return, in slice order."""
    profile: list[dict[str, Any]] = []
    phases["analysis"] = {"wall": 0.0, "slices": profile}
    began = time.monotonic()
    try:
        return _Slices(function, args, profile).run(args["slices"], max(1, concurrency))
    finally:
        phases["analysis"]["wall"] = _since(began)
        profile.sort(key=lambda entry: entry["sliceno"])


class _Slice:
    def __init__(self, sliceno: int, pid: int, data: int, exit_fd: int):
        self.sliceno, self.pid, self.data, self.exit = sliceno, pid, data, exit_fd
        self.buf, self.began = bytearray(), time.monotonic()


class _Slices:
    """Slices are processes forked from the job (so prepare_res is shared, not pickled),
    ``concurrency`` at a time. Each pipes back ``("ok", value)`` or ``("error", type,
    message, traceback)``; one that ends without either has died. A failure kills the rest."""

    def __init__(self, function: Phase, args: dict[str, Any], profile: list[dict[str, Any]]):
        self.function, self.args, self.profile = function, args, profile
        self.live: dict[int, _Slice] = {}  # by data pipe, and by pidfd where there are pidfds
        self.results: list[Any] = []
        self.poll = select.poll()

    def run(self, count: int, concurrency: int) -> list[Any]:
        self.results, started = [None] * count, 0
        try:
            while started < count or self.live:
                while started < count and len(set(self.live.values())) < concurrency:
                    self.fork(started)
                    started += 1
                for fd, _ in self.poll.poll():
                    if fd in self.live:
                        self.event(self.live[fd], fd)
            return self.results
        finally:
            self.kill_all()

    def fork(self, sliceno: int) -> None:
        pid, r = _fork()
        if pid == 0:
            for fd in self.live:
                os.close(fd)  # the siblings' pipes are not this slice's
            _slice_main(self.function, {**self.args, "sliceno": sliceno}, sliceno)
        exit_fd = _pidfd(pid)
        piece = _Slice(sliceno, pid, r, r if exit_fd is None else exit_fd)
        for fd in {piece.data, piece.exit}:
            self.live[fd] = piece
            self.poll.register(fd, select.POLLIN)

    def event(self, piece: _Slice, fd: int) -> None:
        if fd == piece.data:
            if self.read(piece) or piece.exit != fd:
                return  # more to come, or its pidfd will say when it has ended
        else:  # it has ended, so all it wrote is in the pipe by now
            if piece.data >= 0:
                os.set_blocking(piece.data, False)
            while piece.data >= 0 and self.read(piece):
                pass
            self.drop(fd)
        self.results[piece.sliceno] = self.finish(piece)

    def read(self, piece: _Slice) -> bool:
        """Read what the slice sent; False, and its pipe closed, at the end."""
        try:
            chunk = os.read(piece.data, 1 << 16)
        except BlockingIOError:
            chunk = b""
        piece.buf += chunk
        if not chunk:
            self.drop(piece.data)
            piece.data = -1
        return bool(chunk)

    def finish(self, piece: _Slice) -> Any:
        _, status, usage = os.wait4(piece.pid, 0)
        self.profile.append({"sliceno": piece.sliceno, "wall": _since(piece.began),
                             "cpu": round(_cpu(usage), 6), "peak_rss_kib": usage.ru_maxrss})
        try:
            outcome: Any = pickle.loads(piece.buf) if piece.buf else ("died",)
        except Exception as exc:
            raise JobFailure.of("analysis", piece.sliceno, exc) from None
        if outcome[0] == "ok":
            return outcome[1]
        if outcome[0] == "error":
            raise JobFailure("analysis", piece.sliceno, *outcome[1:])
        code = os.waitstatus_to_exitcode(status)
        how = f"was killed by {_signal_name(-code)}" if code < 0 else f"exited with status {code}"
        message = f"slice {piece.sliceno} {how} before returning"
        raise JobFailure("analysis", piece.sliceno, "SliceDied", message, f"SliceDied: {message}\n")

    def drop(self, fd: int) -> None:
        del self.live[fd]
        self.poll.unregister(fd)
        os.close(fd)

    def kill_all(self) -> None:
        """After a failure, the slices still running are stopped (and reaped)."""
        pieces = set(self.live.values())
        for piece in pieces:
            os.kill(piece.pid, signal.SIGKILL)  # not reaped yet, so the pid is still this child
        for piece in pieces:
            os.waitpid(piece.pid, 0)
            for fd in {piece.data, piece.exit} - {-1}:
                self.drop(fd)


def _slice_main(function: Phase, args: dict[str, Any], sliceno: int) -> NoReturn:
    """A slice process: run analysis, send back what it returned or raised, and end."""
    status = 1
    try:
        _marker(f"analysis slice {sliceno}")
        try:
            value = function[0](**{name: args[name] for name in function[1]})
            payload, status = pickle.dumps(("ok", value), pickle.HIGHEST_PROTOCOL), 0
        except BaseException as exc:
            record = JobFailure.of("analysis", sliceno, exc, _method_frames(exc)).record
            payload = pickle.dumps(("error", record["type"], record["message"],
                                    record["traceback"]))
        with open(_WRITE_END, "wb") as pipe:
            pipe.write(payload)
    except BaseException:
        traceback.print_exc()
    finally:
        _flush()
        os._exit(status)


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
    for stream in (sys.stdout, sys.stderr):
        print(f"--- acbuild: {phase} ---", file=stream, flush=True)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


def _cpu(usage: Any = None) -> float:
    usage = usage or resource.getrusage(resource.RUSAGE_SELF)
    return float(usage.ru_utime + usage.ru_stime)


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


if __name__ == "__main__":
    serve()
