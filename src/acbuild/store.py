"""The finished jobs a project can see, and the digests of its input files.

Combines the work directories (the truth) with their databases (the index):
a job counts as finished only when its row exists in a work directory's
database and its directory is published there. New jobs go to the target
work directory; the others are only read. Input-file digests go through the
stat cache in the target's database.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acbuild import hashing
from acbuild.db import Database, FileStat, JobRow
from acbuild.errors import StorageError
from acbuild.workdir import Workdir, read_setup


@dataclass(frozen=True)
class Found:
    """A finished job: where it is."""

    hash: str
    id: str
    method: str
    path: Path
    created: float


class JobStore:
    """The target work directory (read-write) and the source ones (read-only)."""

    def __init__(self, target: Path, sources: Sequence[Path] = ()):
        self.target = Workdir(target)
        self.sources = [Workdir(s, writable=False) for s in sources]
        self.warnings: list[str] = []
        self._dbs: dict[Path, Database | None] = {}
        self._listings: dict[Path, set[str]] = {}

    @property
    def workdirs(self) -> list[Workdir]:
        return [self.target, *self.sources]

    def target_db(self) -> Database:
        db = self._db(self.target)
        assert db is not None
        return db

    def _db(self, workdir: Workdir) -> Database | None:
        if workdir.path not in self._dbs:
            self._dbs[workdir.path] = self._open(workdir)
        return self._dbs[workdir.path]

    def _open(self, workdir: Workdir) -> Database | None:
        if workdir.writable:
            workdir.ensure()
            return Database.open(workdir.path)
        if not (workdir.path / "acbuild.db").exists():
            self.warnings.append(f"source work directory {workdir.path} has no database; "
                                 "its jobs are not reused")
            return None
        try:
            return Database.open(workdir.path, readonly=True)
        except StorageError as e:
            self.warnings.append(f"source work directory skipped: {e}")
            return None

    def close(self) -> None:
        for db in self._dbs.values():
            if db is not None:
                db.close()
        self._dbs.clear()

    def find(self, hashes: Iterable[str]) -> dict[str, Found]:
        """The finished jobs among ``hashes``: one query and one listing per work directory."""
        remaining = set(hashes)
        found: dict[str, Found] = {}
        for workdir in self.workdirs:
            if not remaining:
                break
            db = self._db(workdir)
            if db is None:
                continue
            rows = db.lookup(remaining)
            if not rows:
                continue
            listing = self._listing(workdir)
            for h, row in rows.items():
                if row.id in listing:
                    found[h] = Found(h, row.id, row.method, workdir.job_dir(row.id), row.created)
                    remaining.discard(h)
        return found

    def removed(self, hashes: Iterable[str]) -> dict[str, Path]:
        """Among ``hashes``, jobs the databases know whose directory is gone: hash -> path."""
        gone: dict[str, Path] = {}
        hashes = list(hashes)
        for workdir in self.workdirs:
            db = self._db(workdir)
            if db is None:
                continue
            listing = self._listing(workdir)
            for h, row in db.lookup(hashes).items():
                if row.id not in listing:
                    gone.setdefault(h, workdir.job_dir(row.id))
        return gone

    def failed(self) -> dict[str, Path]:
        """Job id -> its newest kept directory under ``.failed/``, across the work dirs."""
        kept: dict[str, Path] = {}
        for workdir in self.workdirs:
            for path in workdir.failed_dirs():  # oldest first: the newest wins
                kept[path.name.split(".")[0]] = path
        return kept

    def _listing(self, workdir: Workdir) -> set[str]:
        if workdir.path not in self._listings:
            self._listings[workdir.path] = workdir.job_ids()
        return self._listings[workdir.path]

    def record(self, row: JobRow) -> None:
        self._listing(self.target).add(row.id)
        self.target_db().record_job(row)

    def jobs(self, method: str | None = None) -> list[Found]:
        """Every finished job (of ``method``), oldest first, across the work directories."""
        result: dict[str, Found] = {}
        for workdir in self.workdirs:
            db = self._db(workdir)
            if db is None:
                continue
            listing = self._listing(workdir)
            for row in db.jobs(method):
                if row.id in listing and row.hash not in result:
                    result[row.hash] = Found(row.hash, row.id, row.method,
                                             workdir.job_dir(row.id), row.created)
        return sorted(result.values(), key=lambda f: f.created)

    def previous_setups(self, method: str, limit: int = 50) -> list[tuple[Found, dict[str, Any]]]:
        """The newest jobs of ``method`` with their setup.json, newest first."""
        found = []
        for job in reversed(self.jobs(method)[-limit:]):
            try:
                found.append((job, read_setup(job.path)))
            except StorageError:
                continue
        return found

    def file_digest(self, path: Path) -> str:
        """blake3 of a file (or directory); a file unchanged since last time is not read."""
        if path.is_dir():
            return hashing.hash_tree(path)
        st = os.stat(path)
        stat = FileStat(st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
        db = self.target_db()
        key = str(path)
        cached = db.cached_digest(key, stat)
        if cached is not None:
            return cached
        digest = hashing.hash_file(path)
        # A file changed in the same clock tick it was hashed could keep its stat: do not
        # trust a stat that is this fresh.
        if time.time_ns() - st.st_mtime_ns > 2_000_000_000:
            db.store_digest(key, stat, digest)
        return digest
