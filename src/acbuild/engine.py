"""Running a plan: start ready jobs (up to ``-j``), publish, record, emit events.

A job is built in the target work directory's ``.tmp/`` under its lock,
published by one rename, then recorded in the database, then unlocked — so a
second acbuild process that wanted the same job waits for the lock and finds
it finished. The engine never prints: it reports events.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from acbuild import dbruns, events, plan
from acbuild.db import JobRow
from acbuild.errors import AcbuildError, Interrupted, LauncherDied, StorageError
from acbuild.graph import JobSpec
from acbuild.jobfailure import (
    InputSeen,
    changed_setup,
    directory_identity,
    disk_full,
    failure_of,
    input_rebuilt,
    inputs_seen,
    lost_directory,
    setup_identity,
)
from acbuild.joblocks import JobLock
from acbuild.jobrecords import last_marked_phase, read_post, setup_text
from acbuild.jobsetup import JobSetup
from acbuild.logfollow import LogFollower
from acbuild.methods import Method
from acbuild.stopping import signal_of, signals_ignored
from acbuild.store import JobStore
from acbuild.subjob_requests import SubjobPlanner, Waiting, Waits

if TYPE_CHECKING:
    from acbuild.executors import Executor, Exited
    from acbuild.runner import Request

# Fetches what it can of the given stale jobs from elsewhere (the remote cache), publishing
# them into the target, and tells the builder of each: (hash, directory, seconds, who made it).
FetchJobs = Callable[[Sequence[JobSpec], Callable[[str, Path, float, str], None]], None]
LOCK_RETRY_SECONDS = 0.1
_USABLE = frozenset({"built", "reused", "fetched"})  # outcomes a dependent can use
OUTPUT_POLL_SECONDS = 0.1  # with run -v: how often running jobs' logs are read


class Outcome(NamedTuple):
    """What became of one job in a run (a named tuple: a no-op run has one per job)."""

    spec: JobSpec
    state: str  # built, reused, fetched (from the remote cache), failed, skipped
    reason: str
    location: str | Path | None  # the job's directory; a Path only when asked for (``path``)

    @property
    def path(self) -> Path | None:
        return None if self.location is None else Path(self.location)


class Builder:
    """Builds the stale jobs of one or more plans in one run; remembers every outcome."""

    def __init__(self, store: JobStore, method_of: Callable[[str], Method], project_root: Path,
                 reporter: events.Reporter, jobs: int, keep_going: bool = False,
                 stream_output: bool = False, on_built: Callable[[Path], None] | None = None,
                 fetch: FetchJobs | None = None,
                 executor: Callable[[], Executor] | None = None,
                 subjobs: SubjobPlanner | None = None):
        self.store = store
        self.method_of = method_of
        self.project_root = project_root
        self.reporter = reporter
        self.jobs = max(1, jobs)
        self.keep_going = keep_going
        self.stream_output = stream_output  # report running jobs' output (run -v)
        self.on_built = on_built  # hears of each job this run built, once it is published
        self.fetch = fetch  # asked for the stale jobs before any of them is built
        self.make_executor = executor  # where jobs run; None: the local warm launcher
        self.subjobs = subjobs  # answers a running job's subjobs.build (None: refused)
        self.outcomes: dict[str, Outcome] = {}
        self.failed = False
        self._launcher: Executor | None = None
        self.setup = JobSetup(store, project_root, self._input_record)
        self._started = time.monotonic()

    # -- public -----------------------------------------------------------------------------
    def path_of(self, job_hash: str) -> Path | None:
        outcome = self.outcomes.get(job_hash)
        return outcome.path if outcome and outcome.state in _USABLE else None

    def built_hashes(self) -> frozenset[str]:
        return frozenset(h for h, o in self.outcomes.items() if o.state == "built")

    def _open(self, job_hash: str) -> bool:
        """Whether this run may still build the job: it has no outcome yet, or was reused
        unread (a later read that finds it changed builds it)."""
        outcome = self.outcomes.get(job_hash)
        return outcome is None or outcome.state == "reused"

    def execute(self, decisions: Sequence[plan.Decision]) -> None:
        self._reuse_cached(decisions)
        # A job reused earlier in this run, unread then, is decided again when it is read (a
        # result the script loads, an input of a job to build): changed since, it is built.
        todo = [d for d in decisions if d.build and self._open(d.spec.hash)]
        if todo and self.fetch is not None:
            wanted = {d.spec.hash: d.spec for d in todo if not d.spec.force}
            self.fetch(list(wanted.values()), lambda job_hash, path, seconds, origin:
                       self.fetched(wanted[job_hash], path, seconds, origin))
            todo = [d for d in todo if self._open(d.spec.hash)]
        if todo:
            self.store.target.remove_leftovers()
            _Run(self, todo).run()

    def warm_up(self) -> None:
        """Start the local launcher now, told that the plan builds a job: its interpreter
        starts while this process says why, records the reused jobs and stages the first
        job; and this machine's versions, which the job's setup.json records, are found
        meanwhile. Neither when a remote cache may serve the stale jobs; no launcher on
        another executor."""
        if self.fetch is not None:
            return
        self.setup.prepare()
        if self.make_executor is None:
            self.launcher()

    def close(self) -> None:
        if self._launcher is not None:
            self._launcher.close()
            self._launcher = None

    def finish(self, script: str, run_id: int, interrupted: bool = False,
               error: bool = False) -> events.RunFinished:
        """Close the run; ``error``: an acbuild error (in the script, say) stopped it."""
        states = [o.state for o in self.outcomes.values()]  # counted by list.count: in C
        counts = {state: states.count(state)
                  for state in ("built", "reused", "fetched", "failed", "skipped")}
        status = ("interrupted" if interrupted else "failed" if self.failed
                  else "error" if error else "ok")
        try:
            dbruns.finish_run(
                self.store.target_db(), run_id, status,
                {o.spec.id: o.state for o in self.outcomes.values() if o.state != "skipped"})
        except StorageError as e:  # a full disk, say: each job's own record is written already
            self.reporter.report(events.Warning(f"the run's history was not written: {e}"))
        finished = events.RunFinished(
            built=counts["built"], reused=counts["reused"], failed=counts["failed"],
            skipped=counts["skipped"], seconds=time.monotonic() - self._started,
            interrupted=interrupted, error=error, fetched=counts["fetched"])
        self.reporter.report(finished)
        return finished

    # -- used by _Run -----------------------------------------------------------------------
    def launcher(self) -> Executor:
        """The executor jobs run on (the engine knows it only by the protocol)."""
        if self._launcher is None:
            if self.make_executor is not None:
                self._launcher = self.make_executor()
            else:
                # Imported here: only a run that builds starts processes (a no-op run does not).
                from acbuild.executors.local import LocalExecutor

                self._launcher = LocalExecutor()
        return self._launcher

    def fetched(self, spec: JobSpec, path: Path, seconds: float, origin: str) -> None:
        """A job the remote cache published into the target for this run."""
        reason = f"fetched from the remote cache (pushed by {origin})"
        self.outcomes[spec.hash] = Outcome(spec, "fetched", reason, path)
        self.reporter.report(events.JobFetched(_ref(spec, reason), str(path), seconds))

    def _reuse(self, spec: JobSpec, path: str | Path, reason: str) -> None:
        # One job (built by another run, a cached subjob; a plan's cached jobs: all at once,
        # ``_reuse_cached``): its three records made without their __new__ calls.
        make = _make
        self.outcomes[spec.hash] = make(Outcome, (spec, "reused", reason, path))
        self.reporter.report(make(events.JobReused, (
            make(events.JobRef, (spec.id, spec.method, reason)), str(path))))

    def _reuse_cached(self, decisions: Sequence[plan.Decision]) -> None:
        """Reuse each cached job not met before in this run, told in one ``JobsReused``: a
        no-op run of 10,000 jobs reuses 10,000 (a ``_reuse`` call and event for each was
        half of its recording)."""
        outcomes, make = self.outcomes, _make
        ids: list[str] = []
        paths: list[str] = []
        for decision in decisions:
            if not decision.build:
                spec = decision.spec
                if spec.hash not in outcomes:
                    path = decision.found.location
                    outcomes[spec.hash] = make(Outcome, (spec, "reused", "cached", path))
                    ids.append(spec.id)
                    paths.append(str(path))
        if ids:
            self.reporter.report(events.JobsReused(tuple(ids), tuple(paths)))

    def _input_record(self, job_hash: str | None) -> dict[str, str] | None:
        """What setup.json says of one input job: its id and where it is."""
        return None if job_hash is None else {
            "id": self.outcomes[job_hash].spec.id, "path": str(self.path_of(job_hash))}


class _Run:
    """One pass over a list of stale jobs: the scheduler loop."""

    def __init__(self, builder: Builder, todo: Sequence[plan.Decision]):
        self.b = builder
        self.decisions = {d.spec.hash: d for d in todo}
        # Jobs reused earlier in the run that this pass builds again (stale once read): their
        # old outcome stands until it is replaced, and is no outcome of this pass.
        self._earlier = {h: builder.outcomes[h] for h in self.decisions if h in builder.outcomes}
        self.waiting_on: dict[str, set[str]] = {
            h: {i for i in d.spec.input_hashes if i in self.decisions} for h, d in
            self.decisions.items()}
        self.dependents: dict[str, list[str]] = {h: [] for h in self.decisions}
        for h, deps in self.waiting_on.items():
            for dep in deps:
                self.dependents[dep].append(h)
        self.ready = deque(h for h, deps in self.waiting_on.items() if not deps)
        self.locked_elsewhere: dict[str, float] = {}
        self.told_waiting: set[str] = set()  # said once, not at every retry of the lock
        self.running: dict[int, _Running] = {}
        self.waits = Waits()  # subjobs: who waits for which
        self.free = builder.jobs
        self.stopping = False
        self._token = 0

    def run(self) -> None:
        try:
            self._admit()
            while self._unfinished():
                self._start_ready()
                if self.waits.by_job:  # a subjob may have an outcome already (or never)
                    self._answer_subjobs()
                if not self.running:
                    if self.locked_elsewhere:
                        time.sleep(LOCK_RETRY_SECONDS)
                        self._retry_locked()
                        continue
                    if not self.ready:
                        break
                    continue
                timeout = LOCK_RETRY_SECONDS if self.locked_elsewhere else None
                if self.b.stream_output:
                    timeout = min(timeout or OUTPUT_POLL_SECONDS, OUTPUT_POLL_SECONDS)
                due = self.b.store.flush_due()  # the rows of jobs published, batched
                if due <= 0:
                    self.b.store.flush()
                elif due != float("inf"):
                    timeout = due if timeout is None else min(timeout, due)
                try:
                    exits = self.b.launcher().wait(timeout)
                except LauncherDied as e:
                    self._launcher_died(e)
                    exits = []
                seen = time.time()  # when they ended, as far as we know: before publishing any
                for exited in exits:
                    self._finished(exited, seen)
                self._subjob_requests()
                self._stream_output()
                self._retry_locked()
        except KeyboardInterrupt as interrupt:  # Ctrl-C, or a Stop: SIGTERM, SIGHUP
            with signals_ignored():
                self._interrupt()
            raise Interrupted(signal_of(interrupt)) from None
        self.b.store.flush()
        for h in self.decisions:
            if self._pending(h):
                self._skip(h, "the run stopped after a failure")

    def _admit(self) -> None:
        """The executor checks, before any job starts, that it can run them all (the requests
        are made only if it reads them: the local executor does not)."""
        from acbuild.executors import Request

        method_of = self.b.method_of
        self.b.launcher().admit(Request(
            d.spec.id, {**method_of(d.spec.method).resources, **dict(d.spec.resources)},
            d.spec.slices or 1) for d in self.decisions.values())

    def _unfinished(self) -> bool:
        return bool(self.ready or self.running or self.locked_elsewhere)

    def _start_ready(self) -> None:
        while self.ready and self.free > 0 and not self.stopping:
            self._start(self.ready.popleft())

    def _retry_locked(self) -> None:
        for h in list(self.locked_elsewhere):
            if not self.stopping:
                del self.locked_elsewhere[h]
                self.ready.append(h)

    def _start(self, h: str) -> None:
        decision = self.decisions[h]
        spec = decision.spec
        target = self.b.store.target
        lock = target.lock(spec.id)
        if lock is None:
            if h not in self.told_waiting:
                self.told_waiting.add(h)
                self.b.reporter.report(events.JobWaiting(_ref(spec, decision.reason)))
            self.locked_elsewhere[h] = time.monotonic()
            return
        # Double-check under the lock: another process may have just finished it (or what
        # holds its name is damaged, and is moved aside now).
        try:
            # (A parent whose subjob changed is built again in place, as a forced one is.)
            checked = (None if spec.force or decision.cause in ("subjob", "input newer")
                       else self.b.store.recheck(h, spec.id))
        except BaseException:
            lock.release()
            raise
        if checked is not None and checked.found is not None:
            lock.release()
            self.b._reuse(spec, checked.found.location, "built by another run")
            self._done(h)
            return
        if checked is not None and checked.kept is not None:
            self.b.reporter.report(events.Warning(
                f"{spec.id}: {checked.problem}; moved it to {checked.kept}"))
        method = self.b.method_of(spec.method)
        setup = self.b.setup.setup_for(spec, method)
        setup["built_because"] = decision.record()  # explain and show say it, as it was
        chain = self.waits.chains.get(h)
        if chain:
            setup["subjob_of"] = chain[-1][0]
        try:
            text = setup_text(setup)  # encoded once: written, and sent to the launcher
            staging = target.stage(spec.id, text, method.sources)
        except OSError as e:  # a full disk, say: the job cannot even begin
            self._not_staged(decision, lock, e)
            return
        started = time.time()  # the job's directory is ready: from here on, it is launching
        slots = self.b.launcher().slots(spec.slices or 1, self.free)
        self.free -= slots
        self._token += 1
        follower = LogFollower(staging) if self.b.stream_output else None
        self.running[self._token] = _Running(decision, staging, lock, slots, started, follower,
                                             directory_identity(staging), setup["identity"],
                                             setup_identity(staging), inputs_seen(
                                                 [(self.b.outcomes[h].spec.id, self.b.path_of(h))
                                                  for h in spec.input_hashes
                                                  if h in self.b.outcomes]))
        self.b.reporter.report(events.JobStarted(_ref(spec, decision.reason), started,
                                                 str(staging)))
        try:
            self.b.launcher().start(self._token, str(staging), slots, text)
        except LauncherDied as e:
            self._launcher_died(e)

    def _finished(self, exited: Exited, seen: float) -> None:
        job = self.running.pop(exited.token)
        self.free += job.slots
        spec = job.decision.spec
        self._report_output(job, final=True)  # before publish renames the staging directory
        seconds = seen - job.started
        lost = lost_directory(job.staging, job.identity)
        if lost is not None:
            # (a shared source/ file it wrote through before it went gets its bytes back)
            self.b.store.target.sources.restore(str(job.staging),
                                                self.b.method_of(spec.method).sources)
            self._failed(spec, job.decision.reason, None, lost, seconds)
            job.lock.release()
            self._done(spec.hash)
            return
        try:
            post = exited.post if exited.post is not None else read_post(job.staging)
        except Exception:
            post = {}
        # A source/ file is the store's, shared: one its method wrote through is put back,
        # or it would change the record of every job that shares it.
        restored = self.b.store.target.sources.restore(
            str(job.staging), self.b.method_of(spec.method).sources)
        if restored:
            self._fail(job, events.JobFailure(None, None, (
                f"its source/ changed while it ran ({', '.join(restored)}: written through "
                "by its method, or by another job's, as the file is shared): given back its "
                "bytes"), ""), seconds)
        elif exited.status == 0 and post.get("status") == "ok":
            changed = changed_setup(job.staging, job.setup) or input_rebuilt(job.inputs)
            if changed is not None:
                self._fail(job, changed, seconds)
            else:
                self._publish(job, seconds, post.get("files"))
        else:
            self._fail(job, failure_of(exited, post, job.staging), seconds)
        job.lock.release()
        self._done(spec.hash)

    def _launcher_died(self, error: LauncherDied) -> None:
        """Every job the launcher was running has failed; a later job gets a new launcher.
        (The jobs die with it: each asked the kernel to kill it when its parent dies.)"""
        launcher, self.b._launcher = self.b._launcher, None
        if launcher is not None:
            launcher.close()
        message = f"the job launcher died while the job ran ({error})"
        for token in sorted(self.running):
            job = self.running.pop(token)
            self.free += job.slots
            self._report_output(job, final=True)
            phase = last_marked_phase(job.staging)
            with contextlib.suppress(OSError):  # a shared source/ file it wrote: given back
                self.b.store.target.sources.restore(
                    str(job.staging), self.b.method_of(job.decision.spec.method).sources)
            self._fail(job, events.JobFailure(phase, None, message, ""),
                       time.time() - job.started)
            job.lock.release()
            self._done(job.decision.spec.hash)

    def _not_staged(self, decision: plan.Decision, lock: JobLock, error: OSError) -> None:
        spec = decision.spec
        lock.release()
        where = error.filename or self.b.store.target.path
        failure = events.JobFailure("setup", None, f"cannot write its staging directory "
                                    f"({where}): {error.strerror or error}", "")
        self._failed(spec, decision.reason, None, failure, 0.0)

    def _stream_output(self) -> None:
        for job in self.running.values():
            self._report_output(job)

    def _report_output(self, job: _Running, final: bool = False) -> None:
        if job.follower is None:
            return
        ref = _ref(job.decision.spec, job.decision.reason)
        for stream, line in job.follower.poll(final):
            self.b.reporter.report(events.JobOutput(ref, line, stream))

    def _publish(self, job: _Running, seconds: float, files: Any = None) -> None:
        spec = job.decision.spec
        target = self.b.store.target
        if os.path.lexists(target.job_dir(spec.id)):
            # It replaces a directory (a forced rebuild): the old row goes first, so that at
            # no moment — and after no crash — a row names a directory that is not there.
            self.b.store.target_db().forget_jobs([spec.hash])
        path = target.publish(job.staging, spec.id)
        view = job.view  # indexed: a later reason reads no setup.json
        self.b.store.record(JobRow(spec.hash, spec.id, spec.method, spec.code_hash, time.time()),
                            (plan.options_key(view), json.dumps(view, sort_keys=True)),
                            defer=True, files=files)  # batched: see JobStore.record
        served = self.waits.served.pop(spec.hash, None)
        if served:
            self.b.store.record_subjobs(served.values())
        self.b.outcomes[spec.hash] = Outcome(spec, "built", job.decision.reason, path)
        self.b.reporter.report(events.JobBuilt(_ref(spec, job.decision.reason), str(path),
                                               seconds))
        if self.b.on_built is not None:
            self.b.on_built(path)

    def _fail(self, job: _Running, failure: events.JobFailure, seconds: float) -> None:
        spec = job.decision.spec
        target = self.b.store.target
        if disk_full(job.staging):
            # Half an output is no result, and on a full disk it keeps the run from recording
            # anything more: it goes; the job's logs, setup.json and source/ stay.
            target.drop_outputs(job.staging)
            failure = failure._replace(message=(
                f"{failure.message}; the disk of the work directory {target.path} is full "
                "(the job's partial output was removed; its logs are kept)"))
        if not os.access(job.staging, os.R_OK | os.W_OK | os.X_OK):
            # Its method took its own permissions away: given back, so that it can be kept
            # (moving a directory writes its "..") and shown.
            with contextlib.suppress(OSError):
                os.chmod(job.staging, 0o755)
        try:
            kept: Path | None = target.keep_failed(job.staging, spec.id)
        except OSError as e:  # its directory went, or is no longer ours to move
            kept = None
            failure = failure._replace(message=(
                f"{failure.message}; its directory {job.staging} could not be kept "
                f"({e.strerror or e})"))
        self._failed(spec, job.decision.reason, kept, failure, seconds)

    def _failed(self, spec: JobSpec, reason: str, kept: Path | None,
                failure: events.JobFailure, seconds: float) -> None:
        """A failed job stops the run — jobs already running are waited for and kept, as
        ninja does — or, with --keep-going, only what depends on it."""
        self.b.failed = True
        self.b.outcomes[spec.hash] = Outcome(spec, "failed", failure.message, kept)
        self.b.reporter.report(events.JobFailed(_ref(spec, reason),
                                                None if kept is None else str(kept),
                                                seconds, failure))
        if not self.b.keep_going:
            self.stopping = True
            self.ready.clear()
        self._skip_dependents(spec.hash, f"input {spec.id} failed")

    def _done(self, h: str) -> None:
        if self.b.outcomes[h].state not in _USABLE:
            return
        for dependent in self.dependents[h]:
            deps = self.waiting_on[dependent]
            deps.discard(h)
            if not deps and self._pending(dependent) and not self.stopping:
                self.ready.append(dependent)

    def _skip_dependents(self, h: str, because: str) -> None:
        for dependent in self.dependents[h]:
            if self._pending(dependent):
                self._skip(dependent, because)
                self._skip_dependents(dependent, because)

    def _pending(self, h: str) -> bool:
        """Whether this pass has not given the job an outcome yet."""
        outcome = self.b.outcomes.get(h)
        return outcome is None or outcome is self._earlier.get(h)

    def _skip(self, h: str, because: str) -> None:
        spec = self.decisions[h].spec
        self.b.outcomes[h] = Outcome(spec, "skipped", because, None)
        self.b.reporter.report(events.JobSkipped(_ref(spec, because), because))

    # -- subjobs: a running job's subjobs.build (acbuild.subjob_requests) --------------------
    def _subjob_requests(self) -> None:
        launcher = self.b._launcher
        for request in launcher.requests() if launcher is not None else []:
            job = self.running.get(request.token)
            if job is not None:
                self._subjob(request, job)
        self._answer_subjobs()

    def _subjob(self, request: Request, job: _Running) -> None:
        """Build (or reuse) what the job asks for; while it waits, its slots are lent to the
        run, so that a subjob can start even with -j1."""
        parent = job.decision.spec
        try:
            if self.b.subjobs is None:
                raise AcbuildError("this run does not build subjobs")
            spec = self.b.subjobs.spec(request.request, self._finished_spec, where=parent.id)
            refused = self.waits.refusal(parent, spec)
            decision = None if refused else self.b.subjobs.decide(spec)
        except AcbuildError as e:
            refused = str(e)
        if refused is not None or decision is None:
            self.b.launcher().reply(request.token, {"ok": False, "message": refused})
            return
        h = spec.hash
        # Reused earlier in the run and stale now (an input built since): built in this pass,
        # its old outcome none of this pass's (``_pending``), as for a job of a later plan.
        reopen = (decision.build and h not in self.decisions and h in self.b.outcomes
                  and self.b._open(h))
        if reopen:
            self._earlier[h] = self.b.outcomes[h]
        existed = not decision.build or (self.b.path_of(h) is not None and not self._pending(h))
        if not decision.build and self.b._open(h) and h not in self.decisions:
            self.b._reuse(spec, decision.found.location, f"cached (a subjob of {parent.id})")
        elif (h not in self.b.outcomes or reopen) and h not in self.decisions:
            self.decisions[h] = decision._replace(
                reason=f"{decision.reason} (a subjob of {parent.id})")
            self.waiting_on[h], self.dependents[h] = set(), []
            self.ready.appendleft(h)  # first in line for the slots its parent lends
        elif h in self.ready:
            self.ready.remove(h)
            self.ready.appendleft(h)
        self.waits.wait(spec, Waiting(request.token, parent, job.slots, existed))
        self.free += job.slots

    def _finished_spec(self, job_id: str) -> JobSpec | None:
        for outcome in self.b.outcomes.values():
            if outcome.spec.id == job_id and outcome.state in _USABLE:
                return outcome.spec
        return None

    def _answer_subjobs(self) -> None:
        """Each parent whose subjob has an outcome hears of it and takes its slots back;
        a run that is stopping answers a parent whose subjob will not run now."""
        if not self.waits.by_job:
            return
        running = {j.decision.spec.hash for j in self.running.values()}
        for h in list(self.waits.by_job):
            outcome = self.b.outcomes.get(h)
            if outcome is not None and outcome is self._earlier.get(h):
                outcome = None  # its old outcome: this pass builds it again
            if outcome is None and not (self.stopping and h not in running):
                continue
            for waiting in self.waits.by_job.pop(h):
                self.free -= waiting.lent
                self.b.launcher().reply(waiting.token, self._reply(waiting, h, outcome))

    def _reply(self, waiting: Waiting, h: str, outcome: Outcome | None) -> dict[str, Any]:
        if outcome is None:
            return {"ok": False, "message": f"the run stopped after a failure before "
                                            f"{self.decisions[h].spec.id} could be built"}
        if outcome.state not in _USABLE:
            return {"ok": False, "message": self.waits.failure(
                waiting.parent, outcome.spec, outcome.reason, outcome.location)}
        self.waits.serve(waiting.parent, outcome.spec)
        return {"ok": True, "id": outcome.spec.id, "path": str(outcome.location),
                "state": "built" if outcome.state == "built" and not waiting.existed
                else "reused"}

    def _interrupt(self) -> None:
        self.b.close()  # kills every running job's process group
        for job in self.running.values():
            with contextlib.suppress(OSError):  # a shared source/ file it wrote: given back
                self.b.store.target.sources.restore(
                    str(job.staging), self.b.method_of(job.decision.spec.method).sources)
            with contextlib.suppress(OSError):  # keep what it printed, if the disk allows
                self.b.store.target.keep_failed(job.staging, job.decision.spec.id)
            job.lock.release()
        self.running.clear()


class _Running:  # not a dataclass: every run defines it (~0.5 ms), few make one
    __slots__ = ("decision", "staging", "lock", "slots", "started", "follower", "identity",
                 "view", "setup", "inputs")

    def __init__(self, decision: plan.Decision, staging: Path, lock: JobLock, slots: int,
                 started: float, follower: LogFollower | None = None,
                 identity: tuple[int, int] | None = None,
                 view: dict[str, Any] | None = None, setup: tuple[int, ...] | None = None,
                 inputs: list[InputSeen] | None = None):
        self.decision = decision
        self.staging = staging
        self.lock = lock
        self.slots = slots
        self.started = started
        self.follower = follower
        self.identity = identity  # device and inode of its staging directory
        self.view: dict[str, Any] = {} if view is None else view  # setup.json's identity
        self.setup = setup  # what its setup.json was when staged: ``changed_setup``
        self.inputs = inputs or []  # its inputs' post.json as it started: ``input_rebuilt``


_make = tuple.__new__  # a named tuple of all its fields, without its __new__'s call


def _ref(spec: JobSpec, reason: str = "") -> events.JobRef:
    return events.JobRef(spec.id, spec.method, reason)
