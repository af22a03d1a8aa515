"""A JOB argument: what a user types to name a job, resolved to its directory.

The forms (DESIGN section 6), a base and then any number of steps:

  base   a job id, or a unique prefix of one (an ambiguous prefix lists the candidates)
         a method name: its job in the default build script when it has exactly one
           there, else its latest job (``method~N`` counts from its latest job)
         :LIST:NAME, :LIST/TS:NAME  the job NAME of a result list's latest entry, or of
           the entry at TS (also ``latest``, ``first``); no NAME: the entry's last job
         a job directory, or a file inside one
  steps  ~N  N jobs of the same method before it (``~`` is ~1, ``~~`` ~2)
         ^N  N times its ``previous`` input, else its first input (``^`` is ^1)
         .NAME  its input NAME

``parse`` splits the text (pure); ``resolve`` finds the job through a ``Finder``,
which the session fills in (the store, the lists, the default script's jobs).
Raises ``JobSpecError`` naming the part that did not resolve; never prints.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acbuild.errors import AcbuildError, JobSpecError, StorageError
from acbuild.jobrecords import SETUP_FILE, read_setup
from acbuild.store import Found, JobStore
from acbuild.urdlists import Lists
from acbuild.workdir import failed_job_id

_STEP = re.compile(r"~([0-9]*)|\^([0-9]*)|\.([A-Za-z_]\w*)")
_STEPS = re.compile(r"(?:~[0-9]*|\^[0-9]*|\.[A-Za-z_]\w*)*$")
_EXPECTED = {"~": "after '~' comes a number of jobs back",
             "^": "after '^' comes a number of inputs to follow",
             ".": "after '.' comes an input name"}
HINT = ("give a job id or a prefix of one, a method name, method~N, JOB^, JOB.input, "
        ":list:name, or a job directory")


@dataclass(frozen=True)
class Step:
    kind: str  # "~" (earlier jobs of its method), "^" (previous or first input), "." (input)
    count: int = 1
    name: str = ""


@dataclass(frozen=True)
class Parsed:
    base: str  # an id, a prefix or a method; for a list: its name (and /TS)
    steps: tuple[Step, ...]
    entry_job: str | None = None  # for :LIST[/TS]:NAME, the NAME ("" for the last job)


def parse(text: str, names: Collection[str] = ()) -> Parsed:
    """Split a JOB argument (not a path) into its base and its steps. ``names``: the job
    names a list entry has, when known (a name that looks like steps is still a name)."""
    if text.startswith(":"):
        where, colon, rest = text[1:].partition(":")
        if not colon or not where:
            raise JobSpecError(f"{text!r}: a list's job is :LIST:NAME or :LIST/TS:NAME",
                               hint=HINT)
        if rest in names:
            return Parsed(where, (), rest)
        name, steps = _split(rest, text)
        return Parsed(where, steps, name)
    base, steps = _split(text, text)
    if not base:
        raise JobSpecError(f"{text!r}: no job before {text[:1]!r}", hint=HINT)
    return Parsed(base, steps)


def _split(text: str, whole: str) -> tuple[str, tuple[Step, ...]]:
    """``text`` as its base and the steps after it (the base holds none of ~ ^ .)."""
    cut = min((i for i in (text.find(c) for c in "~^.") if i >= 0), default=len(text))
    base, rest = text[:cut], text[cut:]
    if not _STEPS.fullmatch(rest):
        at, last = 0, ""
        while (m := _STEP.match(rest, at)) and m.end() > at:
            at, last = m.end(), m.group()
        step = rest[at] if rest[at] in _EXPECTED else last[:1] if last[:1] in "~^" else ""
        raise JobSpecError(f"{whole!r}: cannot read {rest[at:]!r} after {text[:cut + at]!r}: "
                           f"{_EXPECTED.get(step, 'a step is ~N, ^N or .input')}", hint=HINT)
    steps = []
    for m in _STEP.finditer(rest):
        tilde, caret, name = m.groups()
        if name is not None:
            steps.append(Step(".", name=name))
        else:
            digits = tilde if tilde is not None else caret
            steps.append(Step("~" if tilde is not None else "^", int(digits) if digits else 1))
    return base, tuple(steps)


@dataclass
class Finder:
    """What resolving needs, from the session: the store, the method names, a method's
    declared inputs (in order; [] when unknown), the result lists, and the jobs a method
    has in the default build script as (id, directory or None when not built)."""

    store: JobStore
    methods: Callable[[], Collection[str]]
    declared_inputs: Callable[[str], Sequence[str]]
    lists: Callable[[], Lists]
    script_jobs: Callable[[str], list[tuple[str, Path | None]]]
    script_name: str = "build.py"


def resolve(text: str, finder: Finder) -> Path:
    """The directory of the job ``text`` names."""
    path = _as_path(text)
    if path is not None:
        return path
    if text.startswith(":"):
        where = text[1:].partition(":")[0]
        entry = None
        if where:
            name, entry = finder.lists().locate(where)
            entry = entry or finder.lists().latest(name)
        names = [n for n, _, _ in entry.jobs] if entry else []
        parsed = parse(text, names)
        job = _entry_job(text, parsed, entry, finder)
    else:
        parsed = parse(text)
        job = _base(text, parsed, finder)
    for step in parsed.steps:
        job = _step(text, job, step, finder)
    return job


def _as_path(text: str) -> Path | None:
    """A job directory, or the job directory a file lies in; None when ``text`` is no path."""
    try:
        path = Path(text)
        if not path.exists():
            return None
        resolved = path.resolve()
    except (OSError, ValueError):
        return None  # no path (too long, a NUL in it)
    for candidate in (resolved, *resolved.parents):
        if (candidate / SETUP_FILE).is_file():
            return candidate
    if "/" in text or text in (".", ".."):
        raise JobSpecError(f"{text!r} is neither a job directory nor a file inside one",
                           hint=HINT)
    return None  # a name that happens to exist here (a file called like a method)


def _entry_job(text: str, parsed: Parsed, entry: object, finder: Finder) -> Path:
    from acbuild.urdlists import Entry

    assert isinstance(entry, Entry)
    name = parsed.entry_job or ""
    jobs = {n: h for n, _, h in entry.jobs}
    if not entry.jobs:
        raise JobSpecError(f"{text!r}: {entry.list}/{entry.timestamp} has no jobs")
    if name and name not in jobs:
        raise JobSpecError(f"{text!r}: {entry.list}/{entry.timestamp} has no job {name!r}",
                           hint=f"its jobs: {', '.join(jobs)}")
    job_hash = jobs[name] if name else entry.jobs[-1][2]
    found = finder.store.find([job_hash]).get(job_hash)
    if found is None:
        raise JobSpecError(f"{text!r}: its job {job_hash[:12]} is in no work directory "
                           "(removed?)")
    return found.path


def _base(text: str, parsed: Parsed, finder: Finder) -> Path:
    base = parsed.base
    jobs = finder.store.jobs()
    if base in finder.methods() or any(j.method == base for j in jobs):
        return _of_method(text, base, parsed, [j for j in jobs if j.method == base], finder)
    matches = {j.id: j.path for j in jobs if j.id.startswith(base)}
    if not matches:
        matches = {f"{failed_job_id(p.name) or p.name} (failed)": p for p in _failed(finder)
                   if p.name.startswith(base)}
    if len(matches) == 1:
        return next(iter(matches.values()))
    if not matches:
        raise JobSpecError(f"no job matches {base!r}" + (f" (in {text!r})" if base != text
                                                         else ""), hint=HINT)
    listed = "\n  ".join(sorted(matches))
    raise JobSpecError(f"{base!r} matches {len(matches)} jobs:\n  {listed}")


def _of_method(text: str, method: str, parsed: Parsed, of_method: list[Found],
               finder: Finder) -> Path:
    """A method's job: counted from its latest when a ~ follows, else its job in the default
    script when it has exactly one there, else its latest; a failed attempt when it has no
    finished job (to see why)."""
    failed = [p for p in _failed(finder) if (failed_job_id(p.name) or "").rsplit("-", 1)[0]
              == method]
    counting = bool(parsed.steps) and parsed.steps[0].kind == "~"
    if not counting:
        in_script = _script_job(method, finder)
        if in_script is not None:
            job_id, path = in_script
            if path is not None:
                return path
            attempts = [p for p in failed if failed_job_id(p.name) == job_id]
            if attempts:
                return attempts[-1]
            held = _held_by_name(job_id, finder)
            if held is not None:
                return held  # not reusable as it is (damaged): show says why
            raise JobSpecError(
                f"{text!r}: the job of {method!r} in {finder.script_name} ({job_id}) is not "
                "built", hint=f"`acbuild run` builds it; {method}~0 is its latest job")
    if not of_method:
        if failed and not counting:
            return failed[-1]
        raise JobSpecError(f"{text!r}: method {method!r} has no finished job")
    return of_method[-1].path


def _held_by_name(job_id: str, finder: Finder) -> Path | None:
    """What holds a job's name in a work directory though the store did not find it there
    finished and intact (a damaged directory), to be shown as it is."""
    for workdir in finder.store.workdirs:
        path = workdir.job_dir(job_id)
        if os.path.lexists(path):
            return path
    return None


def _script_job(method: str, finder: Finder) -> tuple[str, Path | None] | None:
    try:
        jobs = finder.script_jobs(method)
    except AcbuildError:
        return None  # a script that does not evaluate names no job: the latest one then
    return jobs[0] if len(jobs) == 1 else None


def _step(text: str, job: Path, step: Step, finder: Finder) -> Path:
    if step.kind == "~":
        return _earlier(text, job, step.count, finder)
    if step.kind == ".":
        return _input(text, job, step.name, finder)
    for _ in range(step.count):
        job = _previous_or_first(text, job, finder)
    return job


def _earlier(text: str, job: Path, count: int, finder: Finder) -> Path:
    setup = _setup(job)
    method = str(setup.get("method"))
    of_method = [j.path for j in finder.store.jobs(method)]
    ids = [p.name for p in of_method]
    if job.name not in ids:
        raise JobSpecError(f"{text!r}: {job.name} is not a finished job, so no count of "
                           "jobs before it")
    at = ids.index(job.name) - count
    if at < 0:
        raise JobSpecError(f"{text!r}: method {method!r} has {len(ids)} finished job(s); "
                           f"{job.name} is number {ids.index(job.name) + 1}, so there are "
                           f"not {count} before it")
    return of_method[at]


def _input(text: str, job: Path, name: str, finder: Finder) -> Path:
    inputs = _setup(job).get("inputs") or {}
    if name not in inputs:
        raise JobSpecError(f"{text!r}: {job.name} has no input {name!r}",
                           hint=f"its inputs: {', '.join(inputs) or 'none'}")
    value = inputs[name]
    if isinstance(value, list):  # a list input: which one is for the user to say, by id
        ids = ", ".join(v["id"] if isinstance(v, dict) else "(absent)" for v in value)
        raise JobSpecError(f"{text!r}: the input {name!r} of {job.name} is a list of "
                           f"{len(value)} jobs: [{ids}]", hint="give one of them by its id")
    if not isinstance(value, dict) or not value.get("id"):
        raise JobSpecError(f"{text!r}: the input {name!r} of {job.name} is absent (None)")
    return _job_by_id(text, value["id"], finder)


def _previous_or_first(text: str, job: Path, finder: Finder) -> Path:
    setup = _setup(job)
    inputs = setup.get("inputs") or {}
    declared = [n for n in _declared(str(setup.get("method")), finder) if n in inputs]
    order = ["previous", *declared, *[n for n in inputs if n not in declared]]
    for name in order:
        value = inputs.get(name)
        if isinstance(value, dict) and value.get("id"):
            return _job_by_id(text, value["id"], finder)
    raise JobSpecError(f"{text!r}: {job.name} has no input job to follow with ^")


def _declared(method: str, finder: Finder) -> Sequence[str]:
    try:
        return finder.declared_inputs(method)
    except AcbuildError:
        return []  # a method that is gone: the order setup.json keeps


def _job_by_id(text: str, job_id: str, finder: Finder) -> Path:
    for job in finder.store.jobs(job_id.rsplit("-", 1)[0]):
        if job.id == job_id:
            return job.path
    raise JobSpecError(f"{text!r}: its job {job_id} is in no work directory (removed?)")


def _setup(job: Path) -> dict[str, Any]:
    try:
        return read_setup(job)
    except StorageError as e:
        raise JobSpecError(f"cannot read {job.name}: {e.message}", where=str(job)) from None


def _failed(finder: Finder) -> list[Path]:
    return [p for w in finder.store.workdirs for p in w.failed_attempts()]
