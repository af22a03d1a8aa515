"""db: find's plain rows (``locate``) and the index of each job's files (``job_files``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from acbuild import db as dbmod
from acbuild import dbschema
from acbuild.db import Database, JobRow


def rows(n: int) -> list[JobRow]:
    return [JobRow(f"{i:064x}", f"m-{i:012x}", "m", "0" * 64, float(i), 100 + i, 10**18 + i,
                   post_ctime_ns=2 * 10**18 + i) for i in range(n)]


def test_locate_gives_lookups_columns_by_index_and_by_scan(tmp_path: Path,
                                                            monkeypatch: Any) -> None:
    monkeypatch.setattr(dbmod, "CHUNK", 5)
    with Database.open(tmp_path) as db:
        db.record_jobs(rows(40))
        for wanted in ([r.hash for r in rows(3)] + ["f" * 64],  # by the index
                       [r.hash for r in rows(40)][::5],  # in batches
                       [r.hash for r in rows(40)] + ["f" * 64]):  # one scan
            expected = {h: (r.hash, r.id, r.method, r.created, r.post_size, r.post_mtime_ns,
                            r.post_ctime_ns, r.built_seq) for h, r in db.lookup(wanted).items()}
            assert {t[0]: t for t in db.locate(set(wanted))} == expected
        assert db.locate(set()) == []


def test_the_index_of_files_is_written_with_the_rows_and_forgotten_with_them(
        tmp_path: Path) -> None:
    with Database.open(tmp_path) as db:
        a, b = rows(2)
        db.record_jobs([a, b], files=[(a.hash, 100, 10**18, 7, '{"x": {"size": 1}}')])
        assert db.job_files() == {a.hash: ((100, 10**18, 7), '{"x": {"size": 1}}')}
        db.keep_job_files([(b.hash, 101, 5, 6, "{}")])
        assert db.job_files()[b.hash] == ((101, 5, 6), "{}")
        db.forget_jobs([a.hash])
        assert set(db.job_files()) == {b.hash}


def test_a_database_of_this_version_without_the_index_gains_it(tmp_path: Path) -> None:
    with Database.open(tmp_path) as db:
        db.record_jobs(rows(1))
    conn = sqlite3.connect(tmp_path / "acbuild.db")
    conn.execute("DROP TABLE job_files")
    conn.close()
    with Database.open(tmp_path, readonly=True) as db:  # read-only: no index, no error
        assert db.job_files() == {}
        db.keep_job_files([(rows(1)[0].hash, 1, 1, 1, "{}")])  # nothing to keep it in
        assert len(db.locate({rows(1)[0].hash})) == 1
    with Database.open(tmp_path) as db:  # a writer adds it, whatever the version says
        assert db.version == dbschema.SCHEMA_VERSION
        db.keep_job_files([(rows(1)[0].hash, 1, 1, 1, "{}")])
        assert db.job_files() == {rows(1)[0].hash: ((1, 1, 1), "{}")}


def test_locate_reads_an_older_read_only_database_as_lookup_does(tmp_path: Path) -> None:
    """A source of schema 3: no post.json stat, no order of publication (None, as JobRow)."""
    conn = sqlite3.connect(tmp_path / dbmod.DB_NAME)
    conn.executescript("""
        CREATE TABLE jobs (hash TEXT PRIMARY KEY, id TEXT NOT NULL, method TEXT NOT NULL,
                           code_hash TEXT NOT NULL, created REAL NOT NULL);
        INSERT INTO jobs VALUES ('aa', 'm-aa', 'm', 'c', 5.0);
        PRAGMA user_version = 3;
    """)
    conn.close()
    with Database.open(tmp_path, readonly=True) as db:
        assert db.locate({"aa", "bb"}) == [("aa", "m-aa", "m", 5.0, None, None, None, None)]
        assert db.job_files() == {}


def test_version_6_gains_post_json_ctime_and_makes_its_index_of_files_anew(
        tmp_path: Path) -> None:
    """Schema 6 -> 7: each row gains post.json's ctime, NULL in rows written before (such a
    post.json is read once, as one whose stat differs); the index of files, keyed by a stat
    without the ctime, is made anew (an index: losing it costs a read)."""
    conn = sqlite3.connect(tmp_path / dbmod.DB_NAME)
    conn.executescript("""
        CREATE TABLE jobs (hash TEXT PRIMARY KEY, id TEXT NOT NULL, method TEXT NOT NULL,
                           code_hash TEXT NOT NULL, created REAL NOT NULL, post_size INTEGER,
                           post_mtime_ns INTEGER, built_seq INTEGER);
        INSERT INTO jobs VALUES ('aa', 'm-aa', 'm', 'c', 5.0, 10, 20, 1);
        CREATE TABLE job_files (hash TEXT PRIMARY KEY, post_size INTEGER NOT NULL,
                                post_mtime_ns INTEGER NOT NULL, files TEXT NOT NULL);
        INSERT INTO job_files VALUES ('aa', 10, 20, '{}');
        PRAGMA user_version = 6;
    """)
    conn.close()
    with Database.open(tmp_path, readonly=True) as db:  # read as it is: no index of files
        assert db.locate({"aa"}) == [("aa", "m-aa", "m", 5.0, 10, 20, None, 1)]
        assert db.job_files() == {}
    with Database.open(tmp_path) as db:
        assert db.version == dbschema.SCHEMA_VERSION == 7
        assert db.locate({"aa"}) == [("aa", "m-aa", "m", 5.0, 10, 20, None, 1)]
        assert db.job_files() == {}
        db.record_jobs([JobRow("bb", "m-bb", "m", "c", 6.0, 1, 2, post_ctime_ns=3)],
                       files=[("bb", 1, 2, 3, "{}")])
        assert db.locate({"bb"}) == [("bb", "m-bb", "m", 6.0, 1, 2, 3, 2)]
        assert db.job_files() == {"bb": ((1, 2, 3), "{}")}
