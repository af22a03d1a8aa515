"""The schema of a work directory's SQLite index, versioned with ``PRAGMA user_version``:
the tables and indexes, the steps that bring an older database up to ``SCHEMA_VERSION``
(``upgrade``), and whether a database is of a newer acbuild (``newer_schema``).

It holds the SQL text only; ``db.Database`` runs it (``_check_schema``) and reads and
writes the rows.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from acbuild.dbconnect import connect_readonly

# 3: runs.pid and runs.lock; 4: jobs.post_size and jobs.post_mtime_ns; 5: declarations;
# 6: urd_entries (result lists), subjobs, identities, run_same, jobs.built_seq;
# 7: jobs.post_ctime_ns and job_files.post_ctime_ns.
SCHEMA_VERSION = 7
OLDEST_READABLE = 1  # a read-only database of version 1 is read as it is

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    hash TEXT PRIMARY KEY,
    id TEXT NOT NULL,
    method TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created REAL NOT NULL,
    post_size INTEGER,
    post_mtime_ns INTEGER,
    built_seq INTEGER,  -- version 6: the order jobs were published in (see JobRow)
    post_ctime_ns INTEGER  -- version 7: post.json's ctime (see JobRow)
);
CREATE INDEX IF NOT EXISTS jobs_by_method ON jobs (method, created);
CREATE INDEX IF NOT EXISTS jobs_by_id ON jobs (id);
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY AUTOINCREMENT,
    script TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL,
    status TEXT NOT NULL,
    built INTEGER NOT NULL DEFAULT 0,
    reused INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    pid INTEGER,  -- version 3: the process of the run, and the byte of the runs' lock
    lock INTEGER  -- file it holds while it lives (workdir.RUNS_LOCK)
);
-- One row per run, its jobs as "<state> <id>" lines in the order the run met them: one
-- insert per run, where a row per job made a no-op run of 10,000 jobs write 10,000 rows.
CREATE TABLE IF NOT EXISTS run_lists (
    run INTEGER PRIMARY KEY REFERENCES runs (run) ON DELETE CASCADE,
    jobs TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS file_stats (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL
);
-- version 6 (perf): each finished job's identity view (its setup.json's "identity", as
-- JSON) and the key of its options that a stale job's closest earlier job is looked up by
-- (``plan.options_key``), so that a reason reads a few rows, not 1,000 setup.json files.
-- An index of what setup.json says: a job without its row is read from there (and its
-- row written then); a row whose job is gone is never joined.
CREATE TABLE IF NOT EXISTS identities (
    hash TEXT PRIMARY KEY,
    options_key TEXT NOT NULL,
    view TEXT NOT NULL
);
-- version 6 (perf): a run whose job list is the one of the run before it keeps, instead of
-- a copy, the run that holds that list (a no-op run of 10,000 jobs wrote 270 KB each time).
-- same_as always holds a list itself: a reference is never to a reference.
CREATE TABLE IF NOT EXISTS run_same (
    run INTEGER PRIMARY KEY,
    same_as INTEGER NOT NULL
);
"""
# Version 1 kept a row per job of a run (run_jobs); version 2 packs them (run_lists).
_FROM_VERSION_1 = """
INSERT INTO run_lists (run, jobs)
    SELECT run, group_concat(state || ' ' || id, char(10))
    FROM (SELECT run, id, state FROM run_jobs ORDER BY run, rowid) GROUP BY run;
DROP TABLE run_jobs;
"""
# -- schema step 2 -> 3 (runs-disk): a run records its pid and the lock byte it holds while
# it lives, so that one whose process died is told from one still running.
_FROM_VERSION_2 = """
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN lock INTEGER;
"""
# -- schema step 3 -> 4 (reuse-integrity): each job's row keeps its post.json's size and mtime
# (NULL in older rows: such a job is checked once by reading its post.json, and its row
# completed). Added where the jobs table lacks them, whatever the version said.
_FROM_VERSION_3 = """
ALTER TABLE jobs ADD COLUMN post_size INTEGER;
ALTER TABLE jobs ADD COLUMN post_mtime_ns INTEGER;
"""
# -- schema step 4 -> 5 (plan-noimport: declarations read without importing methods):
# a method's evaluated declarations, by the key `acbuild.methods` makes of its code hash,
# so that planning reads them, or imports a method that it cannot read, once per change
# of its code. A cache: deleting rows loses nothing.
_DECLARATIONS = """
CREATE TABLE IF NOT EXISTS declarations (
    key TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    created REAL NOT NULL
);
"""

# -- schema step 5 -> 6 (urd): result lists. One row per version of an entry; a replaced or
# truncated entry, and one that read it, is kept as a ghost (``ghost``: why, NULL if live).
# ``record`` is JSON (caption, jobs, the entries it read); ``acbuild.urdlists`` owns it.
_URD = """
CREATE TABLE IF NOT EXISTS urd_entries (
    entry INTEGER PRIMARY KEY AUTOINCREMENT,
    list TEXT NOT NULL,
    ts TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    record TEXT NOT NULL,
    ghost TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS urd_by_list ON urd_entries (list, sort_key);
"""


# -- schema step 5 -> 6 (subjobs): the jobs each job built or reused through subjobs.build,
# with the code hash each was made of, so that planning finds a parent whose subjob would
# be a different job today without reading a file.
_SUBJOBS = """
CREATE TABLE IF NOT EXISTS subjobs (
    parent TEXT NOT NULL,
    hash TEXT NOT NULL,
    id TEXT NOT NULL,
    method TEXT NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (parent, hash)
);
"""
# -- (trust: rebuilt inputs) each job's row numbers its publication in this database, so that
# a job rebuilt in place under its id (forced, or a parent whose subjob changed) is seen to
# be newer than the jobs that read it. Added where the jobs table lacks it.
_BUILT_SEQ = """
ALTER TABLE jobs ADD COLUMN built_seq INTEGER;
"""
# -- schema step 6 -> 7 (trust: a post.json rewritten with its size and mtime put back, as
# `touch -r`, `cp -p` or a sync do): each row keeps post.json's ctime too, which no
# user-level call sets. Older rows have NULL there: such a job's post.json is read once
# and its row completed. The index of job files is only a cache: it is made anew.
_POST_CTIME = """
ALTER TABLE jobs ADD COLUMN post_ctime_ns INTEGER;
"""
_JOB_FILES_ANEW = """
DROP TABLE IF EXISTS job_files;
"""


# -- (noop: status reads no post.json) each finished job's files as its post.json lists them
# (``files``: that JSON object, as text), with the size and mtime of the post.json they were
# read from (version 7: and its ctime): `status` checks a job's files with a stat each, no
# read. An index of what post.json says: used only while its stat is the one its job's row
# holds (find has seen that post.json on the disk), else post.json is read again and the
# entry rewritten. Older databases lack it (added whatever the version says; an older
# acbuild ignores it).
_JOB_FILES = """
CREATE TABLE IF NOT EXISTS job_files (
    hash TEXT PRIMARY KEY,
    post_size INTEGER NOT NULL,
    post_mtime_ns INTEGER NOT NULL,
    post_ctime_ns INTEGER NOT NULL,
    files TEXT NOT NULL
);
"""


def newer_schema(path: Path) -> bool:
    """Whether ``path`` is a database a newer acbuild wrote (so not one to replace). Read
    as a source is: leaving no side file beside it."""
    try:
        conn = connect_readonly(path)
        try:
            return int(conn.execute("PRAGMA user_version").fetchone()[0]) > SCHEMA_VERSION
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def upgrade(version: int, job_columns: set[str], run_columns: set[str],
            job_files_columns: set[str]) -> str:
    """The SQL that brings a database of ``version`` (0: new) to ``SCHEMA_VERSION``, given
    the columns its jobs, runs and job_files tables have (none: the schema creates the
    table)."""
    steps = ((_JOB_FILES_ANEW if job_files_columns and "post_ctime_ns" not in job_files_columns
              else "")
             + _SCHEMA + (_FROM_VERSION_1 if version == 1 else ""))
    if run_columns and "pid" not in run_columns:
        steps += _FROM_VERSION_2
    if job_columns and "post_size" not in job_columns:
        steps += _FROM_VERSION_3
    if job_columns and "built_seq" not in job_columns:
        steps += _BUILT_SEQ
    if job_columns and "post_ctime_ns" not in job_columns:
        steps += _POST_CTIME
    # CREATE ... IF NOT EXISTS: harmless there; the index once the column exists.
    return (steps + _DECLARATIONS + _URD + _SUBJOBS + _JOB_FILES
            + "CREATE INDEX IF NOT EXISTS jobs_by_seq ON jobs (built_seq);")
