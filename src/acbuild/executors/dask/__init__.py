"""The Dask executor: each job runs as its own process on a Dask distributed worker.

A Dask task (``run_staged``, run by the worker) starts ``python -m acbuild.child JOB_DIR
CONCURRENCY`` — never the job in the worker's own threads, where a long GIL-holding job
would starve the worker — waits for it, and returns its exit status, its post.json and
where it ran. The work directory is shared: every worker sees it at the coordinator's
path (checked by ``admit``), the job writes only into its staging directory, and the
coordinator alone locks, publishes and writes the index.

Dask's own task retries are not used. A job whose worker died is tried again on another
worker (``retries``), in its staging directory emptied of the lost attempt's files; a task
Dask itself reschedules after its worker died finds the attempt's claim file (written by
the first worker, beside the staging directory) and only reports the loss, so a job is
never run twice behind acbuild's back.

``distributed`` is imported in this package only, and only when a run asks for this
executor. ``task`` is what runs on the workers.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acbuild.config import ExecutorConfig
from acbuild.errors import ExecutorError, LauncherDied
from acbuild.executors import Exited, Request
from acbuild.executors.dask.resources import dask_resources, meets, shown, worker_list
from acbuild.executors.dask.task import kill_keys, read_claim, read_marker, run_staged
from acbuild.jobrecords import last_marked_phase

CONNECT_SECONDS = 30.0
WORKERS_SECONDS = 60.0  # how long admit waits for a first worker (a batch queue may be slow)
POLL_SECONDS = 0.25  # wait() wakes this often, so that Ctrl-C is heard
KEPT_ON_RETRY = frozenset({"setup.json", "source"})


@dataclass
class _Attempt:
    token: int
    job_id: str
    job_dir: str
    concurrency: int
    resources: dict[str, float]
    number: int = 1
    key: str = ""
    future: Any = None
    killed: bool = False
    began: float = field(default_factory=time.monotonic)

    @property
    def claim(self) -> str:
        return f"{self.job_dir}.attempt{self.number}"


class DaskExecutor:
    """The workers of one Dask scheduler, reached by address or scheduler file."""

    def __init__(self, config: ExecutorConfig, workdir: Path):
        if config.address is None and config.scheduler_file is None:
            raise ExecutorError("the dask executor needs a scheduler",
                                hint="--scheduler tcp://HOST:PORT or --scheduler-file FILE, or "
                                     "'address' in [executor]")
        self.config, self.workdir = config, workdir
        self.where = config.address or f"the scheduler file {config.scheduler_file}"
        self._client: Any = None
        self._wanted: dict[str, tuple[dict[str, float], int]] = {}  # job id -> (resources, cpus)
        self._attempts: dict[int, _Attempt] = {}
        self._ended: queue.Queue[tuple[int, Any]] = queue.Queue()
        self.running: set[int] = set()

    # -- the protocol ------------------------------------------------------------------------
    def admit(self, requests: Iterable[Request]) -> None:
        workers = self._workers()
        self._check_shared(workers)
        for request in requests:
            wanted = dask_resources(request.resources)
            self._wanted[request.job_id] = (wanted, int(request.resources.get(
                "cpus", request.slices)))
            if wanted and not any(meets(w.get("resources") or {}, wanted)
                                  for w in workers.values()):
                raise ExecutorError(
                    f"job {request.job_id} asks for {shown(wanted)}, which no worker of "
                    f"{self.where} has (workers: {worker_list(workers)})",
                    hint="start workers with --resources, e.g. "
                         "dask worker ADDRESS --resources \"cpus=4,memory=17179869184,gpus=1\"")

    def slots(self, slices: int, free: int) -> int:
        return 1  # -j on Dask: jobs in flight; its slices run on its worker

    def start(self, token: int, job_dir: str | os.PathLike[str], concurrency: int,
              setup: dict[str, Any] | str | None = None) -> None:
        job_dir = os.fspath(job_dir)
        # The setup as the engine wrote setup.json: its JSON text, or the record.
        record = json.loads(setup) if isinstance(setup, str) else setup
        job_id = record["id"] if record else os.path.basename(job_dir).split(".")[0]
        wanted, cpus = self._wanted.get(job_id, ({}, concurrency))
        attempt = _Attempt(token, job_id, job_dir, cpus, wanted)
        self._submit(attempt)
        self.running.add(token)

    def wait(self, timeout: float | None) -> list[Exited]:
        deadline = None if timeout is None else time.monotonic() + timeout
        exited: list[Exited] = []
        while not exited:
            left = POLL_SECONDS if deadline is None else deadline - time.monotonic()
            try:
                ended = [self._ended.get(timeout=max(0.0, min(left, POLL_SECONDS)))]
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    return []
                continue
            with contextlib.suppress(queue.Empty):
                while True:
                    ended.append(self._ended.get_nowait())
            for token, future in ended:
                attempt = self._attempts.get(token)
                if attempt is not None and attempt.future is future:
                    exited.extend(self._ended_attempt(attempt))
        return exited

    def requests(self) -> list[Any]:
        """None: a job on a worker has no channel to the run (``subjobs.build`` says so)."""
        return []

    def reply(self, token: int, reply: dict[str, Any]) -> None:
        """Never asked: see ``requests``."""

    def kill(self, token: int) -> None:
        attempt = self._attempts.get(token)
        if attempt is not None:
            attempt.killed = True
            self._kill_keys([attempt.key])
            attempt.future.cancel()

    def close(self) -> None:
        if self._client is None:
            return
        keys = [a.key for a in self._attempts.values()]
        for attempt in self._attempts.values():
            attempt.future.cancel()
        with contextlib.suppress(Exception):  # the scheduler is gone: so are its tasks
            self._kill_keys(keys)
        for attempt in self._attempts.values():
            with contextlib.suppress(OSError):
                os.unlink(attempt.claim)
        self._attempts.clear()
        self.running.clear()
        with contextlib.suppress(Exception):
            self._client.close()
        self._client = None

    # -- connecting and checking -------------------------------------------------------------
    def client(self) -> Any:
        if self._client is None:
            from distributed import Client

            try:
                if self.config.address is not None:
                    self._client = Client(self.config.address, timeout=CONNECT_SECONDS,
                                          set_as_default=False)
                else:
                    self._await_scheduler_file()
                    self._client = Client(scheduler_file=str(self.config.scheduler_file),
                                          timeout=CONNECT_SECONDS, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as e:
                raise ExecutorError(f"cannot reach the Dask scheduler at {self.where}: {e}",
                                    hint="is the scheduler running, and is the address "
                                         "reachable from here?") from None
        return self._client

    def _await_scheduler_file(self) -> None:
        # Dask's Client waits for a missing scheduler file forever, past its own timeout;
        # give a scheduler being started as long as an address gets, then say so.
        path = self.config.scheduler_file
        assert path is not None
        deadline = time.monotonic() + CONNECT_SECONDS
        while not path.exists():
            if time.monotonic() > deadline:
                raise ExecutorError(f"the Dask scheduler file {path} does not exist (waited "
                                    f"{CONNECT_SECONDS:.0f} seconds)",
                                    hint="start the scheduler with `dask scheduler "
                                         f"--scheduler-file {path}` first")
            time.sleep(0.1)

    def _workers(self) -> dict[str, dict[str, Any]]:
        client = self.client()
        try:
            client.wait_for_workers(1, timeout=WORKERS_SECONDS)
        except TimeoutError:
            raise ExecutorError(f"no Dask worker joined {self.where} within "
                                f"{WORKERS_SECONDS:.0f} seconds") from None
        try:
            info = client.scheduler_info(n_workers=-1)
        except TypeError:  # a distributed older than its n_workers parameter
            info = client.scheduler_info()
        workers: dict[str, dict[str, Any]] = info["workers"]
        return workers

    def _check_shared(self, workers: dict[str, dict[str, Any]]) -> None:
        """Every worker must see the work directory at this path: a marker written here must
        read back the same there."""
        marker = self.workdir / ".tmp" / f"executor-check.{os.getpid()}.{uuid.uuid4().hex}"
        word = uuid.uuid4().hex
        marker.write_text(word)
        try:
            seen = self.client().run(read_marker, str(marker))
        finally:
            with contextlib.suppress(OSError):
                marker.unlink()
        for address, what in sorted(seen.items()):
            if what != word:
                host = workers.get(address, {}).get("host", address)
                raise ExecutorError(
                    f"the Dask worker {address} (host {host}) does not see the work directory "
                    f"{self.workdir} at that path: reading {marker} there gave {what}",
                    hint="the work directory must be on a file system every worker mounts at "
                         "the same path (README: On a cluster)")

    # -- attempts ------------------------------------------------------------------------------
    def _submit(self, attempt: _Attempt) -> None:
        attempt.key = f"acbuild-{attempt.job_id}-{attempt.number}-{uuid.uuid4().hex[:8]}"
        attempt.future = self.client().submit(
            run_staged, attempt.job_dir, attempt.concurrency, attempt.number, attempt.claim,
            attempt.key, key=attempt.key, pure=False, retries=0, resources=attempt.resources or None)
        self._attempts[attempt.token] = attempt
        token, future = attempt.token, attempt.future
        future.add_done_callback(lambda _: self._ended.put((token, future)))

    def _ended_attempt(self, attempt: _Attempt) -> list[Exited]:
        future = attempt.future
        if future.status == "finished":
            outcome = future.result()
            if outcome["outcome"] == "exited":
                return [self._exited(attempt, outcome)]
            if outcome["outcome"] == "lost":  # Dask ran it again after its worker died
                return self._lost(attempt, outcome.get("previous") or {})
            return [self._fail(attempt, "JobNotStarted", outcome["message"])]
        if attempt.killed:
            return [self._fail(attempt, "Killed", "the job was killed", status=-signal.SIGKILL)]
        if future.status == "cancelled":
            raise LauncherDied(f"the Dask scheduler at {self.where} cancelled the job's task "
                               "(was the scheduler lost?)")
        error = future.exception()
        if type(error).__name__ == "KilledWorker":
            last = getattr(error, "last_worker", None)
            return self._lost(attempt, read_claim(attempt.claim) or {
                "worker": getattr(last, "address", "?"), "host": getattr(last, "host", "?")})
        return [self._fail(attempt, "DaskError", f"its Dask task failed: "
                                                 f"{type(error).__name__}: {error}")]

    def _lost(self, attempt: _Attempt, where: dict[str, Any]) -> list[Exited]:
        """Its worker died: try it again on another, or fail naming the host. ``where``: the
        claim the worker wrote as it started the job, else what Dask knows of the worker."""
        started = "worker_pid" in where  # only a claim, written as the job starts, has it
        who = f"its worker {where.get('worker', '?')} on host {where.get('host', '?')}"
        if started:
            who += f" (pid {where['worker_pid']})"
        if attempt.number <= self.config.retries:
            _forget(attempt.claim)
            _empty(attempt.job_dir)
            attempt.number += 1
            self._submit(attempt)
            return []
        message = (f"{who} died while the job ran (attempt {attempt.number} of "
                   f"{self.config.retries + 1})")
        if not started:
            message += ("; the job never started. The workers' logs (that one's is gone with "
                        "it, unless its nanny restarted it):\n" + self._log_tail())
        return [self._fail(attempt, "WorkerLost", message)]

    def _exited(self, attempt: _Attempt, outcome: dict[str, Any]) -> Exited:
        if outcome["post"] is None and not os.path.exists(os.path.join(attempt.job_dir,
                                                                       "stderr.log")):
            # It ended before the job opened its logs: what it said is on the worker.
            return self._fail(attempt, "JobNotStarted", (
                f"the job process on the worker {outcome['worker']} (host {outcome['host']}) "
                f"exited with status {outcome['status']} before the job started; it said:\n"
                f"{_indented(outcome['stderr']) or '  (nothing)'}\nThe worker's log:\n"
                f"{self._log_tail([outcome['worker']])}"), status=outcome["status"] or 1)
        self._done(attempt)
        return Exited(attempt.token, outcome["status"], outcome["wall"], outcome["cpu"],
                      outcome["maxrss_kib"], outcome["post"])

    def _fail(self, attempt: _Attempt, kind: str, message: str, status: int = 1) -> Exited:
        self._done(attempt)
        post = {"status": "failed", "error": {
            "phase": last_marked_phase(Path(attempt.job_dir)), "slice": None, "type": kind,
            "message": message, "traceback": ""}}
        return Exited(attempt.token, status, time.monotonic() - attempt.began, 0.0, 0, post)

    def _done(self, attempt: _Attempt) -> None:
        _forget(attempt.claim)
        del self._attempts[attempt.token]
        self.running.discard(attempt.token)

    def _kill_keys(self, keys: list[str]) -> None:
        if keys:
            self.client().run(kill_keys, keys)

    def _log_tail(self, workers: list[str] | None = None, lines: int = 20) -> str:
        try:
            logs = self.client().get_worker_logs(n=lines, workers=workers)
        except Exception as e:
            return f"  (the workers' logs cannot be read: {e})"
        # Newest first, as Dask keeps them: the last few, in the order they were written.
        return "\n".join(f"  {address}: {text}" for address, entries in sorted(logs.items())
                         for _, text in reversed(entries[:lines])) or "  (empty)"


# -- small pieces ---------------------------------------------------------------------------
def _indented(text: str, lines: int = 30) -> str:
    return "\n".join(f"  {line}" for line in text.rstrip().splitlines()[-lines:])


def _forget(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _empty(job_dir: str) -> None:
    """What a lost attempt wrote goes; setup.json and source/ stay for the next."""
    with os.scandir(job_dir) as entries:
        for entry in entries:
            if entry.name in KEPT_ON_RETRY:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                _forget(entry.path)

