"""db: the declarations table (schema step 4 -> 5), and the upgrades that add it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from acbuild import db as dbmod
from acbuild import dbcaches, dbschema
from acbuild.db import Database, JobRow
from acbuild.store import JobStore


def test_declarations_are_kept_by_key(tmp_path: Path) -> None:
    with Database.open(tmp_path) as db:
        assert dbcaches.declarations(db, "k1") is None
        dbcaches.keep_declarations(db, "k1", '{"a": 1}')
        dbcaches.keep_declarations(db, "k1", '{"a": 2}')  # the same key again: replaced
        dbcaches.keep_declarations(db, "k2", "{}")
        assert (dbcaches.declarations(db, "k1"), dbcaches.declarations(db, "k2")) == ('{"a": 2}', "{}")


def test_version_4_gains_the_table_and_keeps_its_jobs(tmp_path: Path) -> None:
    row = JobRow("a" * 64, "m-aaaaaaaaaaaa", "m", "0" * 64, 1.0)
    with Database.open(tmp_path) as db:
        db.record_job(row)
    conn = sqlite3.connect(tmp_path / dbmod.DB_NAME)
    conn.executescript("DROP TABLE declarations; PRAGMA user_version = 4;")
    conn.close()
    with Database.open(tmp_path) as db:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == dbschema.SCHEMA_VERSION == 7
        assert db.lookup([row.hash]) == {row.hash: row._replace(built_seq=1)}
        dbcaches.keep_declarations(db, "k", "{}")
        assert dbcaches.declarations(db, "k") == "{}"


def test_the_store_keeps_them_only_where_a_work_directory_exists(tmp_path: Path) -> None:
    target = tmp_path / "workdirs" / "dev"
    store = JobStore(target)
    store.keep_declarations("k", "{}")
    assert store.cached_declarations("k") is None and not target.exists()  # made nothing
    store.target_db()
    store.keep_declarations("k", "{}")
    assert store.cached_declarations("k") == "{}"
    store.close()
