"""The finished jobs a project can see, and the digests of its input files.

Combines the work directories (the truth) with their databases (the index).
This is the one place that answers "is this job built?": a job counts as
finished only when its row exists in a work directory's database and its
directory there is intact — a real directory whose post.json is the one
recorded (``find``: one lstat a job; ``recheck``, under the job's lock, reads
it all) — and a job that is read (an input of a job to build, a result the
script loads, every job `status` shows) is also checked for its records and for
files changed since it finished (``JobChecks.problem``). New jobs go to the target work
directory; the others are only read. Input-file digests go through the stat
cache in the target's database.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from acbuild import dbcaches, dbruns
from acbuild.db import DB_NAME, Database, JobRow, SubjobRow
from acbuild.errors import StorageError
from acbuild.filedigests import FileDigests
from acbuild.intact import PostStat, job_damage, post_stat
from acbuild.jobchecks import JobChecks
from acbuild.joblocks import JobLock
from acbuild.jobrecords import read_setup
from acbuild.jobrow import row_from_directory, subjob_rows
from acbuild.workdir import FAILED_DIR, Workdir, failed_attempt

T = TypeVar("T")
# Rows of jobs published by a run are written in batches: one transaction per job cost the
# engine about 50 µs of CPU (0.2 ms wall on a loaded VM); per 50 jobs, 7 µs a job.
FLUSH_ROWS = 64
FLUSH_SECONDS = 0.25


class Found(NamedTuple):
    """A finished job: where it is (a named tuple: a no-op run finds thousands of them)."""

    hash: str
    id: str
    method: str
    location: str | Path  # its directory; a Path only when asked for (``path``)
    created: float
    seq: int | None = None  # its order of publication in its work directory (JobRow.built_seq)

    @property
    def path(self) -> Path:
        # Made on demand: a no-op run finds 10,000 jobs and makes a Path of none of them.
        return Path(self.location)


class Recheck(NamedTuple):
    """What ``recheck`` found at a job's place in the target, under the job's lock."""

    found: Found | None  # the job, finished and intact
    problem: str = ""  # else what was wrong with what held its name, if anything did
    kept: Path | None = None  # and where that was moved


class CodeVersion(NamedTuple):  # not a dataclass: cheaper to make at import
    """A code hash of a method, with how many finished jobs were built from it."""

    code_hash: str
    jobs: int
    latest_id: str
    latest_created: float


class JobStore:
    """The target work directory (read-write) and the source ones (read-only).

    Every work directory in use is held (``Workdir.use``) until ``close``, so that `gc`
    never removes a job while this process may reuse or read it. A source that is missing,
    unreadable or has no usable database is a warning in ``warnings``, never an error.
    """

    def __init__(self, target: Path, sources: Sequence[Path] = (), readonly: bool = False):
        # ``readonly``: the target too is only read (``acbuild.open_project``): not created,
        # no database written.
        self.target = Workdir(target, writable=not readonly)
        self.sources = [Workdir(s, writable=False) for s in _distinct(sources, target)]
        self.warnings: list[str] = []
        self._dbs: dict[Path, Database | None] = {}
        self._listings: dict[Path, set[str]] = {}
        self._not_dirs: dict[Path, set[str] | None] = {}  # ``find``'s listing (None: failed)
        self._setups: dict[Path, dict[str, Any]] = {}
        self._holds: dict[Path, JobLock] = {}
        self._damaged: dict[str, str] = {}  # hash -> what is wrong with its directory
        # hash -> the PostStat of the post.json ``find`` saw, the one its row records
        self._post_stats: dict[str, PostStat] = {}
        # rows not yet written, with their identity and post.json's "files"
        self._pending: list[tuple[JobRow, tuple[str, str] | None, Any]] = []
        self._pending_since = 0.0
        self.digests = FileDigests(self.target_db)  # input files' digests, a stat cache
        self.checks = JobChecks(self.target, self.target_db, self._each_db, self._post_stats,
                                self.digests)

    @property
    def workdirs(self) -> list[Workdir]:
        return [self.target, *self.sources]

    def target_db(self) -> Database:
        db = self._db(self.target)
        if db is None:  # only read (``open_project``), and not there (or unusable): say so
            raise StorageError("no usable work directory here: nothing was built in it yet"
                               if not self.target.path.exists() else
                               "its database cannot be read", where=str(self.target.path),
                               hint="`acbuild run` builds the project's jobs")
        return db

    def _db(self, workdir: Workdir) -> Database | None:
        if self._pending and workdir is self.target:
            self.flush()  # what this process reads or writes there sees every job it published
        return self._open_db(workdir)

    def open_sources(self) -> None:
        """Open every source now, so that what is wrong with one is said before a run starts."""
        for workdir in self.sources:
            self._db(workdir)

    def workdir_of(self, job_dir: Path) -> Workdir | None:
        """The work directory a job directory (finished or failed) lives in."""
        parent = job_dir.parent.parent if job_dir.parent.name == FAILED_DIR else job_dir.parent
        for workdir in self.workdirs:
            if _same(workdir.path, parent):
                return workdir
        return None

    def take_target_exclusively(self) -> bool:
        """Become the only process using the target (for `gc`); False when another one is."""
        self.target_db()
        hold = self._holds.pop(self.target.path, None)
        if hold is None:
            return False
        if not hold.make_exclusive():
            hold.release()
            return False
        self._holds[self.target.path] = hold
        return True

    def _open_db(self, workdir: Workdir) -> Database | None:
        if workdir.path not in self._dbs:
            self._dbs[workdir.path] = self._open(workdir)
        return self._dbs[workdir.path]

    def _open(self, workdir: Workdir) -> Database | None:
        if workdir.writable:
            workdir.ensure()
            self._hold(workdir)
            return Database.open(workdir.path)
        problem = _unusable(workdir.path)
        if problem:
            self.warnings.append(f"source work directory {workdir.path} {problem}; "
                                 "its jobs are not reused")
            return None
        self._hold(workdir)
        try:
            return Database.open(workdir.path, readonly=True)
        except StorageError as e:
            self._skip(workdir, e)
            return None

    def _hold(self, workdir: Workdir) -> None:
        hold = workdir.use()
        if hold is not None:
            self._holds[workdir.path] = hold

    def _skip(self, workdir: Workdir, error: StorageError) -> None:
        """Stop using a source that failed mid-way; a broken target is an error instead."""
        if workdir.writable:
            raise error
        self.warnings.append(f"source work directory {workdir.path} skipped: {error.message}")
        db = self._dbs.get(workdir.path)
        if db is not None:
            db.close()
        self._dbs[workdir.path] = None
        self._listings[workdir.path] = set()

    def close(self) -> None:
        with contextlib.suppress(StorageError):  # rows not written: the directories say it
            self.flush()
        for db in self._dbs.values():
            if db is not None:
                db.close()
        self._dbs.clear()
        for hold in self._holds.values():
            hold.release()
        self._holds.clear()

    def _each_db(self, query: Callable[[Database], T]) -> Iterator[tuple[Workdir, T]]:
        """``query`` on each work directory's database, target first; one that cannot answer
        is skipped with a warning. Lazy: a caller that has what it needs stops early."""
        for workdir in self.workdirs:
            db = self._db(workdir)
            if db is None:
                continue
            try:
                result = query(db)
            except StorageError as e:
                self._skip(workdir, e)
                continue
            yield workdir, result

    def databases(self) -> list[Database]:
        """The databases in use, target first (result lists read them all)."""
        return [db for _, db in self._each_db(lambda db: db)]

    def find(self, hashes: Iterable[str]) -> dict[str, Found]:
        """The finished, intact jobs among ``hashes``: one query and one listing per work
        directory, and one lstat per job (its post.json of the size and mtime its row
        recorded). The listing keeps only the names that are no real directory (a link to
        a directory passes the lstat); a job whose lstat fails is gone, or read. A job whose
        post.json differs from its row is read to tell a damaged directory (not found:
        ``unusable`` says why) from an intact one whose row is only out of date (a copied
        work directory, a row of an older acbuild)."""
        remaining = set(hashes)
        found: dict[str, Found] = {}
        refreshed: list[JobRow] = []
        make = tuple.__new__  # a Found per job, without its __new__'s call (10,000 of them)
        seen = self._post_stats
        for workdir, rows in self._each_db(lambda db: db.locate(remaining)):
            not_dirs = self._not_directories(workdir) if rows else set()
            if not_dirs is None:
                continue  # a source that cannot be listed: skipped, with a warning
            root = str(workdir.path)
            writable = workdir.writable  # the target's jobs are readable: no check per job
            for h, job_id, method, created, size, mtime_ns, ctime_ns, seq in rows:
                if job_id in not_dirs:
                    continue
                location = f"{root}/{job_id}"
                stat = post_stat(location)
                if stat is None and not os.path.lexists(location):
                    continue  # its directory is gone (``unusable`` says it was removed)
                if not (writable or self._readable(workdir, job_id)):
                    continue
                if stat == (size, mtime_ns, ctime_ns):
                    seen[h] = stat
                else:
                    seen.pop(h, None)  # (its post.json is read again by ``problems`` too)
                    if not self._reread(h, job_id, created, seq, location, writable,
                                        refreshed):
                        continue
                found[h] = make(Found, (h, job_id, method, location, created, seq))
            remaining.difference_update(found)
            if not remaining:
                break  # before the next work directory's database is even opened
        if refreshed:
            self.target_db().record_jobs(refreshed)
        return found

    def _reread(self, job_hash: str, job_id: str, created: float, seq: int | None,
                location: str, writable: bool, refreshed: list[JobRow]) -> bool:
        """Whether a job whose post.json is not the one its row recorded is intact after all,
        read from its directory; its row, completed, goes to ``refreshed`` (in the target).
        What is wrong with one that is not is kept for ``unusable``. (A source's rows of an
        older acbuild, without the stat, are read on every run: it is not ours to complete;
        `acbuild doctor --rebuild` there does.)"""
        path = Path(location)
        actual = row_from_directory(path)
        if actual is None or actual.hash != job_hash:
            self._damaged[job_hash] = job_damage(path) or f"it holds another job ({job_id})"
            return False
        if writable:
            refreshed.append(actual._replace(created=created, built_seq=seq))
        self._damaged.pop(job_hash, None)
        return True

    def built_after(self, job: Found, reader: Found) -> bool:
        """Whether ``job`` (an input of ``reader``) was published after ``reader`` was, so
        that ``reader`` holds a result of an earlier build of it (``job`` was rebuilt in
        place under its id: forced, or a parent whose subjob changed).

        In one work directory by the database's order of publication (no clock involved);
        a row of an acbuild before that order, or a job in another work directory, by
        the times the rows recorded (a clock set back between the two builds could hide
        it: across work directories there is no shared order)."""
        by_seq = (job.seq or 0) > (reader.seq or 0)
        by_time = job.created > reader.created
        if by_seq == by_time:  # the usual answer (no): which one applies is moot
            return by_seq
        if ((job.seq is not None or reader.seq is not None)
                and _root(job.location) == _root(reader.location)):
            return by_seq
        return by_time

    def unusable(self, hashes: Iterable[str]) -> dict[str, tuple[str, str]]:
        """Among ``hashes``, jobs a database knows that ``find`` did not find, and why:
        hash -> (cause, words): ``removed`` (its directory is gone) or ``damaged``."""
        hashes = list(hashes)
        why: dict[str, tuple[str, str]] = {
            h: ("damaged", f"its directory is damaged: {self._damaged[h]}")
            for h in hashes if h in self._damaged}
        hashes = [h for h in hashes if h not in why]
        for workdir in self.workdirs:
            db = self._db(workdir)
            if db is None:
                continue
            rows = db.lookup(hashes)
            listing = self._listing(workdir) if rows else set()
            for h, row in rows.items():
                if row.id in listing or h in why:
                    continue
                path = workdir.job_dir(row.id)
                damage = job_damage(path)  # the name may be a link or a file now
                why[h] = (("removed", f"its directory was removed ({path})")
                          if damage == "it is gone" else
                          ("damaged", f"its directory is damaged: {damage}"))
        return why

    def failed(self) -> dict[str, Path]:
        """Job id -> its newest failed attempt under ``.failed/``, across the work dirs."""
        kept: dict[str, Path] = {}
        for workdir in self.workdirs:
            try:
                paths = workdir.failed_attempts()  # oldest first: the newest wins
            except OSError:  # a source we may not read: its failures are not ours to see
                continue
            for path in paths:
                job_id = failed_attempt(path.name)
                if job_id is not None:
                    kept[job_id] = path
        return kept

    def _readable(self, workdir: Workdir, job_id: str) -> bool:
        """A source's job that we may not read is not reused (it would fail its dependents)."""
        if workdir.writable or os.access(workdir.job_dir(job_id), os.R_OK | os.X_OK):
            return True
        warning = (f"job {job_id} in source work directory {workdir.path} cannot be read; "
                   "it is built again")
        if warning not in self.warnings:  # a script may be planned more than once
            self.warnings.append(warning)
        return False

    def _not_directories(self, workdir: Workdir) -> set[str] | None:
        if workdir.path not in self._not_dirs:
            try:
                self._not_dirs[workdir.path] = workdir.not_directories()
            except OSError as e:
                self._not_dirs[workdir.path] = None
                self._skip(workdir, StorageError(f"cannot list it: {e.strerror}"))
        return self._not_dirs[workdir.path]

    def _published(self, job_id: str, present: bool = True) -> None:
        """Keep this store's listings of the target as they are after publishing ``job_id``
        (a real directory now), or moving what held its name away. A listing not made yet
        is not made for it: when it is, it sees the disk."""
        listing = self._listings.get(self.target.path)
        if listing is not None:
            if present:
                listing.add(job_id)
            else:
                listing.discard(job_id)
        not_dirs = self._not_dirs.get(self.target.path)
        if not_dirs is not None:
            not_dirs.discard(job_id)

    def _listing(self, workdir: Workdir) -> set[str]:
        if workdir.path not in self._listings:
            try:
                self._listings[workdir.path] = workdir.job_ids()
            except OSError as e:
                self._skip(workdir, StorageError(f"cannot list it: {e.strerror}"))
        return self._listings[workdir.path]

    def recheck(self, job_hash: str, job_id: str) -> Recheck:
        """Whether the target has this job finished, intact and unchanged *now*: call it
        holding the job's lock, before building the job.

        Looks at the disk, not at this process's listing: another run may have published
        the job since. A finished directory without its row (a run died between publishing
        and recording) is recorded here and counts: the directory is the truth. Anything
        else under the job's name — a damaged directory, one whose files changed since it
        was built, a file, a link — is moved as it is into ``.failed/``, its row forgotten
        first: nothing is deleted, and the build that follows publishes in its place.
        """
        path = self.target.job_dir(job_id)
        if not os.path.lexists(path):
            return Recheck(None)  # a row alone is no finished job (and the usual answer)
        db = self.target_db()
        row = db.lookup([job_hash]).get(job_hash)
        actual = row_from_directory(path)
        if actual is None or actual.hash != job_hash:
            problem = ("its directory is damaged: "
                       f"{job_damage(path) or f'it holds another job ({job_id})'}")
        else:
            _, problem = self.checks.problem(path) or ("", "")
        subjobs: list[SubjobRow] = []
        if not problem and row is None:
            # A parent published by a run that died before recording its subjobs: recorded
            # with them, or it would be current whatever became of them.
            subjobs, missing = subjob_rows(job_hash, path, [w.path for w in self.workdirs])
            if missing:
                problem = (f"its subjob {missing[0]} is in no work directory (its result "
                           "may name it)")
        if not problem:
            assert actual is not None
            fresh = actual if row is None else actual._replace(created=row.created,
                                                               built_seq=row.built_seq)
            if subjobs:
                db.record_subjobs(subjobs)
            if fresh != row:
                db.record_job(fresh)  # a directory without its row: published now
                fresh = db.lookup([job_hash])[job_hash]
            self._published(job_id)
            return Recheck(Found(fresh.hash, fresh.id, fresh.method, path, fresh.created,
                                 fresh.built_seq))
        if row is not None:
            db.forget_jobs([job_hash])  # the row goes first: never a row without its job
        self._published(job_id, present=False)
        try:
            kept = self.target.keep_failed(path, job_id, damaged=True)
        except OSError as e:
            raise StorageError(f"{problem}, and it cannot be moved to {FAILED_DIR}/: "
                               f"{e.strerror}", where=str(path)) from None
        return Recheck(None, problem, kept)

    def record(self, row: JobRow, identity: tuple[str, str] | None = None,
               defer: bool = False, files: Any = None) -> None:
        """Index a job just published in the target (with its post.json's size and mtime),
        its (options key, identity view) when given, and the "files" of its post.json when
        given (the index `status` checks its files by: ``problems``).

        ``defer``: the row waits, with others, for one transaction (``flush``: at most
        ``FLUSH_ROWS`` rows or ``FLUSH_SECONDS``, and before this store reads or writes the
        target's database again). Until then the job is a finished directory without its
        row, as after a crash between publishing and recording: a run that meets it records
        it (``recheck``) and reuses it, and doctor indexes it.
        """
        self._published(row.id)
        if row.post_size is None:
            stat = post_stat(str(self.target.job_dir(row.id)))
            if stat is not None:
                row = row._replace(post_size=stat[0], post_mtime_ns=stat[1],
                                   post_ctime_ns=stat[2])
        if not self._pending:
            self._pending_since = time.monotonic()
        self._pending.append((row, identity, files))
        if not defer or len(self._pending) >= FLUSH_ROWS or self.flush_due() <= 0:
            self.flush()

    def flush_due(self) -> float:
        """Seconds until the rows ``record`` deferred are due (inf: there are none)."""
        if not self._pending:
            return float("inf")
        return self._pending_since + FLUSH_SECONDS - time.monotonic()

    def flush(self) -> None:
        """Write the rows ``record`` deferred, in one transaction."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        self.target_db().record_jobs(
            [row for row, _, _ in pending],
            [(row.hash, *ident) for row, ident, _ in pending if ident],
            [(row.hash, row.post_size, row.post_mtime_ns, row.post_ctime_ns, json.dumps(files))
             for row, _, files in pending if isinstance(files, dict)
             and row.post_size is not None and row.post_mtime_ns is not None
             and row.post_ctime_ns is not None])

    # -- subjobs: a parent is current only while each subjob would be the same job today ----
    def record_subjobs(self, rows: Iterable[SubjobRow]) -> None:
        self.target_db().record_subjobs(rows)

    def subjobs(self) -> dict[str, list[SubjobRow]]:
        """Every recorded subjob, by its parent's hash, from every work directory."""
        table: dict[str, list[SubjobRow]] = {}
        for _, rows in self._each_db(lambda db: db.subjobs()):
            for parent, subjobs in rows.items():
                table.setdefault(parent, subjobs)
        return table

    def changed_subjobs(self, parents: Mapping[str, Found],
                        code_of: Callable[[str], str | None]) -> dict[str, str]:
        """Among ``parents``, those with a recorded subjob (at any depth) that would be a
        different job today — its method's code changed, or the method is gone — or that
        was published after its parent (rebuilt in place since: the parent holds a result
        of its earlier build): hash -> why. Costs a query or two per work directory, no
        file read."""
        table = self.subjobs()
        if not table:
            return {}
        builds = {**self._rows({r.hash for rows in table.values() for r in rows}), **parents}

        def newer(sub: str, parent: str) -> bool:
            return (sub in builds and parent in builds
                    and self.built_after(builds[sub], builds[parent]))

        # A subjob whose directory is gone: its parent's result may name it (one listing
        # per work directory, kept by this store).
        present: set[str] = set().union(*(self._listing(w) for w in self.workdirs))
        changed = {}
        for parent in parents:
            why = _subjob_change(parent, table, code_of, set(), newer, present)
            if why is not None:
                changed[parent] = why
        return changed

    def _rows(self, hashes: set[str]) -> dict[str, Found]:
        """The jobs among ``hashes`` as the databases record them (their directories not
        looked at: for the order of publication only)."""
        rows: dict[str, Found] = {}
        for workdir, found in self._each_db(lambda db: db.lookup(hashes)):
            for h, row in found.items():
                rows.setdefault(h, Found(h, row.id, row.method, f"{workdir.path}/{row.id}",
                                         row.created, row.built_seq))
        return rows

    # -- declarations kept by code hash (the registry's cache; see acbuild.methods) -----------
    def cached_declarations(self, key: str) -> str | None:
        db = self._declarations_db()
        if db is None:
            return None
        try:
            return dbcaches.declarations(db, key)
        except StorageError:
            return None  # a cache: what cannot be read is read from the source again

    def keep_declarations(self, key: str, record: str) -> None:
        db = self._declarations_db()
        if db is not None:
            with contextlib.suppress(StorageError):  # a cache: not keeping it loses nothing
                dbcaches.keep_declarations(db, key, record)

    def _declarations_db(self) -> Database | None:
        """The target's database, if it exists: looking at methods makes no work directory."""
        if self.target.path not in self._dbs and not (self.target.path / DB_NAME).is_file():
            return None
        try:
            return self._db(self.target)
        except StorageError:
            return None  # what is wrong with it is said by the command that needs its jobs

    def jobs(self, method: str | None = None) -> list[Found]:
        """Every finished job (of ``method``), oldest first, across the work directories."""
        result: dict[str, Found] = {}
        for workdir, rows in self._each_db(lambda db: db.jobs(method)):
            listing = self._listing(workdir)
            for row in rows:
                if row.id in listing and row.hash not in result:
                    result[row.hash] = Found(row.hash, row.id, row.method,
                                             workdir.job_dir(row.id), row.created)
        return sorted(result.values(), key=lambda f: f.created)

    def last_used(self) -> dict[str, float]:
        """Job id → when a recorded run last built or reused it, in any work directory's runs."""
        used: dict[str, float] = {}
        for _, seen in self._each_db(dbruns.last_used):
            for job_id, when in seen.items():
                used[job_id] = max(when, used.get(job_id, when))
        return used

    def code_versions(self, method: str) -> list[CodeVersion]:
        """The code hashes the finished jobs of ``method`` were built from, newest first."""
        versions: dict[str, CodeVersion] = {}
        seen: set[str] = set()
        # Each work directory's jobs come oldest first: the last one is the latest.
        for workdir, rows in self._each_db(lambda db: db.jobs(method)):
            listing = self._listing(workdir)
            for row in rows:
                if row.id not in listing or row.hash in seen:
                    continue
                seen.add(row.hash)
                old = versions.get(row.code_hash)
                count = old.jobs + 1 if old else 1
                if old is not None and old.latest_created > row.created:
                    versions[row.code_hash] = CodeVersion(row.code_hash, count, old.latest_id,
                                                          old.latest_created)
                else:
                    versions[row.code_hash] = CodeVersion(row.code_hash, count, row.id,
                                                          row.created)
        return sorted(versions.values(), key=lambda v: v.latest_created, reverse=True)

    def previous_identities(self, method: str, limit: int
                            ) -> list[tuple[Found, str | None, Callable[[], str | None]]]:
        """The newest ``limit`` jobs of ``method``, newest first, across the work directories,
        each with its options key from the index (None for a job the index has none of:
        ``setup_of`` reads it; ``index_identities`` keeps it) and a function that reads its
        identity view (JSON; None if not indexed) from there: a reason compares a few."""
        seen: dict[str, tuple[Found, str | None, Callable[[], str | None]]] = {}
        for workdir, rows in self._each_db(lambda db: dbcaches.identity_keys(db, method, limit)):
            listing, root = self._listing(workdir), str(workdir.path)
            view_of = functools.partial(self._identity_view, workdir)
            for job_hash, job_id, created, key in rows:
                if job_id in listing and job_hash not in seen:
                    seen[job_hash] = (Found(job_hash, job_id, method, f"{root}/{job_id}",
                                            created), key,
                                      functools.partial(view_of, job_hash))
        return sorted(seen.values(), key=lambda e: e[0].created, reverse=True)[:limit]

    def identity_candidates(self, method: str, limit: int, key: str, newest: int
                            ) -> list[tuple[Found, str | None, Callable[[], str | None]]] | None:
        """Of ``previous_identities``, those a job whose options key is ``key`` is compared
        with (``plan.Peers.closest``): the ``newest`` newest, and those with that key or
        none in the index, in the same order. None where it cannot tell them so (jobs in
        source work directories too, a newest job's directory gone): the caller reads all."""
        if len(self.workdirs) != 1:
            return None
        workdir = self.workdirs[0]
        db = self._db(workdir)
        if db is None:
            return None
        try:
            first, like = dbcaches.identity_candidates(db, method, limit, key, newest)
        except StorageError:
            return None  # previous_identities says why
        listing, root = self._listing(workdir), str(workdir.path)
        if any(job_id not in listing for _, job_id, _, _ in first):
            return None
        view_of = functools.partial(self._identity_view, workdir)
        rows = {row[0]: row for row in [*first, *like] if row[1] in listing}
        return [(Found(job_hash, job_id, method, f"{root}/{job_id}", created), row_key,
                 functools.partial(view_of, job_hash))
                for job_hash, job_id, created, row_key in
                sorted(rows.values(), key=lambda r: r[2], reverse=True)]

    def _identity_view(self, workdir: Workdir, job_hash: str) -> str | None:
        db = self._db(workdir)
        try:
            return None if db is None else dbcaches.identity_view(db, job_hash)
        except StorageError:  # an index: the caller reads the job's setup.json instead
            return None

    def setup_of(self, job: Found) -> dict[str, Any]:
        """A finished job's setup.json, read once per command (a published one never changes)."""
        if job.path not in self._setups:
            self._setups[job.path] = read_setup(job.path)
        return self._setups[job.path]

    def index_identities(self, entries: Sequence[tuple[Found, str, str]]) -> None:
        """Keep (job, options key, view) in the index of the job's work directory, if that is
        the target (the sources are only read): the next reason reads them from there."""
        mine = [(job.hash, key, view) for job, key, view in entries
                if job.path.parent == self.target.path]
        if mine:
            with contextlib.suppress(StorageError):  # an index: not keeping it loses nothing
                dbcaches.keep_identities(self.target_db(), mine)


def _subjob_change(parent: str, table: dict[str, list[SubjobRow]],
                   code_of: Callable[[str], str | None], seen: set[str],
                   newer: Callable[[str, str], bool], present: set[str]) -> str | None:
    for row in table.get(parent, ()):
        if row.hash in seen:
            continue
        seen.add(row.hash)
        code = code_of(row.method)
        if code is None:
            return (f"subjob {row.id} would be a different job: its method {row.method!r} "
                    "no longer exists")
        if code != row.code:
            return (f"subjob {row.id} would be a different job: the code of its method "
                    f"{row.method!r} changed")
        if newer(row.hash, parent):
            return f"subjob {row.id} was rebuilt after this job was built"
        if row.id not in present:
            return f"subjob {row.id} was removed (its directory is gone)"
        deeper = _subjob_change(row.hash, table, code_of, seen, newer, present)
        if deeper is not None:
            return f"subjob {row.id} would be built again ({deeper})"
    return None


def _distinct(sources: Sequence[Path], target: Path) -> list[Path]:
    """The sources without the target and without repeats (a path named twice is one)."""
    seen = {os.path.realpath(target)}
    kept = []
    for source in sources:
        real = os.path.realpath(source)
        if real not in seen:
            seen.add(real)
            kept.append(source)
    return kept


def _root(location: str | Path) -> str:
    return os.path.dirname(location)


def _same(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _unusable(path: Path) -> str | None:
    """Why a source work directory cannot be read, or None when it can."""
    try:
        if not path.is_dir():
            return "does not exist" if not path.exists() else "is not a directory"
        if not os.access(path, os.R_OK | os.X_OK):
            return "cannot be read (permission denied)"
        if not (path / DB_NAME).is_file():
            return "has no database (acbuild.db)"
    except OSError as e:
        return f"cannot be read ({e.strerror})"
    return None
