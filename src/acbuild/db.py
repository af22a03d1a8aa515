"""The SQLite index of a work directory: the ``Database`` (the one object that holds the
connection) and its index of finished jobs (their rows, subjobs and files).

The other tables' SQL is in functions taking a ``Database``: ``dbruns`` (the run
history), ``dbcaches`` (identities, declarations, the stat cache) and ``dburd`` (result
lists). With ``dbschema`` (tables, versions, upgrade steps) and ``dbconnect``
(connections, transactions, errors), the only modules that import ``sqlite3``. The job
directories are the truth; this is an index of them that ``acbuild doctor`` can rebuild.
A row is written only after its directory was published, so a row never points at a job
that was not finished; it keeps the size and mtime of the job's post.json, so that a
rewritten post.json is noticed without reading it. The schema is versioned with
``PRAGMA user_version``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from acbuild.dbconnect import Transaction, connect_readonly, disk_full
from acbuild.dbschema import OLDEST_READABLE, SCHEMA_VERSION, upgrade
from acbuild.errors import DiskFull, StorageError

DB_NAME = "acbuild.db"
INT_MAX = 2**63 - 1  # SQLite's largest integer
CHUNK = 500  # stay well under SQLite's bound-parameter limit
# A lookup of N hashes reads the whole table instead when N * this >= its rows: a scan
# costs about a quarter of a lookup per row.
_SCAN_RATIO = 4
_JOB_MARKS = "?, ?, ?, ?, ?, ?, ?, ?, ?"  # one per column of jobs


class SubjobRow(NamedTuple):
    """One subjob of a parent job (by the parent's hash)."""

    parent: str
    hash: str
    id: str
    method: str
    code: str


class JobRow(NamedTuple):
    """A finished job's row (a named tuple: a lookup makes thousands of them)."""

    hash: str
    id: str
    method: str
    code_hash: str
    created: float
    # post.json's size and mtime when the row was written (None in rows of schema < 3):
    # a post.json with another is not the one recorded.
    post_size: int | None = None
    post_mtime_ns: int | None = None
    # The order of publication in this database (1, 2, ...; None in rows of an acbuild
    # before it): a reader built before its input was rebuilt has the smaller number.
    built_seq: int | None = None
    # post.json's ctime when the row was written (None in rows of schema < 7): unlike its
    # mtime, no user-level call sets it, so a post.json rewritten with its size and mtime
    # put back is not the one recorded either.
    post_ctime_ns: int | None = None


class Database:
    """One work directory's index. Open with ``Database.open``; use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path, readonly: bool):
        self.conn = conn
        self.path = path
        self.readonly = readonly
        self.version = SCHEMA_VERSION  # what _check_schema finds
        self._job_files: bool | None = None  # whether the job_files table is there

    @classmethod
    def open(cls, workdir: Path, readonly: bool = False) -> Database:
        path = workdir / DB_NAME
        try:
            if readonly:
                conn = connect_readonly(path)
            else:
                conn = sqlite3.connect(path, timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                # WAL + NORMAL: a commit survives a crash of the process; an OS crash may lose
                # the newest rows, which doctor rebuilds from the job directories.
                conn.execute("PRAGMA synchronous=NORMAL")
            db = cls(conn, path, readonly)
            db._check_schema()
        except sqlite3.DatabaseError as e:
            if disk_full(e, path):
                raise DiskFull(str(path.parent), f"opening the database: {e}") from None
            raise StorageError(
                f"cannot use the database: {e}", where=str(path),
                hint="`acbuild doctor --rebuild` rebuilds it from the job directories",
            ) from None
        return db

    def _check_schema(self, again: bool = False) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"database schema version {version} is newer than this acbuild "
                f"understands ({SCHEMA_VERSION})", where=str(self.path),
                hint="upgrade acbuild",
            )
        if version < OLDEST_READABLE and self.readonly:
            # Read-only, the schema cannot be created: a source that no acbuild ever wrote.
            raise StorageError(f"database schema version {version} is older than this acbuild "
                               f"reads ({OLDEST_READABLE})", where=str(self.path),
                               hint="run acbuild once with it as the target work directory")
        columns = set() if self.readonly else {
            r[1] for r in self.conn.execute("PRAGMA table_info(jobs)")}
        if not self.readonly and (version < SCHEMA_VERSION
                                  or (columns and not {"built_seq", "post_ctime_ns"} <= columns)
                                  or not self._has_job_files()):
            run_columns = {r[1] for r in self.conn.execute("PRAGMA table_info(runs)")}
            files_columns = {r[1] for r in self.conn.execute("PRAGMA table_info(job_files)")}
            # executescript commits first, so the transaction is part of the script itself.
            try:
                self.conn.executescript(
                    f"BEGIN IMMEDIATE; {upgrade(version, columns, run_columns, files_columns)} "
                    f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                )
            except sqlite3.OperationalError:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if again:
                    raise
                # Another process upgraded it while this one waited for the lock (the
                # steps read above are done): read what it is now, once.
                return self._check_schema(again=True)
            self._job_files = True
        self.version = version if self.readonly else SCHEMA_VERSION

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self) -> Transaction:
        return Transaction(self.conn, self.path)

    # -- jobs -------------------------------------------------------------------------------
    def lookup(self, hashes: Iterable[str]) -> dict[str, JobRow]:
        """The finished jobs among ``hashes``, in batches: one query per 500 hashes, or one
        scan of the table when the hashes are a good part of it (a script's no-op run)."""
        found: dict[str, JobRow] = {}
        keep = set(hashes)
        if not keep:
            return found
        if len(keep) > CHUNK and len(keep) * _SCAN_RATIO >= self._rows():
            for row in self.query("SELECT * FROM jobs"):
                if row[0] in keep:
                    found[row[0]] = JobRow(*row)  # not _make: rows of schema < 3 are shorter
            return found
        wanted = sorted(keep)  # in index order: each page of the index is read once
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in self.query(f"SELECT * FROM jobs WHERE hash IN ({marks})", chunk):
                found[row[0]] = JobRow(*row)
        return found

    def locate(self, hashes: set[str]) -> list[tuple[Any, ...]]:
        """(hash, id, method, created, post_size, post_mtime_ns, post_ctime_ns, built_seq)
        of the finished jobs among ``hashes``: ``lookup``'s rows as plain tuples of the
        columns ``find`` reads (a no-op run reads 10,000: a JobRow each cost more than the
        query)."""
        if self.version < 7:  # a read-only older database: its columns vary
            return [(r.hash, r.id, r.method, r.created, r.post_size, r.post_mtime_ns,
                     r.post_ctime_ns, r.built_seq) for r in self.lookup(hashes).values()]
        columns = ("SELECT hash, id, method, created, post_size, post_mtime_ns, post_ctime_ns,"
                   " built_seq FROM jobs")
        if len(hashes) > CHUNK and len(hashes) * _SCAN_RATIO >= self._rows():
            return [row for row in self.query(columns) if row[0] in hashes]
        wanted = sorted(hashes)  # in index order: each page of the index is read once
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            found.extend(self.query(f"{columns} WHERE hash IN ({','.join('?' * len(chunk))})",
                                    chunk))
        return found

    def _rows(self) -> int:
        """About how many rows ``jobs`` has (at least as many), without counting them."""
        return int(next(self.query("SELECT max(rowid) FROM jobs"))[0] or 0)

    def record_job(self, row: JobRow) -> None:
        self.record_jobs([row])

    def record_jobs(self, rows: Iterable[JobRow],
                    identities: Iterable[tuple[str, str, str]] = (),
                    files: Iterable[tuple[str, int, int, int, str]] = ()) -> None:
        """Write (or overwrite) rows, their (hash, options key, view) and the index of their
        files (``keep_job_files``), in one transaction. A row without ``built_seq`` (just
        published) gets the next number, in the given order; a row that has one (refreshed)
        keeps it."""
        with self.transaction():
            rows = list(rows)
            if any(r.built_seq is None for r in rows):
                last = int(self.conn.execute("SELECT max(built_seq) FROM jobs").fetchone()[0]
                           or 0)
                numbered = []
                for r in rows:
                    if r.built_seq is None:
                        last += 1
                        r = r._replace(built_seq=last)
                    numbered.append(r)
                rows = numbered
            self.conn.executemany(f"INSERT OR REPLACE INTO jobs VALUES ({_JOB_MARKS})",
                                  [tuple(r) for r in rows])
            self.conn.executemany("INSERT OR REPLACE INTO identities VALUES (?, ?, ?)",
                                  list(identities))
            files = list(files)
            if files and self._has_job_files():
                self.conn.executemany("INSERT OR REPLACE INTO job_files VALUES (?, ?, ?, ?, ?)",
                                      files)

    def has_table(self, name: str) -> bool:
        """Whether a table of schema 6 is there (a read-only older database lacks it)."""
        if self.version >= 6:
            return True
        return bool(list(self.query(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))))

    def forget_jobs(self, hashes: Iterable[str]) -> None:
        pairs = [(h,) for h in hashes]
        with self.transaction():
            self.conn.executemany("DELETE FROM jobs WHERE hash = ?", pairs)
            if self.version >= 6:  # a job forgotten takes its record of subjobs with it
                self.conn.executemany("DELETE FROM subjobs WHERE parent = ?", pairs)
            if self._has_job_files():
                self.conn.executemany("DELETE FROM job_files WHERE hash = ?", pairs)

    # -- the index of each job's files (``_JOB_FILES``) ------------------------------------
    def _has_job_files(self) -> bool:
        if self._job_files is None:
            self._job_files = bool(self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'job_files'"
            ).fetchall())
        return self._job_files

    def job_files(self) -> dict[str, tuple[tuple[int, int, int], str]]:
        """Job hash -> ((size, mtime_ns, ctime_ns), "files" as JSON) of the post.json each
        entry was read from; none in a database without the index (or of a version before
        7, whose entries lack the ctime). (An entry whose stat is not the one of the job's
        post.json now is not to be used: the caller compares them.)"""
        if self.version < 7 or not self._has_job_files():
            return {}
        return {h: ((size, mtime_ns, ctime_ns), files)
                for h, size, mtime_ns, ctime_ns, files in self.query(
                    "SELECT hash, post_size, post_mtime_ns, post_ctime_ns, files FROM job_files")}

    def keep_job_files(self, entries: Iterable[tuple[str, int, int, int, str]]) -> None:
        """Index (hash, post.json's size, mtime and ctime, its "files" as JSON) of jobs."""
        if self.readonly or not self._has_job_files():
            return
        with self.transaction():
            self.conn.executemany("INSERT OR REPLACE INTO job_files VALUES (?, ?, ?, ?, ?)",
                                  list(entries))

    def record_subjobs(self, rows: Iterable[SubjobRow]) -> None:
        with self.transaction():
            self.conn.executemany("INSERT OR REPLACE INTO subjobs VALUES (?, ?, ?, ?, ?)",
                                  [tuple(r) for r in rows])

    def replace_subjobs(self, rows: Iterable[SubjobRow]) -> None:
        """The whole record of subjobs at once (``acbuild doctor --rebuild``)."""
        with self.transaction():
            self.conn.execute("DELETE FROM subjobs")
            self.conn.executemany("INSERT OR REPLACE INTO subjobs VALUES (?, ?, ?, ?, ?)",
                                  [tuple(r) for r in rows])

    def subjobs(self) -> dict[str, list[SubjobRow]]:
        """Every job's subjobs, by the parent's hash (few: only jobs that built subjobs)."""
        if self.version < 6:
            return {}
        found: dict[str, list[SubjobRow]] = {}
        for row in self.query("SELECT * FROM subjobs ORDER BY parent, id"):
            found.setdefault(row[0], []).append(SubjobRow(*row))
        return found

    def replace_jobs(self, rows: Iterable[JobRow]) -> None:
        """The whole index at once, in one transaction (``acbuild doctor --rebuild``)."""
        with self.transaction():
            self.conn.execute("DELETE FROM jobs")
            self.conn.executemany(f"INSERT OR REPLACE INTO jobs VALUES ({_JOB_MARKS})",
                                  [tuple(r) for r in rows])

    def integrity_problems(self) -> list[str]:
        """What SQLite's own check finds wrong in the file; [] when it is sound."""
        found = [str(r[0]) for r in self.query("PRAGMA quick_check")]
        return [] if found == ["ok"] else found

    def jobs(self, method: str | None = None) -> list[JobRow]:
        if method is None:
            rows = self.query("SELECT * FROM jobs ORDER BY created")
        else:
            rows = self.query("SELECT * FROM jobs WHERE method = ? ORDER BY created", (method,))
        return [JobRow(*r) for r in rows]

    def query(self, sql: str, params: Iterable[object] = ()) -> Iterator[tuple[Any, ...]]:
        """The rows of a read, a failure as a typed error (the table modules read with it)."""
        try:
            return iter(self.conn.execute(sql, tuple(params)).fetchall())
        except sqlite3.DatabaseError as e:
            if disk_full(e, self.path):
                raise DiskFull(str(self.path.parent), f"reading the database: {e}") from None
            raise StorageError(f"database query failed: {e}", where=str(self.path)) from None
