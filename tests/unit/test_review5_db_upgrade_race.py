"""review5: two acbuild processes that open a database of schema 6 at once (a run and the
board, two CI jobs, just after acbuild was upgraded): the one that waited for the other's
upgrade must take the database as it then is, not run the upgrade again (ALTER TABLE ...
ADD COLUMN twice: "duplicate column name", reported as a database to rebuild)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from acbuild import db as dbmod
from acbuild.db import Database

_V6 = """
    CREATE TABLE jobs (hash TEXT PRIMARY KEY, id TEXT NOT NULL, method TEXT NOT NULL,
                       code_hash TEXT NOT NULL, created REAL NOT NULL, post_size INTEGER,
                       post_mtime_ns INTEGER, built_seq INTEGER);
    INSERT INTO jobs VALUES ('aa', 'm-aa', 'm', 'c', 5.0, 10, 20, 1);
    CREATE TABLE runs (run INTEGER PRIMARY KEY AUTOINCREMENT, script TEXT NOT NULL,
                       started REAL NOT NULL, ended REAL, status TEXT NOT NULL,
                       built INTEGER NOT NULL DEFAULT 0, reused INTEGER NOT NULL DEFAULT 0,
                       failed INTEGER NOT NULL DEFAULT 0, pid INTEGER, lock INTEGER);
    PRAGMA user_version = 6;
    PRAGMA journal_mode = WAL;
"""


def test_an_upgrade_made_meanwhile_by_another_process_is_taken(tmp_path: Path) -> None:
    path = tmp_path / dbmod.DB_NAME
    other = sqlite3.connect(path, isolation_level=None)
    other.executescript(_V6)
    other.execute("BEGIN IMMEDIATE")  # the other process, upgrading (holds the write lock)
    opened: list[object] = []

    def open_it() -> None:
        try:
            with Database.open(tmp_path) as db:
                opened.append(db.locate({"aa"}))
        except Exception as e:  # what the command would have reported
            opened.append(e)

    thread = threading.Thread(target=open_it)
    thread.start()
    time.sleep(1.0)  # it reads version 6 and waits for the lock (a later start: no race)
    other.execute("ALTER TABLE jobs ADD COLUMN post_ctime_ns INTEGER")
    other.execute("PRAGMA user_version = 7")
    other.execute("COMMIT")
    thread.join(60)
    other.close()
    assert opened == [[("aa", "m-aa", "m", 5.0, 10, 20, None, 1)]]
