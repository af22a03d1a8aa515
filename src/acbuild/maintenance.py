"""Keeping work directories tidy: what is in them, what it costs, and `gc`.

`gc` removes the target's jobs that no recent run used. Keep-rules: the jobs of
the last ``keep_runs`` successful runs of each script (and of every run since
the oldest of those), jobs built or used within an age, jobs named by the
user, and the jobs the caller adds (``KeepRules.also``: the current build
scripts', the result lists') — each with the jobs it was built from. Failed jobs and the staging
leftovers of dead runs go too, and the records of runs beyond the newest
``history`` that no keep-rule reads (so that no decision of this or a later
gc changes by their going). Only the target is collected; sources are never
touched. Returns records; never prints.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from acbuild import dbcaches, dbruns
from acbuild.db import DB_NAME
from acbuild.dbruns import RunRow
from acbuild.errors import StorageError, WorkdirInUse
from acbuild.jobrecords import read_post, read_setup
from acbuild.store import Found, JobStore
from acbuild.workdir import FAILED_DIR, STAGING_DIR, Workdir, disk_usage, remove_entry


@dataclass(frozen=True)
class JobUsage:
    """A finished job, what it takes on disk, and when a run last built or reused it."""

    id: str
    hash: str
    method: str
    path: Path
    workdir: Path
    created: float
    last_used: float | None
    size: int | None


def job_usages(store: JobStore, method: str | None = None, sizes: bool = True
               ) -> list[JobUsage]:
    """Every finished job (of ``method``) in every work directory, oldest first."""
    used = store.last_used()
    return [_usage(job, used.get(job.id), sizes) for job in store.jobs(method)]


def _usage(job: Found, last_used: float | None, size: bool) -> JobUsage:
    # A run's time is when it started; the jobs it built were made after that: the run
    # that built a job used it when it was built, not before.
    if last_used is not None:
        last_used = max(last_used, job.created)
    return JobUsage(job.id, job.hash, job.method, job.path, job.path.parent, job.created,
                    last_used, disk_usage(job.path) if size else None)


# -- space -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkdirSpace:
    path: Path
    role: str  # target, or source
    jobs: int
    jobs_size: int
    failed_size: int  # .failed/
    staging_size: int  # .tmp/: jobs being built, leftovers, locks
    db_size: int

    @property
    def total(self) -> int:
        return self.jobs_size + self.failed_size + self.staging_size + self.db_size


@dataclass(frozen=True)
class Space:
    workdirs: list[WorkdirSpace]
    methods: list[tuple[str, int, int]]  # method, jobs, bytes; largest first


def space(store: JobStore) -> Space:
    """Bytes on disk per work directory and per method (jobs found in several count once)."""
    jobs = job_usages(store)
    per_workdir: dict[Path, list[JobUsage]] = defaultdict(list)
    per_method: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for job in jobs:
        per_workdir[job.workdir].append(job)
        per_method[job.method][0] += 1
        per_method[job.method][1] += job.size or 0
    rows = [_workdir_space(w, per_workdir.get(w.path, [])) for w in store.workdirs]
    methods = sorted(((m, n, size) for m, (n, size) in per_method.items()),
                     key=lambda row: (-row[2], row[0]))
    return Space(rows, methods)


def _workdir_space(workdir: Workdir, jobs: Sequence[JobUsage]) -> WorkdirSpace:
    db_size = sum(disk_usage(workdir.path / f"{DB_NAME}{suffix}") for suffix in ("", "-wal", "-shm"))
    return WorkdirSpace(
        workdir.path, "target" if workdir.writable else "source", len(jobs),
        sum(j.size or 0 for j in jobs), disk_usage(workdir.path / FAILED_DIR),
        disk_usage(workdir.path / STAGING_DIR), db_size)


# -- gc ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeepRules:
    runs: int  # the last N successful runs of each script
    newer_than: float | None = None  # seconds: jobs built or used more recently than this
    names: frozenset[str] = frozenset()  # job ids (or failed directory names) to keep
    # (why, job ids): the jobs of the current build scripts, those result lists name
    also: tuple[tuple[str, frozenset[str]], ...] = ()
    history: int = 100  # the run records kept in any case (`log`), newest first


@dataclass(frozen=True)
class Removal:
    kind: str  # job, failed, leftover
    name: str  # the job id, or the directory's name
    method: str | None
    path: Path
    size: int
    hash: str | None = None
    last_used: float | None = None


@dataclass
class GcReport:
    dry_run: bool
    removed: list[Removal]  # with dry_run: what would be removed
    kept: dict[str, int]  # keep-rule -> how many jobs it kept
    skipped: list[tuple[Removal, str]] = field(default_factory=list)  # and why
    runs: list[int] = field(default_factory=list)  # the run records forgotten
    sources: int = 0  # files of the source store no job linked any more, removed (or would be)

    @property
    def freed(self) -> int:
        return sum(r.size for r in self.removed)


_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_age(text: str) -> float:
    """Seconds in an age such as ``90m``, ``12h``, ``7d`` or ``2w``; ValueError otherwise."""
    match = _AGE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not an age: a number and a unit, s, m, h, d or w "
                         "(for example 7d)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def gc(store: JobStore, rules: KeepRules, dry_run: bool, now: float | None = None) -> GcReport:
    """Remove (or with ``dry_run`` list) what the keep-rules do not keep in the target."""
    if not dry_run and not store.take_target_exclusively():
        raise WorkdirInUse(
            "another acbuild process is using this work directory; nothing was removed",
            where=str(store.target.path), hint="run gc again when it has finished")
    report = _plan(store, rules, time.time() if now is None else now)
    if dry_run:  # the store files only the jobs listed link: those a gc would remove
        report.sources = len(store.target.sources.unused(r.path for r in report.removed))
        return report
    return _collect(store, report)


def _plan(store: JobStore, rules: KeepRules, now: float) -> GcReport:
    # Only the target is read here: gc holds it exclusively, and waiting now for a source's
    # hold (its owner's gc) could deadlock with a gc that holds that source and waits for us.
    target = store.target
    db = store.target_db()
    used = dbruns.last_used(db)
    listing = target.job_ids()
    jobs = [JobUsage(r.id, r.hash, r.method, target.job_dir(r.id), target.path, r.created,
                     used.get(r.id), None) for r in db.jobs() if r.id in listing]
    by_id = {j.id: j for j in jobs}
    all_runs = dbruns.runs(db)
    recent = _recent_runs(all_runs, rules.runs)
    reasons = _keep_reasons(jobs, recent, lambda run: dbruns.run_jobs(db, run), rules, now)
    kept = _with_inputs(set(reasons), by_id)
    for job_id in kept - set(reasons):
        reasons[job_id] = "input of a kept job"
    counts: dict[str, int] = defaultdict(int)
    for reason in reasons.values():
        counts[reason] += 1
    removed = [Removal("job", j.id, j.method, j.path, disk_usage(j.path), j.hash, j.last_used)
               for j in jobs if j.id not in kept]
    for failed in target.failed_dirs():
        if failed.name in rules.names or _recent(_mtime(failed), rules, now):
            counts["failed, kept"] += 1
            continue
        removed.append(Removal("failed", failed.name, None, failed, disk_usage(failed)))
    for leftover in target.remove_leftovers(dry_run=True):
        removed.append(Removal("leftover", leftover.name, None, leftover, disk_usage(leftover)))
    return GcReport(True, removed, dict(counts), runs=_old_runs(all_runs, recent, rules, now))


def _old_runs(runs: Sequence[RunRow], recent: Sequence[RunRow], rules: KeepRules,
              now: float) -> list[int]:
    """The runs whose records go: beyond the newest ``history``, not among the runs the
    keep-rules read, not running, and (with --keep-newer) older than that age, so that
    what they say of when a job was last used decides nothing any more."""
    needed = {r.run for r in recent}
    return sorted(r.run for r in sorted(runs, key=lambda r: -r.run)[rules.history:]
                  if r.run not in needed and r.status != "running"
                  and not _recent(r.started, rules, now))


def _recent_runs(runs: Sequence[RunRow], keep: int) -> list[RunRow]:
    """Per script, newest first: runs until ``keep`` successful ones are in. A failed run
    never pushes a successful one out, and a failed run since then counts too."""
    chosen = []
    ok: dict[str, int] = defaultdict(int)
    for run in sorted(runs, key=lambda r: -r.run):
        if ok[run.script] >= keep:
            continue
        chosen.append(run)
        if run.status == "ok":
            ok[run.script] += 1
    return chosen


def _keep_reasons(jobs: Sequence[JobUsage], runs: Sequence[RunRow],
                  run_jobs: Callable[[int], list[tuple[str, str]]], rules: KeepRules,
                  now: float) -> dict[str, str]:
    reasons: dict[str, str] = {}
    for job in jobs:
        why = next((why for why, ids in rules.also if job.id in ids), None)
        if job.id in rules.names:
            reasons[job.id] = "named with --keep"
        elif why is not None:
            reasons[job.id] = why
        elif _recent(max(job.created, job.last_used or 0), rules, now):
            reasons[job.id] = "newer than --keep-newer"
    names = {j.id for j in jobs}
    for run in runs:
        for job_id, state in run_jobs(run.run):
            if state != "failed" and job_id in names:
                reasons.setdefault(job_id, f"used by the last {rules.runs} successful "
                                           "run(s) of a script")
    return reasons


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0


def _recent(when: float, rules: KeepRules, now: float) -> bool:
    return rules.newer_than is not None and now - when < rules.newer_than


def _with_inputs(kept: set[str], by_id: dict[str, JobUsage]) -> set[str]:
    """``kept`` and every job in the target they were built from, transitively."""
    todo = list(kept)
    while todo:
        job = by_id.get(todo.pop())
        if job is None:
            continue
        for input_id in _input_ids(job.path):
            if input_id not in kept:
                kept.add(input_id)
                todo.append(input_id)
    return kept


def _input_ids(job_dir: Path) -> Iterable[str]:
    try:
        inputs = read_setup(job_dir).get("inputs") or {}
    except StorageError:
        return []
    # a list input's jobs are its inputs too
    listed = [i for v in inputs.values() for i in (v if isinstance(v, list) else [v])]
    return [*(v["id"] for v in listed if isinstance(v, dict) and "id" in v),
            *_subjob_ids(job_dir)]


def _subjob_ids(job_dir: Path) -> list[str]:
    """The subjobs a job recorded: kept with it (its result may name them)."""
    try:
        subjobs = read_post(job_dir).get("subjobs") or {}
    except StorageError:
        return []
    return [job_id for job_id in subjobs if isinstance(job_id, str)]


def _collect(store: JobStore, plan: GcReport) -> GcReport:
    """Remove what ``plan`` lists. Each job under its lock, its row first: a crash mid-way
    leaves at most a directory without a row (never reused; the next run or gc clears it),
    never a row that claims a job whose directory is gone."""
    target, db = store.target, store.target_db()
    report = GcReport(False, [], plan.kept)
    for removal in plan.removed:
        if removal.kind == "job" and removal.hash is not None:
            lock = target.lock(removal.name)
            if lock is None:
                report.skipped.append((removal, "another process is building it"))
                continue
            try:
                db.forget_jobs([removal.hash])
                target.remove_job(removal.name)
            finally:
                lock.release()
        elif removal.kind == "failed":
            remove_entry(removal.path)  # a link kept there goes, never what it leads to
        report.removed.append(removal)
    # Leftovers are found again now: the lock decides, not the plan.
    left = {p.name for p in target.remove_leftovers()}
    report.removed = [r for r in report.removed if r.kind != "leftover" or r.name in left]
    target.remove_stale_locks()
    report.sources = len(target.sources.remove_unused())  # those the removed jobs linked
    dbruns.prune_runs(db, plan.runs)
    dbcaches.forget_orphan_identities(db)
    report.runs = plan.runs
    return report
