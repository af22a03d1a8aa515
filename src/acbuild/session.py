"""One command's view of a project: its methods and work directories, and the
operations the command line offers on them — evaluate a script and build it,
plan it without building, find a job from what a user typed.

Returns records; never prints. ``cli`` renders what these return.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from acbuild import dbruns, engine, evalplan, events, joblog, plan, stopping
from acbuild.config import ExecutorConfig, Project
from acbuild.db import SubjobRow
from acbuild.decision import decide, look_at_cached
from acbuild.errors import AcbuildError, Interrupted, JobError, NeedsBuild, StorageError
from acbuild.graph import Graph, JobSpec
from acbuild.graph import edges as edges_of
from acbuild.job import RESULT_FILE as RESULT
from acbuild.jobchecks import file_changed
from acbuild.jobrecords import is_finished, read_post, read_setup
from acbuild.methods import MethodRegistry
from acbuild.script import Urd, evaluate
from acbuild.store import JobStore
from acbuild.subjob_requests import MAX_DEPTH, SubjobPlanner
from acbuild.urdcalls import ListAccess
from acbuild.urdlists import Lists
from acbuild.workdir import FAILED_DIR


class RemoteJobs(Protocol):
    """The remote cache as a command uses it: ``acbuild.remote.cache.RemoteCache``, wired in
    by cli (this layer does not import it). ``warnings`` grows as things go wrong."""

    warnings: list[str]

    def news(self) -> list[str]: ...  # the warnings not yet said

    def available(self, hashes: Collection[str]) -> set[str]: ...

    def fetch(self, wanted: Sequence[JobSpec], store: JobStore,
              on_fetched: Callable[[Any], None] | None = None) -> dict[str, Path]: ...

    def push_later(self, job_dir: Path) -> None: ...

    def wait(self) -> list[Any]: ...


def _fetcher(remote: RemoteJobs, store: JobStore, reporter: events.Reporter
             ) -> engine.FetchJobs:
    """The engine's way to the remote cache: fetch what it has of the jobs about to be built;
    what went wrong is a run warning, said once."""

    def fetch(specs: Sequence[JobSpec], fetched: Callable[[str, Path, float, str], None]
              ) -> None:
        remote.fetch(specs, store, lambda f: fetched(f.hash, f.path, f.seconds, _origin(f)))
        for warning in remote.news():
            reporter.report(events.Warning(warning))

    return fetch


def _origin(fetched: Any) -> str:
    """Who pushed a fetched job: user@host."""
    return f"{fetched.pusher.get('user', '?')}@{fetched.pusher.get('host', '?')}"


class BuildFailed(JobError):
    """The script needs a result of a job that failed in this run (or was not built because
    an input failed): ``job``, ``phase``, ``error``, ``status`` say which and how."""


class Session:
    def __init__(self, project: Project, readonly: bool = False):
        self.project = project
        self.store = JobStore(project.target_workdir, project.source_workdirs, readonly)
        # Declarations are kept by code hash in the target's database: planning reads a
        # method's declarations, or imports one it cannot read, once per change of its code.
        self.registry = MethodRegistry(project.methods_dirs, project.root, cache=self.store)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def code_of(self, method: str) -> str | None:
        """The code hash a job of ``method`` would have today; None: no such method now."""
        try:
            return self.registry.get(method).code_hash
        except AcbuildError:
            return None

    def sources_of(self, method: str) -> dict[str, bytes]:
        """The method's source files as they are now (what a code change is diffed against)."""
        return self.registry.get(method).sources

    def urd(self, script: Path, realize: Any, force_methods: Iterable[str] = (),
            write_lists: bool = True) -> Urd:
        for method in force_methods:
            if method not in self.registry.files():
                self.registry.get(method)  # raises: unknown method, with the known ones
        return Urd(self.registry, self.project.slices, script, self.project.root, realize,
                   self.store.digests.file_digest, force_methods=frozenset(force_methods),
                   lists=ListAccess(self.lists(write_lists), self._find_job))

    def lists(self, writable: bool = False) -> Lists:
        """The result lists of the work directories (written only when ``writable``)."""
        found = self.store.databases()  # none: a read-only look at a project never built
        return Lists(found[0] if found else None, found[1:], writable=writable)

    def _find_job(self, job_hash: str) -> Path | None:
        found = self.store.find([job_hash]).get(job_hash)
        return found.path if found is not None else None


# Plain classes, not dataclasses: a dataclass costs ~0.3 ms to define, at every run's start.
class RunResult:
    """What ``run_script`` did: each job's outcome, the summary and the warnings."""

    def __init__(self, outcomes: list[engine.Outcome], finished: events.RunFinished,
                 warnings: list[str] | None = None):
        self.outcomes = outcomes
        self.finished = finished
        self.warnings = [] if warnings is None else warnings


class StatusResult:
    """What ``status_script`` planned, and where the script stopped (if it did)."""

    def __init__(self, decisions: list[plan.Decision], stopped_at: NeedsBuild | None,
                 warnings: list[str] | None = None, remote: frozenset[str] = frozenset(),
                 fetched: dict[str, Path] | None = None,
                 subjobs: dict[str, list[SubjobRow]] | None = None):
        self.decisions = decisions
        self.stopped_at = stopped_at
        self.warnings = [] if warnings is None else warnings
        self.remote = remote  # stale jobs the remote cache has (hashes)
        # by ``pull``: hash -> directory
        self.fetched: dict[str, Path] = {} if fetched is None else fetched
        # the subjobs cached jobs recorded, by parent hash (a subjob's own under its hash)
        self.subjobs: dict[str, list[SubjobRow]] = {} if subjobs is None else subjobs

    def subjobs_of(self, parent: JobSpec | SubjobRow, depth: int = 1
                   ) -> list[tuple[int, str, SubjobRow]]:
        """The subjobs below a job, depth first: (depth (1: the job's own), parent id, row)."""
        found = []
        for row in self.subjobs.get(parent.hash, ()):
            found.append((depth, parent.id, row))
            if depth < MAX_DEPTH:
                found.extend(self.subjobs_of(row, depth + 1))
        return found

    def state(self, decision: plan.Decision) -> str:
        """cached, stale, or "cached (remote)" for a stale job the remote cache has."""
        if decision.build and decision.spec.hash in self.remote:
            return "cached (remote)"
        return decision.state

    @property
    def stopped_text(self) -> str | None:
        """Where the script stopped because it needs a result that is not built, in words."""
        if self.stopped_at is None:
            return None
        return (f"the script stops at {self.stopped_at.where}: it needs the result of "
                f"{self.stopped_at.job_id}, which is not built; the jobs after that point "
                f"are unknown until it is")


def run_script(session: Session, script: Path, reporter: events.Reporter, jobs: int,
               keep_going: bool = False, force_methods: Iterable[str] = (),
               stream_output: bool = False, remote: RemoteJobs | None = None,
               executor: ExecutorConfig | None = None) -> RunResult:
    """Evaluate ``script`` and build what it declares; what it reads mid-way is built first.
    ``stream_output``: report what running jobs print as they print it. ``remote``: fetch a
    missing job from it before building it (``fetch = true``), push each job built
    (``push = "auto"``; the caller waits for those pushes: ``remote.wait()``). ``executor``:
    where jobs run, instead of the project's ``[executor]``."""
    store = session.store
    store.open_sources()
    config = session.project.remote
    fetching = remote is not None and config is not None and config.fetch
    pushing = remote is not None and config is not None and config.push == "auto"
    builder = engine.Builder(store, session.registry.get, session.project.root, reporter,
                             jobs, keep_going, stream_output,
                             fetch=_fetcher(remote, store, reporter) if remote and fetching
                             else None,
                             on_built=remote.push_later if remote and pushing else None,
                             executor=_executor(executor or session.project.executor,
                                                store.target.path))
    builder.subjobs = SubjobPlanner(
        session.registry, session.project.slices, lambda spec: decide(
            [spec], store, builder.built_hashes(), session.sources_of,
            code_of=session.code_of)[-1])

    def state_of(job_hash: str) -> str | None:
        outcome = builder.outcomes.get(job_hash)
        return None if outcome is None else outcome.state

    def realize(spec: JobSpec) -> Path:
        if not planned.final(spec):  # built or fetched by this run: that is its directory
            wanted, reused_left_out = planned.wanted(spec)
            # (the jobs this run built are final, none of them is wanted: none built here)
            decisions = decide(wanted, store, frozenset(), session.sources_of,
                               files_of=[spec.hash], code_of=session.code_of)
            if reused_left_out and any(d.build for d in decisions):
                # A build may make a reused ancestor stale: all of them, decided as always.
                decisions = decide(urd.graph.ancestors(spec), store, builder.built_hashes(),
                                   session.sources_of, files_of=[spec.hash],
                                   code_of=session.code_of)
            builder.execute(decisions)
            planned.note((d.spec, d.build) for d in decisions)
        path = builder.path_of(spec.hash)
        if path is None:
            raise _build_failed(spec, builder.outcomes.get(spec.hash))
        return path

    def realize_all(specs: Sequence[JobSpec]) -> None:
        # The ancestors of every spec, in the graph's order: one plan, built together.
        wanted = {a.hash for spec in specs for a in urd.graph.ancestors(spec)}
        decisions = decide([s for s in urd.graph if s.hash in wanted], store,
                           builder.built_hashes(), session.sources_of,
                           files_of=[s.hash for s in specs], code_of=session.code_of)
        builder.execute(decisions)
        planned.note((d.spec, d.build) for d in decisions)

    urd = session.urd(script, realize, force_methods)
    urd.realize_all = realize_all
    planned = evalplan.Planned(urd.graph, state_of)  # what this evaluation decided already
    db = store.target_db()
    # SIGTERM and SIGHUP stop a run as Ctrl-C does, from before its row exists until after
    # it is closed; the byte held from before the row says, while it is held, that the run
    # lives (a row still "running" whose byte is free is a run that died).
    with stopping.stopped_by_signals():
        alive, lock = store.target.hold_run()
        try:
            run_id = dbruns.begin_run(db, str(script), os.getpid(), lock)
            graph, finished = _build(session, script, urd, builder, run_id)
        finally:
            alive.release()
    order = {h: i for i, h in enumerate(graph.specs)}
    outcomes = sorted(builder.outcomes.values(), key=lambda o: order.get(o.spec.hash, 0))
    return RunResult(outcomes, finished, [*urd.warnings, *store.warnings,
                                          *(remote.warnings if remote else [])])


def _executor(config: ExecutorConfig, workdir: Path) -> Callable[[], Any] | None:
    """How the engine makes its executor; None: the local warm launcher, as always."""
    if config.kind == "local":
        return None
    from acbuild.executors import open_executor  # only a run on another executor loads it

    open_executor(config, workdir)  # connects to nothing: a config it cannot use fails now
    return functools.partial(open_executor, config, workdir)


def _build(session: Session, script: Path, urd: Urd, builder: engine.Builder,
           run_id: int) -> tuple[Graph, events.RunFinished]:
    """Evaluate the script and build its graph; record how the run ended, whatever ends it."""
    store = session.store
    store.target.remove_leftovers()  # of runs that died: their locks are free
    try:
        graph = evaluate(script, urd)
        urd.note_unfinished(urd.warnings)
        decisions = decide(list(graph), store, builder.built_hashes(), session.sources_of,
                           code_of=session.code_of, on_stale=builder.warm_up)
        for warning in [*urd.warnings, *store.warnings]:  # deciding may add some
            builder.reporter.report(events.Warning(warning))
        stale = sum(d.build for d in decisions)
        builder.reporter.report(events.PlanReady(len(decisions), stale,
                                                 len(decisions) - stale))
        builder.execute(decisions)
    except AcbuildError as error:
        stopped = isinstance(error, Interrupted)
        with stopping.signals_ignored(), contextlib.suppress(AcbuildError):
            # the error that stopped the run is the news
            builder.close()
            builder.finish(str(script), run_id, interrupted=stopped, error=not stopped)
        raise
    except KeyboardInterrupt as interrupt:  # outside the scheduler (evaluating the script, say)
        with stopping.signals_ignored(), contextlib.suppress(AcbuildError):
            builder.close()
            builder.finish(str(script), run_id, interrupted=True)
        raise Interrupted(stopping.signal_of(interrupt)) from None
    with stopping.signals_ignored():  # the run is done: it is recorded as such
        builder.close()
        return graph, builder.finish(str(script), run_id)


def _build_failed(spec: JobSpec, outcome: engine.Outcome | None) -> BuildFailed:
    """The error a script meets where it needs the result of ``spec``, which was not built:
    the job's failure as its kept post.json records it, or why it was not built."""
    error: dict[str, Any] = {}
    if outcome is not None and outcome.state == "failed" and outcome.path is not None:
        with contextlib.suppress(StorageError):  # missing, unreadable, or no JSON object
            error = read_post(outcome.path).get("error") or {}
    detail = (f"{error.get('type', 'Error')}: {error.get('message', '')}" if error
              else outcome.reason if outcome is not None else "")
    phase = error.get("phase")
    where = f" in {phase}" if phase else ""
    if error.get("slice") is not None:
        where += f" slice {error['slice']}"
    state = outcome.state if outcome is not None else "not built"
    message = (f"the script needs the result of {spec.id}, which "
               f"{'failed' + where if state == 'failed' else 'was not built'}"
               f"{': ' + detail if detail else ''}")
    return BuildFailed(message, job=spec.id, method=spec.method, phase=phase,
                       sliceno=error.get("slice"), error=detail,
                       status=tuple(error.get("status") or ()),
                       path=None if outcome is None or outcome.path is None
                       else str(outcome.path), where=spec.where)


def status_script(session: Session, script: Path, force_methods: Iterable[str] = (),
                  remote: RemoteJobs | None = None, pull: bool = False,
                  on_fetched: Callable[[Any], None] | None = None) -> StatusResult:
    """Plan ``script`` without building anything; stop where it needs an unbuilt result.
    ``remote``: say which stale jobs it has; with ``pull``, fetch them (and the script goes
    on past a result it fetched)."""
    store = session.store
    store.open_sources()
    fetched: dict[str, Path] = {}
    store.target_db()  # before the script: methods' declarations are kept there

    def realize(spec: JobSpec) -> Path:
        wanted, cached_left_out = planned.wanted(spec)
        decisions = decide(wanted, store, files_of=[spec.hash], code_of=session.code_of)
        if cached_left_out and any(d.build for d in decisions):
            decisions = decide(urd.graph.ancestors(spec), store, files_of=[spec.hash],
                               code_of=session.code_of)
        planned.note((d.spec, d.build) for d in decisions)
        decision = next(d for d in decisions if d.spec.hash == spec.hash)
        if decision.build and pull and remote is not None and not spec.force:
            # Its stale inputs with it, first: a job recorded before its input would look
            # built from an earlier build of it (store.built_after).
            fetched.update(remote.fetch([d.spec for d in decisions
                                         if d.build and not d.spec.force], store, on_fetched))
            planned.forget()
            decision = decide([spec], store, files_of=[spec.hash], code_of=session.code_of)[-1]
        if decision.build:
            raise NeedsBuild(spec.id, where=spec.where)
        return Path(decision.found.path)

    urd = session.urd(script, realize, force_methods, write_lists=False)
    planned = evalplan.Planned(urd.graph, lambda job_hash: None)  # (it builds nothing)
    stopped = None
    try:
        evaluate(script, urd)
        urd.note_unfinished(urd.warnings)
    except NeedsBuild as e:
        stopped = e
    decisions = decide(list(urd.graph), store, sources_of=session.sources_of,
                       code_of=session.code_of)
    on_remote: set[str] = set()
    if remote is not None:
        stale = [d.spec for d in decisions if d.build and not d.spec.force]
        if pull:
            fetched.update(remote.fetch(stale, store, on_fetched))
            decisions = decide(list(urd.graph), store, sources_of=session.sources_of,
                               code_of=session.code_of)
        else:
            on_remote = remote.available([s.hash for s in stale])
    decisions, changed = look_at_cached(decisions, store)  # every job's files: a stat each
    return StatusResult(decisions, stopped, [*urd.warnings, *store.warnings, *changed,
                                             *(remote.warnings if remote else [])],
                        frozenset(on_remote), fetched, _recorded_subjobs(store, decisions))


def _recorded_subjobs(store: JobStore, decisions: Sequence[plan.Decision]
                      ) -> dict[str, list[SubjobRow]]:
    """The subjobs the cached jobs recorded (they exist only once their parent has run):
    one query; nothing when no job has any."""
    if not any(not d.build for d in decisions):
        return {}
    return store.subjobs()


def current_script_jobs(session: Session) -> tuple[frozenset[str], list[str]]:
    """The cached jobs the build scripts use as they are now (planned as ``status`` plans):
    the default script and every script a recorded run ran that still exists; and a warning
    for each script that does not evaluate."""
    import io

    ran = {Path(r.script) for r in dbruns.runs(session.store.target_db())}
    scripts = sorted({session.project.root / DEFAULT_SCRIPT, *ran})
    ids: set[str] = set()
    warnings = []
    for script in scripts:
        if not script.is_file():
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                result = status_script(session, script)
        except AcbuildError as e:
            warnings.append(f"build script {script} does not evaluate ({e.message}); "
                            "its jobs are kept only by the other rules")
            continue
        ids.update(d.spec.id for d in result.decisions if not d.build)
    return frozenset(ids), warnings


def list_jobs(session: Session) -> frozenset[str]:
    """Every job a live (not ghost) result-list entry names."""
    return frozenset(job_id for e in session.lists().entries() for _, job_id, _ in e.jobs)


def graph_view(result: StatusResult) -> dict[str, Any]:
    """The script's graph as data: each job with its state and inputs, and the edges."""
    ids = {d.spec.hash: d.spec.id for d in result.decisions}
    jobs: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    for d in result.decisions:
        inputs = {name: [ids.get(x) if x else None for x in h] if isinstance(h, tuple)
                  else ids.get(h) if h else None for name, h in d.spec.inputs}
        below = [] if d.build else result.subjobs_of(d.spec)
        jobs.append({"id": d.spec.id, "method": d.spec.method, "label": d.spec.label,
                     "state": d.state, "reason": d.reason, "inputs": inputs,
                     "subjobs": [{"id": row.id, "method": row.method, "depth": depth,
                                  "parent": parent} for depth, parent, row in below]})
        edges.extend({"from": ids[h], "to": d.spec.id, "input": name}
                     for name, h in edges_of(d.spec.inputs) if h in ids)
    stale = sum(d.build for d in result.decisions)
    return {"jobs": jobs, "edges": edges,
            "counts": {"cached": len(jobs) - stale, "stale": stale},
            "stopped_at": result.stopped_text}


# -- finding a job from what a user typed ------------------------------------------------------
DEFAULT_SCRIPT = "build.py"  # the script a method name's job is looked for in


def resolve_job(session: Session, text: str) -> Path:
    """A job directory from a JOB argument (``acbuild.jobspec`` says which forms)."""
    from acbuild import jobspec

    script = session.project.root / DEFAULT_SCRIPT
    planned: list[plan.Decision] = []

    def script_jobs(method: str) -> list[tuple[str, Path | None]]:
        if not planned:
            planned.extend(_script_decisions(session, script))
        return [(d.spec.id, None if d.build or d.found is None else Path(d.found.path))
                for d in planned if d.spec.method == method]

    return jobspec.resolve(text, jobspec.Finder(
        session.store, session.registry.files, lambda m: session.registry.get(m).inputs,
        session.lists, script_jobs, script_name=DEFAULT_SCRIPT))


def _script_decisions(session: Session, script: Path) -> list[plan.Decision]:
    """The jobs of ``script`` as ``status`` plans them (what it prints is not ours to show)."""
    import io

    if not script.is_file():
        return []
    with contextlib.redirect_stdout(io.StringIO()):
        return status_script(session, script).decisions


def job_location(session: Session, path: Path) -> dict[str, Any]:
    """Which configured work directory a job directory lives in, and its role there."""
    workdir = session.store.workdir_of(path)
    if workdir is None:
        return {"workdir": str(path.parent), "workdir_role": "not a configured work directory"}
    role = "target" if workdir.writable else "source, read-only"
    return {"workdir": str(workdir.path), "workdir_role": role}


# -- describing a job directory ----------------------------------------------------------------
def describe_job(path: Path, with_result: bool = True) -> dict[str, Any]:
    """Everything ``acbuild show`` presents about a job directory, as plain data."""
    from acbuild import results

    setup = read_setup(path)
    try:
        post = read_post(path)
    except AcbuildError:
        post = {}
    failed = path.parent.name == FAILED_DIR
    state = "failed" if failed else ("finished" if is_finished(path) else "unfinished")
    info: dict[str, Any] = {
        "id": setup.get("id"), "hash": setup.get("hash"), "method": setup.get("method"),
        "description": setup.get("description", ""),
        "state": state, "path": str(path), "label": setup.get("label"),
        "created": _when(setup.get("created")),
        "options": setup.get("options", {}),
        "inputs": {k: [(i or {}).get("id") for i in v] if isinstance(v, list)
                   else (v or {}).get("id") for k, v in setup.get("inputs", {}).items()},
        "input_files": _input_files(setup.get("options", {})),
        "code": setup.get("code", {}), "versions": setup.get("versions", {}),
        "script_line": setup.get("script_line"),
        "built_because": setup.get("built_because"),  # what the run that built it said
        "subjob_of": setup.get("subjob_of"),  # the job whose subjobs.build first made it
        "files": post.get("files", {}), "profile": _profile(post),
        "profile_rows": _profile_rows(post), "error": post.get("error"),
        "subjobs": post.get("subjobs", {}),  # id -> built or reused
    }
    result_file = path / RESULT
    if with_result and result_file.exists() and not failed and file_changed(path, RESULT):
        info["result"] = ("(not loaded: result.pickle changed since the job was built; "
                          "acbuild run builds it again)")
        info["result_format"] = "error"
    elif with_result and result_file.exists():
        try:
            info["result"], info["result_format"] = result_data(
                results.load(path, result_file.name))
        except Exception as e:  # a result needs its classes importable; say so, don't fail
            info["result"] = f"(cannot load: {type(e).__name__}: {e})"
            info["result_format"] = "error"
    info["log_tail"] = joblog.merged_tail(path)
    return info


RESULT_JSON_MAX = 1 << 20  # characters: a larger result is shown by its repr, cut short


def result_data(value: Any) -> tuple[Any, str]:
    """A result as ``--json`` output carries it: itself when JSON holds it as it is (dicts
    with string keys, lists, strings, finite numbers, booleans, None) and it is not huge,
    with format "json"; else its short repr, with format "repr"."""
    import json
    import reprlib

    if _json_plain(value, depth=0):
        try:
            if len(json.dumps(value, allow_nan=False)) <= RESULT_JSON_MAX:
                return value, "json"
        except ValueError:
            pass  # NaN or infinity: no JSON number
    return reprlib.Repr().repr(value), "repr"


def _json_plain(value: Any, depth: int) -> bool:
    if depth > 100:  # deeper than any result a person reads; and json's recursion limit
        return False
    if value is None or type(value) in (str, int, float, bool):
        return True
    if type(value) is list:
        return all(_json_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _json_plain(v, depth + 1) for k, v in value.items())
    return False


def read_log(path: Path) -> str:
    """The job's whole logs, each part in order (the slices', which ran at once, one after
    the other, each after its marker)."""
    parts = []
    for stream, name in zip(joblog.STREAMS, joblog.LOGS):
        if (path / name).exists():
            text = joblog.read_log(path, stream).decode(errors="replace")
            parts.append(f"==> {name} <==\n{text}")
    return "\n".join(parts)


def _when(epoch: Any) -> str | None:
    import datetime

    if not isinstance(epoch, (int, float)):
        return None
    return datetime.datetime.fromtimestamp(epoch).isoformat(sep=" ", timespec="seconds")


def _input_files(options: Any) -> list[dict[str, str]]:
    if isinstance(options, dict):
        if "$file" in options:
            return [{"path": options["$file"], "blake3": options.get("blake3", "")}]
        return [f for v in options.values() for f in _input_files(v)]
    if isinstance(options, list):
        return [f for v in options for f in _input_files(v)]
    return []


def _profile(post: dict[str, Any]) -> dict[str, Any]:
    keys = ("start", "end", "wall", "cpu", "peak_rss_kib", "phases", "status")
    return {k: post[k] for k in keys if k in post}


def _profile_rows(post: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    if "wall" in post:
        rows.append(("total", f"{post['wall']:.3f}s wall, {post.get('cpu', 0):.3f}s cpu, "
                              f"peak {post.get('peak_rss_kib', 0) / 1024:.1f} MiB"))
    for phase, data in post.get("phases", {}).items():
        line = f"{data.get('wall', 0):.3f}s wall"
        if "cpu" in data:
            line += f", {data['cpu']:.3f}s cpu"
        rows.append((phase, line))
        for s in data.get("slices", []):
            rows.append((f"  slice {s.get('sliceno')}",
                         f"{s.get('wall', 0):.3f}s wall, {s.get('cpu', 0):.3f}s cpu"))
    return rows
