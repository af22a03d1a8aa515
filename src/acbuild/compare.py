"""Jobs of one method side by side (``acbuild compare``): the options and inputs that differ
between them, and the scalar fields of each one's result (a dict result flattened:
``roc_auc.test``) or of a JSON file it wrote (``--metrics metrics.json``). A result list
is compared by its entries: ``:LIST:NAME`` is the job NAME of every live entry (``:LIST:``
each entry's last job), a row an entry, with its timestamp.

``compare`` returns a ``Comparison``: its rows are plain dicts (one per job, keyed by
column name), ready for a CSV writer, ``json`` or ``pandas.DataFrame``; the board draws
the same rows. Never prints. A result is unpickled only from the project's configured work
directories: loading a pickle runs code, and those are the user's own.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acbuild import results
from acbuild.errors import AcbuildError, JobSpecError
from acbuild.job import RESULT_FILE
from acbuild.jobchecks import file_changed
from acbuild.jobrecords import is_finished, read_setup
from acbuild.jobspec import parse
from acbuild.session import Session, resolve_job
from acbuild.urdlists import Entry

# Columns every row has, before the options, inputs and fields.
FIXED = ("job", "name", "built")
INPUT_PREFIX = "jobs."  # an input's column: ``jobs.source``, as a method names it
RESULT_PREFIX = "result."  # a result field named like an option gets this prefix
JSON_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Comparison:
    """The compared jobs of ``method``: column names by kind, and one row per job."""

    method: str
    options: tuple[str, ...]  # the options that differ (all of them, for a single job)
    inputs: tuple[str, ...]  # ``jobs.<name>`` columns: the inputs that differ
    fields: tuple[str, ...]  # the result's (or the metrics file's) scalar fields
    rows: tuple[dict[str, Any], ...]
    problems: tuple[str, ...] = ()  # a result that could not be read, per job
    entry: tuple[str, ...] = ()  # compared list entries: "timestamp" (and "list", "caption")

    @property
    def columns(self) -> list[str]:
        return [*self.entry, *FIXED, *self.options, *self.inputs, *self.fields]

    def as_json(self) -> dict[str, Any]:
        return {"method": self.method, "columns": self.columns, "entry": list(self.entry),
                "options": list(self.options), "inputs": list(self.inputs),
                "fields": list(self.fields), "rows": list(self.rows),
                "problems": list(self.problems)}


@dataclass(frozen=True)
class _Job:
    path: Path
    setup: dict[str, Any]
    named: str  # what named it: a JOB argument, or a list entry's "LIST/TS:NAME"
    entry: Entry | None = None  # the list entry it was taken from


def compare(session: Session, specs: Sequence[str], metrics: str | None = None,
            sort: str | None = None, descending: bool = False,
            only: Sequence[str] = (), load_results: bool = True) -> Comparison:
    """Compare the jobs ``specs`` name: one method name (every finished job of it) or JOB
    arguments (each a job of the same method; ``:LIST:NAME`` names one in each of the list's
    entries). ``metrics``: a JSON file inside each job
    to take the fields from, instead of its result. ``sort``: a column to order rows by.
    ``only``: patterns (``roc_auc.*``) the fields shown must match (a result with many
    fields, a dict of counts, makes a wide table). ``load_results=False``: no result is
    unpickled (the board, before the user asks): the options and inputs only."""
    problems: list[str] = []
    jobs = _jobs(session, specs, problems)
    entry_cols = _entry_columns(jobs)
    method = jobs[0].setup.get("method", "?")
    options = [_flatten(j.setup.get("options", {}), keep_lists=True) for j in jobs]
    inputs = [{INPUT_PREFIX + k: _input_ids(v) for k, v in j.setup.get("inputs", {}).items()}
              for j in jobs]
    option_cols = _columns(options, only_differing=len(jobs) > 1)
    input_cols = _columns(inputs, only_differing=len(jobs) > 1)
    fields = [_fields(session, j, metrics, problems) if load_results else {}
              for j in jobs]
    fields = [{_unclash(k, [*option_cols, *entry_cols]): v for k, v in f.items()}
              for f in fields]
    all_fields = _columns(fields, only_differing=False)
    field_cols = [c for c in all_fields
                  if not only or any(fnmatch.fnmatchcase(c, p) for p in only)]
    problems.extend(f"--field {p!r} matches no field (the fields: "
                    f"{', '.join(all_fields) or 'none'})" for p in only
                    if load_results and not any(fnmatch.fnmatchcase(c, p) for c in all_fields))
    rows = [_row(j, [(option_cols, o), (input_cols, i), (field_cols, f)], entry_cols)
            for j, o, i, f in zip(jobs, options, inputs, fields, strict=True)]
    comparison = Comparison(method, tuple(option_cols), tuple(input_cols), tuple(field_cols),
                            tuple(rows), tuple(problems), tuple(entry_cols))
    return sorted_by(comparison, sort, descending) if sort else comparison


def _input_ids(value: Any) -> Any:
    """An input's job id; a list input's, a list of them (None where the script gave None)."""
    if isinstance(value, list):
        return [(v or {}).get("id") for v in value]
    return (value or {}).get("id")


def _row(job: _Job, groups: list[tuple[list[str], dict[str, Any]]],
         entry_cols: Sequence[str]) -> dict[str, Any]:
    """One job's row: its list entry's columns, its id, label and time, then each group's
    columns (None: absent)."""
    entry = job.entry
    row: dict[str, Any] = {c: getattr(entry, c) if entry else None for c in entry_cols}
    row.update({"job": job.setup.get("id"), "name": job.setup.get("label"),
                "built": _iso(job.setup.get("created"))})
    for columns, values in groups:
        row.update((c, values.get(c)) for c in columns)
    return row


def sorted_by(comparison: Comparison, column: str, descending: bool = False) -> Comparison:
    """The rows ordered by ``column``; a job without a value for it comes last."""
    if column not in comparison.columns:
        raise AcbuildError(f"no column {column!r} to sort by",
                           hint=f"the columns are: {', '.join(comparison.columns)}")
    present = [r for r in comparison.rows if r.get(column) is not None]
    absent = [r for r in comparison.rows if r.get(column) is None]
    present.sort(key=lambda r: _sort_key(r[column]), reverse=descending)
    return dataclasses.replace(comparison, rows=tuple(present + absent))


def _sort_key(value: Any) -> tuple[int, Any]:
    # Numbers before text, each in its own order: a column may mix them (a missing metric
    # written as "n/a"), and Python does not compare 1 with "a".
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        return (0, value)
    return (1, str(value))


def _jobs(session: Session, specs: Sequence[str], problems: list[str]) -> list[_Job]:
    if not specs:
        raise JobSpecError("compare needs a method name or jobs",
                           hint="acbuild compare METHOD, or acbuild compare JOB JOB...")
    if len(specs) == 1 and _is_method(session, specs[0]):
        found = session.store.jobs(specs[0])
        if not found:
            raise JobSpecError(f"method {specs[0]!r} has no finished jobs")
        return [_Job(f.path, read_setup(f.path), f.id) for f in found]
    jobs: list[_Job] = []
    for spec in specs:
        of_list = _list_jobs(session, spec, problems)
        jobs.extend(of_list if of_list is not None else [_named_job(session, spec)])
    if not jobs:  # a list whose jobs are all gone
        raise JobSpecError(f"no job to compare: {'; '.join(problems)}")
    methods = sorted({j.setup.get("method", "?") for j in jobs})
    if len(methods) > 1:
        named = ", ".join(f"{j.named} ({j.setup.get('method')})" for j in jobs)
        raise JobSpecError(f"compare puts jobs of one method side by side; these are of "
                           f"{len(methods)} methods: {named}")
    return jobs


def _named_job(session: Session, spec: str) -> _Job:
    path = resolve_job(session, spec)
    if not is_finished(path):
        raise JobSpecError(f"{spec!r} is not a finished job ({path})")
    return _Job(path, read_setup(path), spec)


def _list_jobs(session: Session, spec: str, problems: list[str]) -> list[_Job] | None:
    """For ``:LIST:NAME``, the job NAME of each live entry of the list, in timestamp order
    (``:LIST:``: each entry's last job); an entry without it is a problem, not a failure.
    None when ``spec`` names no whole list (``:LIST/TS:NAME`` is one job)."""
    where, colon, rest = spec[1:].partition(":") if spec.startswith(":") else ("", "", "")
    if not where or not colon:
        return None
    lists = session.lists()
    name, one = lists.locate(where)
    if one is not None:
        return None
    entries = lists.entries(name)
    known = list(dict.fromkeys(n for e in entries for n, _, _ in e.jobs))
    parsed = parse(spec, known)
    wanted = parsed.entry_job or ""
    having = [e for e in entries if e.jobs and (not wanted or wanted in _by_name(e))]
    for e in entries:
        if e not in having:
            problems.append(f"{e.list}/{e.timestamp}: no job {wanted!r} in this entry")
    if not having:
        raise JobSpecError(f"{spec!r}: no entry of list {name!r} has a job {wanted!r}",
                           hint=f"its entries' jobs: {', '.join(known) or 'none'}")
    if parsed.steps:  # JOB steps after the name: each entry's job as its own JOB argument
        return [dataclasses.replace(_named_job(session, f":{name}/{e.timestamp}:{rest}"),
                                    entry=e) for e in having]
    hashes = {e.timestamp: _by_name(e).get(wanted) or e.jobs[-1][2] for e in having}
    found = session.store.find(list(set(hashes.values())))
    jobs = []
    for e in having:
        job = found.get(hashes[e.timestamp])
        if job is None:
            problems.append(f"{e.list}/{e.timestamp}: its job {wanted or 'last'} is in no "
                            "work directory (removed?)")
            continue
        jobs.append(_Job(job.path, read_setup(job.path), f"{e.list}/{e.timestamp}:{wanted}",
                         e))
    return jobs


def _by_name(entry: Entry) -> dict[str, str]:
    return {n: h for n, _, h in entry.jobs}  # the last of a name wins, as a JobList's


def _entry_columns(jobs: Sequence[_Job]) -> list[str]:
    """The columns of compared list entries: the timestamp, the list when there are several,
    the caption when one has one."""
    entries = [j.entry for j in jobs if j.entry is not None]
    if not entries:
        return []
    several = len({e.list for e in entries}) > 1
    return [*(["list"] if several else []), "timestamp",
            *(["caption"] if any(e.caption for e in entries) else [])]


def _is_method(session: Session, text: str) -> bool:
    return text in session.registry.files() or any(j.method == text
                                                   for j in session.store.jobs(text))


def _fields(session: Session, job: _Job, metrics: str | None,
            problems: list[str]) -> dict[str, Any]:
    """The job's scalar fields: its result's, or its metrics file's."""
    job_id = job.setup.get("id", "?")
    if metrics is not None:
        try:
            with open(job.path / metrics, "rb") as f:
                return _flatten(json.load(f), top="metrics")
        except (OSError, ValueError) as e:
            problems.append(f"{job_id}: {metrics}: {e}")
            return {}
    if not (job.path / RESULT_FILE).exists():
        return {}
    if session.store.workdir_of(job.path) is None:
        problems.append(f"{job_id}: result not loaded: {job.path.parent} is not one of the "
                        "project's work directories")
        return {}
    if file_changed(job.path, RESULT_FILE):
        problems.append(f"{job_id}: result not loaded: {RESULT_FILE} changed since the job "
                        "was built (acbuild run builds it again)")
        return {}
    try:
        return _flatten(results.load(job.path, RESULT_FILE), top="result")
    except Exception as e:  # a result needs its classes importable; say so, go on
        problems.append(f"{job_id}: result cannot be loaded: {type(e).__name__}: {e}")
        return {}


def _flatten(value: Any, top: str = "", prefix: str = "",
             keep_lists: bool = False) -> dict[str, Any]:
    """The scalar leaves of nested dicts, keyed by their dotted path; a scalar alone is
    ``top``. Lists, tuples and objects are not scalars: left out, or, ``keep_lists`` (an
    option's value, which is JSON), kept whole. A file option's record, ``{"$file": ...}``,
    is its path."""
    if isinstance(value, dict) and "$file" in value:
        return {prefix.rstrip(".") or top: value["$file"]}
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, top, f"{prefix}{key}.", keep_lists))
        return flat
    if isinstance(value, JSON_SCALARS) or (keep_lists and isinstance(value, list)):
        return {prefix.rstrip(".") or top: value}
    if _is_number(value):  # numpy's float64, say: a number in a table and in JSON
        return {prefix.rstrip(".") or top: float(value)}
    return {}


def _is_number(value: Any) -> bool:
    try:
        return type(value).__module__ == "numpy" and float(value) == float(value)
    except (TypeError, ValueError):
        return False


def _columns(rows: Iterable[dict[str, Any]], only_differing: bool) -> list[str]:
    """The keys of ``rows`` in first-seen order; with ``only_differing``, those whose value
    is not the same in every row."""
    rows = list(rows)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    if not only_differing:
        return keys
    return [k for k in keys if len({json.dumps(r.get(k), sort_keys=True, default=str)
                                    for r in rows}) > 1]


def _unclash(field: str, taken: Sequence[str]) -> str:
    return RESULT_PREFIX + field if field in taken or field in FIXED else field


def _iso(epoch: Any) -> str | None:
    import datetime

    if not isinstance(epoch, (int, float)):
        return None
    return datetime.datetime.fromtimestamp(epoch).isoformat(sep=" ", timespec="seconds")
