"""db: batched lookups (index or scan), run lists, and the upgrade from schema version 1."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from acbuild import db as dbmod
from acbuild import dbruns, dbschema
from acbuild.db import Database, JobRow

V1_RUN_JOBS = """
CREATE TABLE runs (run INTEGER PRIMARY KEY AUTOINCREMENT, script TEXT NOT NULL,
    started REAL NOT NULL, ended REAL, status TEXT NOT NULL, built INTEGER NOT NULL DEFAULT 0,
    reused INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE run_jobs (run INTEGER NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (run, id));
INSERT INTO runs (script, started, status) VALUES ('build.py', 10.0, 'ok');
INSERT INTO runs (script, started, status) VALUES ('build.py', 20.0, 'ok');
INSERT INTO run_jobs VALUES (1, 'b-2', 'built');
INSERT INTO run_jobs VALUES (1, 'a-1', 'built');
INSERT INTO run_jobs VALUES (2, 'b-2', 'reused');
INSERT INTO run_jobs VALUES (2, 'c-3', 'failed');
PRAGMA user_version = 1;
"""


def rows(n: int) -> list[JobRow]:
    return [JobRow(f"{i:064x}", f"m-{i:012x}", "m", "0" * 64, float(i)) for i in range(n)]


def numbered(n: int) -> list[JobRow]:
    """``rows(n)`` as a database numbers them when they are published."""
    return [r._replace(built_seq=i + 1) for i, r in enumerate(rows(n))]


def test_lookup_by_index_and_by_scan_agree(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(dbmod, "CHUNK", 5)  # batches of 5; a scan for more than 5 hashes
    with Database.open(tmp_path) as db:
        db.record_jobs(rows(40))
        few = [r.hash for r in numbered(40)[:3]] + ["f" * 64]  # a few: looked up in the index
        many = [r.hash for r in numbered(40)] + ["f" * 64]  # most of the table: one scan
        some = [r.hash for r in numbered(40)[::5]]  # 8 of 40: two batches, no scan
        assert db.lookup(few) == {r.hash: r for r in numbered(3)}
        assert db.lookup(many) == {r.hash: r for r in numbered(40)}
        assert db.lookup(some) == {r.hash: r for r in numbered(40)[::5]}
        assert db.lookup([]) == {}


def test_a_run_lists_its_jobs_once_in_order(tmp_path: Path) -> None:
    with Database.open(tmp_path) as db:
        first = dbruns.begin_run(db, "build.py")
        dbruns.finish_run(db, first, "ok", [("b-2", "built"), ("a-1", "reused"), ("b-2", "reused")])
        second = dbruns.begin_run(db, "build.py")
        dbruns.finish_run(db, second, "failed", [("a-1", "reused"), ("c-3", "failed")])
        empty = dbruns.begin_run(db, "build.py")
        dbruns.finish_run(db, empty, "ok", [])
        assert dbruns.run_jobs(db, first) == [("b-2", "reused"), ("a-1", "reused")]
        assert dbruns.run_jobs(db, empty) == []
        started = {r.run: r.started for r in dbruns.runs(db)}
        assert dbruns.last_used(db) == {"b-2": started[first], "a-1": started[second]}
        assert (dbruns.runs(db)[-1].built, dbruns.runs(db)[-1].reused) == (0, 2)


def test_version_1_is_upgraded_in_place(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / dbmod.DB_NAME)
    conn.executescript(V1_RUN_JOBS)
    conn.close()
    with Database.open(tmp_path, readonly=True) as old:  # read-only: read as it is
        assert dbruns.run_jobs(old, 1) == [("b-2", "built"), ("a-1", "built")]
        assert dbruns.last_used(old) == {"b-2": 20.0, "a-1": 10.0}
    with Database.open(tmp_path) as db:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == dbschema.SCHEMA_VERSION
        assert dbruns.run_jobs(db, 1) == [("b-2", "built"), ("a-1", "built")]
        assert dbruns.run_jobs(db, 2) == [("b-2", "reused"), ("c-3", "failed")]
        assert dbruns.last_used(db) == {"b-2": 20.0, "a-1": 10.0}
        tables = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master")}
        assert "run_jobs" not in tables and "jobs" in tables


def test_version_2_is_upgraded_to_runs_with_their_process(tmp_path: Path) -> None:
    """Schema step 2 -> 3: runs gain pid and lock; the runs before it have neither."""
    conn = sqlite3.connect(tmp_path / dbmod.DB_NAME)
    conn.executescript(V1_RUN_JOBS)
    conn.close()
    with Database.open(tmp_path):  # to version 2 and on, in one step
        pass
    conn = sqlite3.connect(tmp_path / dbmod.DB_NAME)
    conn.execute("ALTER TABLE runs DROP COLUMN pid")
    conn.execute("ALTER TABLE runs DROP COLUMN lock")
    conn.execute("PRAGMA user_version = 2")
    conn.close()
    with Database.open(tmp_path, readonly=True) as old:  # read-only: read as it is
        assert [(r.run, r.pid, r.lock) for r in dbruns.runs(old)] == [(2, None, None), (1, None, None)]
    with Database.open(tmp_path) as db:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == dbschema.SCHEMA_VERSION
        assert [(r.run, r.status, r.pid) for r in dbruns.runs(db)] == [(2, "ok", None), (1, "ok", None)]
        new = dbruns.begin_run(db, "build.py", pid=4321, lock=2**61 + 7)
        row = dbruns.run(db, new)
        assert row is not None and (row.status, row.pid, row.lock) == ("running", 4321, 2**61 + 7)


V2_JOBS = """
CREATE TABLE jobs (hash TEXT PRIMARY KEY, id TEXT NOT NULL, method TEXT NOT NULL,
    code_hash TEXT NOT NULL, created REAL NOT NULL);
INSERT INTO jobs VALUES ('aa', 'm-aa', 'm', 'c', 1.0);
PRAGMA user_version = 2;
"""


def test_older_rows_gain_post_stat_columns_left_empty(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / dbmod.DB_NAME)
    conn.executescript(V2_JOBS)
    conn.close()
    with Database.open(tmp_path, readonly=True) as old:  # read-only: read as it is
        assert old.lookup(["aa"]) == {"aa": JobRow("aa", "m-aa", "m", "c", 1.0)}
        assert old.jobs() == [JobRow("aa", "m-aa", "m", "c", 1.0)]
    with Database.open(tmp_path) as db:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == dbschema.SCHEMA_VERSION
        assert db.lookup(["aa"])["aa"].post_size is None
        db.record_job(JobRow("bb", "m-bb", "m", "c", 2.0, 120, 10**18))
        assert db.lookup(["bb"])["bb"][5:7] == (120, 10**18)
        db.replace_jobs(db.jobs())
        assert [r.id for r in db.jobs()] == ["m-aa", "m-bb"]


def test_a_published_row_gets_the_next_number_and_a_rewritten_one_keeps_its_own(
        tmp_path: Path) -> None:
    with Database.open(tmp_path) as db:
        for row in rows(3):
            db.record_job(row)
        assert [r.built_seq for r in db.jobs()] == [1, 2, 3]
        first = db.jobs()[0]
        db.record_job(first._replace(post_size=7))  # refreshed: the same build
        assert db.lookup([first.hash])[first.hash].built_seq == 1
        db.forget_jobs([first.hash])
        db.record_job(rows(1)[0])  # rebuilt in place: published again, after the others
        assert db.lookup([first.hash])[first.hash].built_seq == 4


def test_a_database_of_this_version_without_the_order_gains_it(tmp_path: Path) -> None:
    with Database.open(tmp_path) as db:
        db.record_job(rows(1)[0])
    conn = sqlite3.connect(tmp_path / dbmod.DB_NAME)
    conn.executescript("DROP INDEX jobs_by_seq; ALTER TABLE jobs DROP COLUMN built_seq;")
    conn.close()
    with Database.open(tmp_path, readonly=True) as old:  # read as it is
        assert old.lookup([rows(1)[0].hash])[rows(1)[0].hash].built_seq is None
    with Database.open(tmp_path) as db:
        assert db.lookup([rows(1)[0].hash])[rows(1)[0].hash].built_seq is None
        db.record_job(rows(2)[1])
        assert db.lookup([rows(2)[1].hash])[rows(2)[1].hash].built_seq == 1


def test_a_newer_database_is_told_without_a_side_file_left_beside_it(tmp_path: Path) -> None:
    """doctor asks whether a database it cannot open is a newer acbuild's (not to replace):
    the look leaves the work directory as it was, as reading a source does."""
    path = tmp_path / dbmod.DB_NAME
    conn = sqlite3.connect(path)
    conn.executescript(f"PRAGMA journal_mode=WAL; CREATE TABLE t (x); "
                       f"PRAGMA user_version = {dbschema.SCHEMA_VERSION + 1};")
    conn.close()
    before = sorted(p.name for p in tmp_path.iterdir())
    assert dbschema.newer_schema(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before == [dbmod.DB_NAME]
    path.write_bytes(b"not a database")
    assert not dbschema.newer_schema(path)
