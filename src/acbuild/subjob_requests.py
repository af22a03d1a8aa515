"""The run's side of subjobs: what a running job's ``subjobs.build`` asks for, as a job
spec, and who waits for which subjob.

``SubjobPlanner`` turns a request (``acbuild.subjobs`` sends it) into a ``JobSpec`` as
``urd.build`` would (options and input jobs sorted by the method's declarations, options
normalised), and decides it through the callback the session gives. ``Waits`` is the
engine's bookkeeping: the parents waiting for each subjob, the slots each lends while it
waits, the chain of parents above each subjob (at most ``MAX_DEPTH`` deep), and the
subjobs each parent got (recorded when it is published). Nothing here starts a process.
"""

# No ``from __future__ import annotations`` here: a named tuple's string annotations are
# compiled one by one when it is defined, at every start (issue 12, start-up).
from collections.abc import Callable
from typing import Any, NamedTuple

from acbuild import canonical, graph, options
from acbuild.db import SubjobRow
from acbuild.errors import MethodError
from acbuild.graph import JobSpec
from acbuild.job import WITHFILE
from acbuild.methods import MethodRegistry

MAX_DEPTH = 5  # a top-level job's subjob is 1 deep; one 5 deep may build no more


class SubjobPlanner:
    """Specs and decisions for subjob requests. ``decide``: a spec -> its ``plan.Decision``
    against the work directories (the session's ``decision.decide``, wired in)."""

    def __init__(self, registry: MethodRegistry, slices: int,
                 decide: Callable[[JobSpec], Any]):
        self.registry = registry
        self.slices = slices
        self.decide = decide

    def spec(self, request: dict[str, Any], known: Callable[[str], JobSpec | None],
             where: str) -> JobSpec:
        """The job a request asks for; ``known``: a job id of this run -> its spec."""
        name = request.get("method")
        if not isinstance(name, str):
            raise MethodError(f"subjobs.build takes a method name (a str) first, got "
                              f"{canonical.brief(name)}")
        method = self.registry.get(name)
        option_values = _values(request.get("options"), known, "options")
        job_values = _values(request.get("jobs"), known, "jobs")
        for key, value in _values(request.get("params"), known, "params").items():
            if key in method.options:
                option_values[key] = value
            elif key in method.inputs:
                job_values[key] = value
            else:
                raise MethodError(
                    f"method {name!r} has no option or input {key!r} (options: "
                    f"{', '.join(sorted(method.options)) or 'none'}; inputs: "
                    f"{', '.join(method.inputs) or 'none'})")
        inputs: dict[str, Any] = dict.fromkeys(method.inputs)
        for key in method.list_inputs:
            inputs[key] = ()  # not given: an empty list, as urd.build makes it (identity)
        for key, value in job_values.items():
            if key not in method.inputs:
                raise MethodError(f"method {name!r} has no input {key!r}")
            if key in method.list_inputs:
                inputs[key] = _list_input(name, key, value)
                continue
            if value is not None and not isinstance(value, JobSpec):
                raise MethodError(f"method {name!r}: input {key!r} must be a job handle or "
                                  f"None, not {type(value).__name__}")
            inputs[key] = value
        for key, value in option_values.items():
            if isinstance(value, JobSpec) or (type(value) is tuple  # a list of jobs
                                              and any(isinstance(v, JobSpec) for v in value)):
                raise MethodError(f"method {name!r}: option {key!r} got a job (an option "
                                  "names a file of a job with jobs.x.withfile(name))")
        option_values = {k: _with_hashes(v, known) for k, v in option_values.items()}
        normalized = options.normalize(method.name, method.options, option_values)
        seen: set[str] = set()
        for key, value in normalized.items():  # a withfile option's job is an input
            for at, jobfile in graph.job_files(value, key):
                if jobfile.job not in seen:
                    seen.add(jobfile.job)
                    inputs[WITHFILE + at] = known(jobfile.id)
        label = request.get("name")
        if label is not None and not (isinstance(label, str) and 0 < len(label) <= 200
                                      and label.isprintable()):
            raise MethodError("subjobs.build(name=...) takes a label of 1 to 200 printable "
                              "characters")
        return graph.make_spec(method.name, method.code_hash, normalized, inputs,
                               self.slices if method.has_analysis else None,
                               force=bool(request.get("force")),
                               label=label if isinstance(label, str) else None, where=where)


def _with_hashes(value: Any, known: Callable[[str], JobSpec | None]) -> Any:
    """A value's withfile jobs (sent by id) with their hashes; a job not finished in this
    run is refused as an input job would be."""
    if isinstance(value, canonical.JobFile):
        spec = _known(known, value.id, "options", f"withfile {value.name}")
        return canonical.JobFile(spec.hash, spec.id, value.name, value.sliced)
    if isinstance(value, (list, tuple)):
        return type(value)(_with_hashes(item, known) for item in value)
    if isinstance(value, dict):
        return type(value)((key, _with_hashes(item, known)) for key, item in value.items())
    return value


def _list_input(method: str, key: str, value: Any) -> tuple[JobSpec | None, ...]:
    """A list input as urd.build takes it: jobs and Nones in order; None is an empty list."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)) and all(v is None or isinstance(v, JobSpec)
                                                for v in value):
        return tuple(value)
    raise MethodError(f"method {method!r}: input {key!r} is a list input (declared "
                      f"[{key!r}]): it takes a list of job handles (or None)")


def _values(encoded: Any, known: Callable[[str], JobSpec | None], what: str
            ) -> dict[str, Any]:
    """A request's values: ``{"job": id}`` a job of this run, ``{"value": json}`` a value."""
    values: dict[str, Any] = {}
    for key, item in (encoded or {}).items():
        if "job" in item:
            values[key] = _known(known, item["job"], what, key)
        elif "jobs" in item:
            values[key] = tuple([None if i is None else _known(known, i, what, key)
                                 for i in item["jobs"]])
        else:
            values[key] = canonical.from_json(item["value"])
    return values


def _known(known: Callable[[str], JobSpec | None], job_id: str, what: str, key: str
           ) -> JobSpec:
    spec = known(job_id)
    if spec is None:
        raise MethodError(f"subjobs.build {what} {key!r}: job {job_id} is not a finished "
                          "job of this run (give an input job of the parent, or a subjob "
                          "it built)")
    return spec


class Waiting(NamedTuple):  # not dataclasses: every run defines them (~0.3 ms each)
    """A parent job blocked in ``subjobs.build``: its launcher token and lent slots."""

    token: int
    parent: JobSpec
    lent: int
    existed: bool = False  # finished before the parent asked: reused, not built for it


class Waits:
    """Who waits for which subjob in one run, and what each parent got."""

    def __init__(self) -> None:
        # subjob hash -> the parents waiting for it
        self.by_job: dict[str, list[Waiting]] = {}
        # job hash -> the parents above it, outermost first: (id, hash) each
        self.chains: dict[str, tuple[tuple[str, str], ...]] = {}
        # parent hash -> its subjobs so far (what the database records once it is published)
        self.served: dict[str, dict[str, SubjobRow]] = {}
        # parent hash -> the first failure its subjobs met, deepest first: what a failure
        # reaching up through several parents says once, not nested in each
        self.causes: dict[str, str] = {}

    def chain_below(self, parent: JobSpec) -> tuple[tuple[str, str], ...]:
        """The chain a subjob of ``parent`` has above it."""
        return (*self.chains.get(parent.hash, ()), (parent.id, parent.hash))

    def refusal(self, parent: JobSpec, spec: JobSpec) -> str | None:
        """Why ``parent`` may not have ``spec`` as a subjob: too deep, or a cycle."""
        chain = self.chain_below(parent)
        names = " > ".join(job_id for job_id, _ in chain)
        if any(h == spec.hash for _, h in chain):
            return (f"{spec.id} cannot be a subjob of itself (the chain of subjobs: "
                    f"{names} > {spec.id})")
        if len(chain) > MAX_DEPTH:
            return (f"subjobs nest at most {MAX_DEPTH} deep: {names} asked for {spec.id}, "
                    f"a level {len(chain)} deep")
        return None

    def wait(self, spec: JobSpec, waiting: Waiting) -> None:
        self.chains.setdefault(spec.hash, self.chain_below(waiting.parent))
        self.by_job.setdefault(spec.hash, []).append(waiting)

    def serve(self, parent: JobSpec, spec: JobSpec) -> None:
        self.served.setdefault(parent.hash, {})[spec.hash] = SubjobRow(
            parent.hash, spec.hash, spec.id, spec.method, spec.code_hash)


    def failure(self, parent: JobSpec, spec: JobSpec, reason: str, kept: Any) -> str:
        """What ``parent`` hears when its subjob failed: the subjob, where it is kept, and
        the failure at the bottom (a subjob failing of its own subjob says that one's)."""
        if reason.startswith("SubjobError: "):
            reason = self.causes.get(spec.hash, reason)
        self.causes.setdefault(parent.hash, reason)
        where = f"; its directory is kept at {kept}" if kept else ""
        return f"subjob {spec.id} (method {spec.method}) failed{where}: {reason}"

