"""The analysis phase: slices, each a process forked from the job, a given number at a
time, each writing its own logs; a slice that fails or dies fails the job and its
siblings are stopped."""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import time
import traceback
from typing import Any, NoReturn

from acbuild import jobfiles, results, statusmsg
from acbuild.child import process
from acbuild.child.phases import JobFailure, Phase
from acbuild.child.process import (
    _cpu,
    _end,
    _fork,
    _leave_unless,
    _marker,
    _method_frames,
    _open_logs,
    _pidfd,
    _signal_name,
    _since,
)
from acbuild.early import FinishEarly
from acbuild.joblog import SLICE_LOGS, slice_log

# ---- analysis slices --------------------------------------------------------

def _run_analysis(function: Phase, args: dict[str, Any], concurrency: int,
                  phases: dict[str, Any]) -> tuple[list[Any], bool]:
    """analysis_res: every slice's return, in slice order; and whether every slice called
    ``job.finish_early()`` (some but not all is a failure)."""
    profile: list[dict[str, Any]] = []
    phases["analysis"] = {"wall": 0.0, "slices": profile}
    began = time.monotonic()
    _marker("analysis")  # the slices' own logs come here, when the whole log is read
    logs = _slice_logs()
    try:
        slices = _Slices(function, args, profile, logs)
        values = slices.run(args["slices"], max(1, concurrency))
        return values, _all_early(slices.early)
    finally:
        os.close(logs)
        phases["analysis"]["wall"] = _since(began)
        profile.sort(key=lambda entry: entry["sliceno"])


def _slice_logs() -> int:
    """The directory the slices write their logs in, made new in the job directory."""
    try:
        job_dir = process._job_dir_fd()
        os.mkdir(SLICE_LOGS, dir_fd=job_dir)
        return os.open(SLICE_LOGS, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                       dir_fd=job_dir)
    except OSError as exc:
        if isinstance(exc, FileExistsError):
            exc = FileExistsError(f"{SLICE_LOGS!r} in the job directory is acbuild's, for the "
                                  "slices' logs; the method made one before analysis")
        raise JobFailure.of("analysis", None, exc) from None


def _all_early(early: list[int]) -> bool:
    """Whether every slice finished early; a failure if only some did."""
    if not any(early) or all(early):
        return any(early)
    said = [str(n) for n, e in enumerate(early) if e]
    not_said = [str(n) for n, e in enumerate(early) if not e]
    message = (f"slice(s) {', '.join(said)} called job.finish_early() and slice(s) "
               f"{', '.join(not_said)} did not: in analysis every slice must call it, or none")
    raise JobFailure("analysis", None, "FinishEarlyError", message,
                     f"FinishEarlyError: {message}\n")


class _Slice:
    def __init__(self, sliceno: int, pid: int, data: int, exit_fd: int):
        self.sliceno, self.pid, self.data, self.exit = sliceno, pid, data, exit_fd
        self.buf, self.began = bytearray(), time.monotonic()


class _Slices:
    """Slices are processes forked from the job (so prepare_res is shared, not pickled),
    ``concurrency`` at a time. Each pipes back ``("ok", value)`` or ``("error", type,
    message, traceback)``; one that ends without either has died. A failure kills the rest."""

    def __init__(self, function: Phase, args: dict[str, Any], profile: list[dict[str, Any]],
                 logs: int):
        self.function, self.args, self.profile, self.logs = function, args, profile, logs
        self.live: dict[int, _Slice] = {}  # by data pipe, and by pidfd where there are pidfds
        self.results: list[Any] = []
        self.early: list[int] = []  # per slice: 1 if it called job.finish_early()
        self.poll = select.poll()

    def run(self, count: int, concurrency: int) -> list[Any]:
        self.results, started = [None] * count, 0
        self.early = [0] * count
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
            _slice_main(self.function, {**self.args, "sliceno": sliceno}, sliceno, self.logs,
                        list(self.live))
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
            if len(outcome) > 2:  # what the slice did besides returning: early, temp files
                self.early[piece.sliceno] = int(outcome[2]["early"])
                jobfiles.apply_slice_changes(outcome[2])
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


def _slice_main(function: Phase, args: dict[str, Any], sliceno: int, logs: int,
                siblings: list[int]) -> NoReturn:
    """A slice process: run analysis into its own logs, send back what it returned or
    raised, and end, through os._exit whatever the method did: never back into the job's
    code, which would stop its siblings."""
    status, me = 1, os.getpid()
    try:
        for fd in siblings:
            os.close(fd)  # the siblings' pipes are not this slice's
        _open_logs(logs, (slice_log(sliceno, "stdout"), slice_log(sliceno, "stderr")),
                   fresh=True)
        _marker(f"analysis slice {sliceno}")
        jobfiles.begin_slice()
        statusmsg.publish_to(process._job_dir_fd, f"{SLICE_LOGS}/{sliceno}.status")
        try:
            value, early = _call_slice(function, args)
            payload, ok = results.dumps(("ok", value, {"early": early,
                                                       **jobfiles.slice_changes()})), True
            statusmsg.withdraw()
        except BaseException as exc:
            record = JobFailure.of("analysis", sliceno, exc, _method_frames(exc)).record
            payload, ok = pickle.dumps(("error", record["type"], record["message"],
                                        record["traceback"], record.get("status", ()))), False
        _leave_unless(me)
        pipe = process._parent_pipe()
        if pipe is not None:  # else the method closed it: the job sees this slice die
            with open(pipe, "wb") as f:
                f.write(payload)
            status = 0 if ok else 1
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        _end(status)


def _call_slice(function: Phase, args: dict[str, Any]) -> tuple[Any, bool]:
    """The slice's return, and whether it called ``job.finish_early()``; its background
    saves are written before it says it is done."""
    try:
        value, early = function[0](**{name: args[name] for name in function[1]}), False
    except FinishEarly as finish:
        if finish.result is not None:
            jobfiles.reap_background()
            raise ValueError("job.finish_early(result) in analysis: a slice ends the job "
                             "without a result (return it from prepare or synthesis)"
                             ) from None
        value, early = None, True
    except BaseException:
        jobfiles.reap_background()
        raise
    jobfiles.wait_background()
    return value, early
