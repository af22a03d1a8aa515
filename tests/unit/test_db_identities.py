"""db: the index of finished jobs' identities (schema 6), newest first, joined with jobs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from acbuild import db as dbmod
from acbuild import dbcaches, dbschema
from acbuild.db import Database, JobRow


def row(n: int, method: str = "m") -> JobRow:
    # numbered as published (record_jobs numbers a row without one)
    return JobRow(f"{n:064x}", f"{method}-{n:012x}", method, "c" * 64, float(n), built_seq=n)


def indexed(job: JobRow, key: str | None) -> tuple[str, str, float, str | None]:
    """What ``identity_keys`` gives of ``job``, indexed under ``key`` (None: not indexed)."""
    return (job.hash, job.id, job.created, key)


def identities(db: Database, method: str, limit: int
               ) -> list[tuple[tuple[str, str, float, str | None], str | None]]:
    """The newest ``limit`` jobs of ``method`` with their identity view, as a reason reads
    them: ``identity_keys``, then ``identity_view`` of each."""
    return [(entry, dbcaches.identity_view(db, entry[0])) for entry in dbcaches.identity_keys(db, method, limit)]


def test_identities_come_newest_first_with_none_for_a_job_not_indexed(tmp_path: Path) -> None:
    with Database.open(tmp_path) as db:
        db.record_jobs([row(1), row(2)], [(row(1).hash, "k1", '{"v": 1}')])
        db.record_jobs([row(3, "other")], [(row(3).hash, "k3", "{}")])
        assert identities(db, "m", 10) == [(indexed(row(2), None), None),
                                           (indexed(row(1), "k1"), '{"v": 1}')]
        assert identities(db, "m", 1) == [(indexed(row(2), None), None)]
        dbcaches.keep_identities(db, [(row(2).hash, "k2", "{}")])
        assert [entry[3] for entry, _ in identities(db, "m", 10)] == ["k2", "k1"]


def test_a_database_of_version_5_gains_the_index_and_an_older_read_only_one_works(
        tmp_path: Path) -> None:
    with Database.open(tmp_path) as db:
        db.record_jobs([row(1)])
    conn = sqlite3.connect(tmp_path / dbmod.DB_NAME)
    conn.execute("DROP TABLE identities")
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    with Database.open(tmp_path, readonly=True) as db:  # read as it is: no index, no error
        assert dbcaches.identity_keys(db, "m", 10) == [indexed(row(1), None)]
        dbcaches.keep_identities(db, [(row(1).hash, "k", "{}")])  # a read-only index keeps nothing
    with Database.open(tmp_path) as db:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == dbschema.SCHEMA_VERSION
        dbcaches.keep_identities(db, [(row(1).hash, "k", "{}")])
        assert identities(db, "m", 10) == [(indexed(row(1), "k"), "{}")]
