"""`acbuild doctor`: do the target's database and its job directories agree?

The directories are the truth and the database is their index. doctor finds
rows without a directory, directories without a row, directories that are not
a finished job (no finished post.json, an unreadable setup.json), rows that
name another job than their directory holds, a database SQLite cannot read,
and staging leftovers of runs that died. ``repair`` makes the index agree with
the directories again; ``rebuild`` writes it anew from them. A directory
without a finished post.json is never indexed: it is moved to ``.failed/``, as
is a file or a link that took a job's name (moved as it is, never followed).
A full disk is not a damaged database: it is an error (``DiskFull``), never a
finding, and never a reason to move the database aside.

Each finding is *serious* (something is wrong) or not: a finished directory a
run died before recording, or a dead run's staging leftover, is what a crash
may leave, and the next run repairs it by itself. Returns records; never prints.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from acbuild.db import DB_NAME, Database, JobRow, SubjobRow
from acbuild.dbschema import newer_schema
from acbuild.errors import DiskFull, StorageError, WorkdirInUse
from acbuild.intact import job_damage
from acbuild.joblocks import JobLock
from acbuild.jobrecords import read_post, read_setup
from acbuild.jobrow import row_from_directory, subjob_rows
from acbuild.workdir import Workdir, remove_entry

_ROOM_TO_REBUILD = 256 << 10
_JOB_NAME = re.compile(r"[^/]+-[0-9a-f]{12}")  # the shape of a job id  # below this, a database is not moved aside to write a new one


@dataclass(frozen=True)
class Finding:
    kind: str  # (newer-)database, row-without-directory, mismatch, not-finished, unindexed, leftover
    name: str  # a job id, or a directory's name
    detail: str
    serious: bool
    path: Path | None = None
    hash: str | None = None  # of the row, where there is one


@dataclass
class DoctorReport:
    workdir: Path
    findings: list[Finding]
    jobs: int  # finished jobs the index holds (after a repair: holds now)
    repaired: list[str] = field(default_factory=list)  # what was done, in words

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.serious]


def examine(workdir: Workdir) -> DoctorReport:
    """What is wrong in ``workdir``; changes nothing. Jobs a live run holds are skipped."""
    if not (workdir.path / DB_NAME).is_file() and not _job_dirs(workdir):
        return DoctorReport(workdir.path, [], 0)  # nothing built here yet: nothing to check
    with _held(workdir, exclusive=False):
        try:
            db = Database.open(workdir.path)
        except DiskFull:
            raise
        except StorageError as e:
            return DoctorReport(workdir.path, [_unreadable(workdir, e)], 0)
        with db:
            return DoctorReport(workdir.path, _findings(workdir, db), len(db.jobs()))


def repair(workdir: Workdir, rebuild: bool = False) -> DoctorReport:
    """Make the index agree with the directories (``rebuild``: write it anew from them).

    Needs the work directory to itself, as `gc` does. An unreadable database is moved aside
    (to ``acbuild.db.broken-<time>``) and rebuilt; one of a newer acbuild is left alone.
    """
    with _held(workdir, exclusive=True):
        done: list[str] = []
        db = _open_sound(workdir, done)
        with db:
            if rebuild or done:  # asked, or a new database: index every finished directory
                rows = _numbered(_index_rows(workdir), db.jobs() if not done else [])
                db.replace_jobs(rows)
                db.replace_subjobs(_subjob_rows(workdir, rows))
                done.append(f"rebuilt the index from the job directories: {len(rows)} job(s)")
            for finding in _findings(workdir, db):
                done.append(_repair_one(workdir, db, finding))
            return DoctorReport(workdir.path, _findings(workdir, db), len(db.jobs()), done)


def _findings(workdir: Workdir, db: Database) -> list[Finding]:
    found = [Finding("database", DB_NAME, problem, True, workdir.path / DB_NAME)
             for problem in db.integrity_problems()]
    rows = {row.id: row for row in db.jobs()}  # rows first, then the listing: see _unindexed
    names = _job_dirs(workdir)
    for job_id, row in sorted(rows.items()):
        if job_id not in names:
            found.append(Finding("row-without-directory", job_id,
                                 "the database lists it but its directory is gone", True,
                                 workdir.job_dir(job_id), row.hash))
        else:
            found.extend(_indexed(workdir, row))
    for name in sorted(names - set(rows)):
        found.extend(_unindexed(workdir, db, name))
    for leftover in workdir.remove_leftovers(dry_run=True):
        found.append(Finding("leftover", leftover.name, "the staging directory of a run that "
                             "died; the next run removes it", False, leftover))
    return found


def _indexed(workdir: Workdir, row: JobRow) -> list[Finding]:
    path = workdir.job_dir(row.id)
    actual = row_from_directory(path)
    if actual is None:
        return [Finding("not-finished", row.id, f"indexed, but {_why_not_a_job(path)}",
                        True, path, row.hash)]
    if actual.hash != row.hash:
        return [Finding("mismatch", row.id, f"the row says hash {row.hash[:12]}…, the "
                        f"directory holds {actual.hash[:12]}…", True, path, row.hash)]
    return []


def _unindexed(workdir: Workdir, db: Database, name: str) -> list[Finding]:
    """A directory without a row: published by a run that died before recording it (or,
    while we look, one that is recording it now — its lock says so)."""
    path = workdir.job_dir(name)
    lock = workdir.lock(name)
    if lock is None:
        return []  # a live run is publishing it
    try:
        actual = row_from_directory(path)
        if actual is not None and db.lookup([actual.hash]):
            return []  # recorded since we read the rows
    finally:
        lock.release()
    if actual is None:
        return [Finding("not-finished", name, f"not indexed, and {_why_not_a_job(path)}", True,
                        path)]
    return [Finding("unindexed", name, "finished, but not in the database (a run stopped "
                    "between publishing and recording it); the next run that wants it records "
                    "it", False, path)]


def _why_not_a_job(path: Path) -> str:
    damage = job_damage(path) or "it holds another job"
    return f"it is not a finished job: {damage}"


def _repair_one(workdir: Workdir, db: Database, finding: Finding) -> str:
    if finding.kind == "row-without-directory" and finding.hash:
        db.forget_jobs([finding.hash])
        return f"forgot {finding.name}: its directory is gone"
    if finding.kind in ("unindexed", "mismatch") and finding.path is not None:
        row = row_from_directory(finding.path)
        subjobs, missing = ([], []) if row is None else subjob_rows(row.hash, finding.path,
                                                                    [workdir.path])
        if row is not None and missing:  # not current: the next run builds it again
            return (f"left {finding.name} unindexed: its subjob {missing[0]} is gone (its "
                    "result may name it); the next run builds it again")
        if row is not None:
            if finding.hash:
                db.forget_jobs([finding.hash])
            db.record_subjobs(subjobs)  # with its subjobs, or it is current whatever they are
            db.record_job(row)
            return f"indexed {finding.name} from its directory"
    if finding.kind == "not-finished" and finding.path is not None:
        if finding.hash:
            db.forget_jobs([finding.hash])  # the row goes first: never a row without its dir
        kept = workdir.keep_failed(finding.path, finding.name, damaged=True)
        return f"moved {finding.name} aside to {kept}: it is not a finished job"
    if finding.kind == "leftover" and finding.path is not None:
        remove_entry(finding.path)
        return f"removed the staging leftover {finding.name}"
    return f"left {finding.name} as it is ({finding.kind})"


def _index_rows(workdir: Workdir) -> list[JobRow]:
    rows = [row_from_directory(workdir.job_dir(name)) for name in sorted(_job_dirs(workdir))]
    return [row for row in rows if row is not None]


def _numbered(rows: list[JobRow], old: list[JobRow]) -> list[JobRow]:
    """``rows`` with their order of publication (``built_seq``, which says a reader was built
    before an input rebuilt in place): kept from the old index where it still describes
    the same post.json; the others numbered after those in the order their post.json says
    they ended (the only record of it a directory holds: a wall-clock time)."""
    kept = {r.hash: r for r in old if r.built_seq is not None}
    numbered = [r._replace(built_seq=kept[r.hash].built_seq) for r in rows
                if r.hash in kept and kept[r.hash][5:7] == r[5:7]]
    done = {r.hash for r in numbered}
    last = max((r.built_seq or 0 for r in numbered), default=0)
    rest = sorted((r for r in rows if r.hash not in done), key=lambda r: r.created)
    return numbered + [r._replace(built_seq=last + n) for n, r in enumerate(rest, 1)]


def _subjob_rows(workdir: Workdir, rows: list[JobRow]) -> list[SubjobRow]:
    """The subjobs each job's post.json records, with what their setup.json says (those
    of this work directory: a subjob elsewhere is not indexed here)."""
    found = []
    for row in rows:
        try:
            recorded = read_post(workdir.job_dir(row.id)).get("subjobs") or {}
        except StorageError:
            continue
        for sub_id in recorded:
            if not (isinstance(sub_id, str) and _JOB_NAME.fullmatch(sub_id)):
                continue
            try:
                setup = read_setup(workdir.job_dir(sub_id))
                found.append(SubjobRow(row.hash, setup["hash"], sub_id, setup["method"],
                                       setup["identity"]["code"]))
            except (StorageError, KeyError, TypeError):
                continue
    return found


def _job_dirs(workdir: Workdir) -> set[str]:
    """Every directory, file or link in the job namespace that holds a job's name (a
    finding); one of another name (a note the user keeps there, a directory of them) is not
    acbuild's: no job can be there."""
    return {name for name in workdir.job_ids() | workdir.names() if _JOB_NAME.fullmatch(name)}


def _unreadable(workdir: Workdir, error: StorageError) -> Finding:
    if newer_schema(workdir.path / DB_NAME):  # --fix and --rebuild leave it: not ours to replace
        return Finding("newer-database", DB_NAME, f"{error.message}: upgrade acbuild to use "
                       "it (`doctor --fix` and `--rebuild` leave it as it is)", True,
                       workdir.path / DB_NAME)
    return Finding("database", DB_NAME, f"{error.message}; `acbuild doctor --rebuild` moves it "
                   "aside and rebuilds it from the job directories", True,
                   workdir.path / DB_NAME)


def _open_sound(workdir: Workdir, done: list[str]) -> Database:
    """The database, or — when SQLite cannot read it or finds it damaged — a new one, the
    old one moved aside. One a newer acbuild wrote is not ours to replace."""
    path = workdir.path / DB_NAME
    try:
        db = Database.open(workdir.path)
    except DiskFull:
        raise
    except StorageError:
        if newer_schema(path):
            raise
    else:
        try:
            if not db.integrity_problems():
                return db
        except DiskFull:
            db.close()
            raise
        except StorageError:
            pass
        db.close()
    free = shutil.disk_usage(workdir.path).free
    if free < _ROOM_TO_REBUILD:
        # Damaged or not, a database moved aside now could not be replaced: keep it.
        raise DiskFull(str(workdir.path), f"{free} bytes free: too little to rebuild the "
                       "database, which is left as it is")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for suffix in ("", "-wal", "-shm"):
        old = workdir.path / f"{DB_NAME}{suffix}"
        if old.exists():
            os.replace(old, workdir.path / f"{DB_NAME}.broken-{stamp}{suffix}")
    done.append(f"moved the damaged database aside to {DB_NAME}.broken-{stamp} (its run "
                "history and stat cache are not carried over)")
    return Database.open(workdir.path)


@contextmanager
def _held(workdir: Workdir, exclusive: bool) -> Iterator[None]:
    """Hold the work directory as every command does; to repair, as its only user."""
    workdir.ensure()
    hold: JobLock | None = workdir.use()
    if exclusive and (hold is None or not hold.make_exclusive()):
        if hold is not None:
            hold.release()
        raise WorkdirInUse("another acbuild process is using this work directory; nothing "
                           "was changed", where=str(workdir.path),
                           hint="run doctor again when it has finished")
    try:
        yield
    finally:
        if hold is not None:
            hold.release()
