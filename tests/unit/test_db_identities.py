"""db: the index of finished jobs' identities (schema 6), newest first, joined with jobs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from acbuild import db as dbmod
from acbuild import dbschema
from acbuild.db import Database, JobRow


def row(n: int, method: str = "m") -> JobRow:
    # numbered as published (record_jobs numbers a row without one)
    return JobRow(f"{n:064x}", f"{method}-{n:012x}", method, "c" * 64, float(n), built_seq=n)


def test_identities_come_newest_first_with_none_for_a_job_not_indexed(tmp_path: Path) -> None:
    with Database.open(tmp_path) as db:
        db.record_jobs([row(1), row(2)], [(row(1).hash, "k1", '{"v": 1}')])
        db.record_jobs([row(3, "other")], [(row(3).hash, "k3", "{}")])
        assert db.identities("m", 10) == [(row(2), None, None), (row(1), "k1", '{"v": 1}')]
        assert db.identities("m", 1) == [(row(2), None, None)]
        db.keep_identities([(row(2).hash, "k2", "{}")])
        assert [k for _, k, _ in db.identities("m", 10)] == ["k2", "k1"]


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
        assert db.identities("m", 10) == [(row(1), None, None)]
        db.keep_identities([(row(1).hash, "k", "{}")])  # a read-only index keeps nothing
    with Database.open(tmp_path) as db:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == dbschema.SCHEMA_VERSION
        db.keep_identities([(row(1).hash, "k", "{}")])
        assert db.identities("m", 10) == [(row(1), "k", "{}")]
