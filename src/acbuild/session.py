"""One command's view of a project: its methods and work directories, and the
operations the command line offers on them — evaluate a script and build it,
plan it without building, find a job from what a user typed.

Returns records; never prints. ``cli`` renders what these return.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acbuild import engine, events, plan
from acbuild.config import Project
from acbuild.decision import decide
from acbuild.errors import AcbuildError, Interrupted, JobSpecError, NeedsBuild
from acbuild.graph import JobSpec
from acbuild.methods import MethodRegistry
from acbuild.script import Urd, evaluate
from acbuild.store import JobStore
from acbuild.workdir import FAILED_DIR, SETUP_FILE


class BuildFailed(AcbuildError):
    """The script needs a result of a job that failed in this run."""

    exit_status = 1


class Session:
    def __init__(self, project: Project):
        self.project = project
        self.store = JobStore(project.target_workdir, project.source_workdirs)
        # Declarations are kept by code hash in the target's database: planning reads a
        # method's declarations, or imports one it cannot read, once per change of its code.
        self.registry = MethodRegistry(project.methods_dirs, project.root, cache=self.store)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sources_of(self, method: str) -> dict[str, bytes]:
        """The method's source files as they are now (what a code change is diffed against)."""
        return self.registry.get(method).sources

    def urd(self, script: Path, realize: Any, force_methods: Iterable[str] = ()) -> Urd:
        for method in force_methods:
            if method not in self.registry.files():
                self.registry.get(method)  # raises: unknown method, with the known ones
        return Urd(self.registry, self.project.slices, script, self.project.root, realize,
                   self.store.file_digest, force_methods=frozenset(force_methods))


@dataclass
class RunResult:
    """What ``run_script`` did: each job's outcome, the summary and the warnings."""

    outcomes: list[engine.Outcome]
    finished: events.RunFinished
    warnings: list[str] = field(default_factory=list)


@dataclass
class StatusResult:
    """What ``status_script`` planned, and where the script stopped (if it did)."""

    decisions: list[plan.Decision]
    stopped_at: NeedsBuild | None
    warnings: list[str] = field(default_factory=list)

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
               stream_output: bool = False) -> RunResult:
    """Evaluate ``script`` and build what it declares; what it reads mid-way is built first.
    ``stream_output``: report what running jobs print as they print it."""
    store = session.store
    store.open_sources()
    builder = engine.Builder(store, session.registry.get, session.project.root, reporter,
                             jobs, keep_going, stream_output)

    def realize(spec: JobSpec) -> Path:
        builder.execute(decide(urd.graph.ancestors(spec), store, builder.built_hashes(),
                                      session.sources_of))
        path = builder.path_of(spec.hash)
        if path is None:
            raise BuildFailed(f"the script needs the result of {spec.id}, which was not built",
                              where=spec.where)
        return path

    urd = session.urd(script, realize, force_methods)
    run_id = store.target_db().begin_run(str(script))
    store.target.remove_leftovers()  # of runs that died: their locks are free
    try:
        graph = evaluate(script, urd)
        decisions = decide(list(graph), store, builder.built_hashes(),
                                  session.sources_of)
        for warning in [*urd.warnings, *store.warnings]:  # deciding may add some
            reporter.report(events.Warning(warning))
        stale = sum(d.build for d in decisions)
        reporter.report(events.PlanReady(len(decisions), stale, len(decisions) - stale))
        builder.execute(decisions)
    except AcbuildError as error:
        builder.close()
        with contextlib.suppress(AcbuildError):  # the error that stopped the run is the news
            builder.finish(str(script), run_id, interrupted=error.exit_status == 130,
                           error=error.exit_status != 130)
        raise
    except KeyboardInterrupt:  # outside the scheduler (evaluating the script, say)
        builder.close()
        with contextlib.suppress(AcbuildError):
            builder.finish(str(script), run_id, interrupted=True)
        raise Interrupted("interrupted") from None
    builder.close()
    finished = builder.finish(str(script), run_id)
    order = {h: i for i, h in enumerate(graph.specs)}
    outcomes = sorted(builder.outcomes.values(), key=lambda o: order.get(o.spec.hash, 0))
    return RunResult(outcomes, finished, [*urd.warnings, *store.warnings])


def status_script(session: Session, script: Path, force_methods: Iterable[str] = ()
                  ) -> StatusResult:
    """Plan ``script`` without building anything; stop where it needs an unbuilt result."""
    store = session.store
    store.open_sources()
    store.target_db()  # before the script: methods' declarations are kept there

    def realize(spec: JobSpec) -> Path:
        decision = decide(urd.graph.ancestors(spec), store)[-1]
        if decision.build:
            raise NeedsBuild(spec.id, where=spec.where)
        return Path(decision.found.path)

    urd = session.urd(script, realize, force_methods)
    stopped = None
    try:
        evaluate(script, urd)
    except NeedsBuild as e:
        stopped = e
    decisions = decide(list(urd.graph), store, sources_of=session.sources_of)
    return StatusResult(decisions, stopped, [*urd.warnings, *store.warnings])


def graph_view(result: StatusResult) -> dict[str, Any]:
    """The script's graph as data: each job with its state and inputs, and the edges."""
    ids = {d.spec.hash: d.spec.id for d in result.decisions}
    jobs: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    for d in result.decisions:
        inputs = {name: ids.get(h) if h else None for name, h in d.spec.inputs}
        jobs.append({"id": d.spec.id, "method": d.spec.method, "label": d.spec.label,
                     "state": d.state, "reason": d.reason, "inputs": inputs})
        edges.extend({"from": job_id, "to": d.spec.id, "input": name}
                     for name, job_id in inputs.items() if job_id)
    stale = sum(d.build for d in result.decisions)
    return {"jobs": jobs, "edges": edges,
            "counts": {"cached": len(jobs) - stale, "stale": stale},
            "stopped_at": result.stopped_text}


# -- finding a job from what a user typed ------------------------------------------------------
def resolve_job(session: Session, text: str) -> Path:
    """A job directory from an id, a unique id prefix, a method (its latest job), ``method~N``,
    or a path."""
    path = Path(text)
    if (path / SETUP_FILE).is_file():
        return path.resolve()
    jobs = session.store.jobs()
    method, _, back = text.partition("~")
    if method in session.registry.files() or any(j.method == method for j in jobs):
        of_method = [j for j in jobs if j.method == method]
        steps = _steps(back, text)
        failed = [p for p in _failed(session) if p.name.split(".")[0].rsplit("-", 1)[0] == method]
        if not of_method and steps == 0 and failed:
            return failed[-1]  # nothing finished yet: its latest attempt, to see why
        if steps >= len(of_method):
            raise JobSpecError(f"{text!r}: method {method!r} has {len(of_method)} finished "
                               f"job(s)")
        return of_method[-1 - steps].path
    matches = {j.id: j.path for j in jobs if j.id.startswith(text)}
    matches.update({p.name.split(".")[0] + " (failed)": p for p in _failed(session)
                    if p.name.startswith(text) and not matches})
    if len(matches) == 1:
        return next(iter(matches.values()))
    if not matches:
        raise JobSpecError(f"no job matches {text!r}",
                           hint="give a job id or a prefix of one, a method name, "
                                "method~N, or a job directory")
    listed = "\n  ".join(sorted(matches))
    raise JobSpecError(f"{text!r} matches {len(matches)} jobs:\n  {listed}")


def _steps(back: str, text: str) -> int:
    if not back:
        return 0
    if not back.isdigit():
        raise JobSpecError(f"{text!r}: after '~' comes a number of jobs back")
    return int(back)


def _failed(session: Session) -> list[Path]:
    return [p for w in session.store.workdirs for p in w.failed_dirs()]


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
    import pickle
    import reprlib

    from acbuild.workdir import is_finished, read_json, read_setup

    setup = read_setup(path)
    try:
        post = read_json(path / "post.json")
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
        "inputs": {k: (v or {}).get("id") for k, v in setup.get("inputs", {}).items()},
        "input_files": _input_files(setup.get("options", {})),
        "code": setup.get("code", {}), "versions": setup.get("versions", {}),
        "script_line": setup.get("script_line"),
        "files": post.get("files", {}), "profile": _profile(post),
        "profile_rows": _profile_rows(post), "error": post.get("error"),
    }
    result_file = path / "result.pickle"
    if with_result and result_file.exists():
        try:
            with open(result_file, "rb") as f:
                info["result"] = reprlib.Repr().repr(pickle.load(f))
        except Exception as e:  # a result needs its classes importable; say so, don't fail
            info["result"] = f"(cannot load: {type(e).__name__}: {e})"
    info["log_tail"] = _tail(path / "stdout.log") + _tail(path / "stderr.log")
    return info


def read_log(path: Path) -> str:
    parts = []
    for name in ("stdout.log", "stderr.log"):
        log = path / name
        if log.exists():
            parts.append(f"==> {name} <==\n{log.read_text(errors='replace')}")
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


def _tail(log: Path, lines: int = 20) -> list[str]:
    try:
        with open(log, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 8192))
            return f.read().decode(errors="replace").splitlines()[-lines:]
    except OSError:
        return []
