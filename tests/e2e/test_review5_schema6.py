"""review5: a work directory whose database is of schema 6 (rows without post.json's ctime,
an index of job files without it) is reused as it is, as the target (upgraded, its rows
completed) and as a read-only source (never written), and a post.json put back with its
size and mtime is still caught after the upgrade."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from conftest import Project

sys.path.insert(0, str(Path(__file__).parent))
from test_workdirs import pipeline  # noqa: E402


def _as_schema_6(db: Path) -> None:
    """The jobs and job_files tables as an acbuild of schema 6 made them, rows kept."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.executescript("""
        BEGIN;
        CREATE TABLE jobs6 (hash TEXT PRIMARY KEY, id TEXT NOT NULL, method TEXT NOT NULL,
            code_hash TEXT NOT NULL, created REAL NOT NULL, post_size INTEGER,
            post_mtime_ns INTEGER, built_seq INTEGER);
        INSERT INTO jobs6 SELECT hash, id, method, code_hash, created, post_size,
            post_mtime_ns, built_seq FROM jobs;
        DROP TABLE jobs; ALTER TABLE jobs6 RENAME TO jobs;
        CREATE INDEX jobs_by_method ON jobs (method, created);
        CREATE INDEX jobs_by_id ON jobs (id);
        CREATE INDEX jobs_by_seq ON jobs (built_seq);
        CREATE TABLE job_files6 (hash TEXT PRIMARY KEY, post_size INTEGER NOT NULL,
            post_mtime_ns INTEGER NOT NULL, files TEXT NOT NULL);
        INSERT INTO job_files6 SELECT hash, post_size, post_mtime_ns, files FROM job_files;
        DROP TABLE job_files; ALTER TABLE job_files6 RENAME TO job_files;
        PRAGMA user_version = 6;
        COMMIT;
    """)
    assert conn.execute("SELECT count(*) FROM job_files").fetchone()[0] == 3
    conn.close()


def _states(report: dict[str, object]) -> set[str]:
    return {job["state"] for job in report["jobs"]}  # type: ignore[attr-defined,index]


def test_a_schema_6_target_is_reused_and_completed(tmp_path: Path) -> None:
    project = pipeline(Project(tmp_path / "p"))
    assert _states(project.run_json()) == {"built"}
    project.acbuild("status")  # (the index of job files is written)
    _as_schema_6(project.workdir / "acbuild.db")
    assert _states(project.status_json()) == {"cached"}
    assert _states(project.run_json()) == {"reused"}
    conn = sqlite3.connect(project.workdir / "acbuild.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 7
    assert conn.execute("SELECT count(*) FROM jobs WHERE post_ctime_ns IS NULL"
                        ).fetchone()[0] == 0  # completed
    conn.close()
    # A post.json put back with its size and mtime (touch -r) is not the one recorded.
    total = next(project.workdir.glob("total-*"))
    post = total / "post.json"
    before = post.stat()
    text = post.read_text()
    assert '"status": "ok"' in text
    post.write_text(text.replace('"status": "ok"', '"status": "no"'))  # same size
    os.utime(post, ns=(before.st_atime_ns, before.st_mtime_ns))
    report = project.run_json(check=None)
    assert {j["method"]: j["state"] for j in report["jobs"]}["total"] == "built"


def test_a_schema_6_source_is_reused_and_never_written(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    first = pipeline(Project(tmp_path / "one"), target=str(shared))
    assert _states(first.run_json()) == {"built"}
    first.acbuild("status")
    _as_schema_6(shared / "acbuild.db")
    before = sorted(p.name for p in shared.iterdir())
    db_bytes = (shared / "acbuild.db").read_bytes()
    second = pipeline(Project(tmp_path / "two"), sources=(str(shared),))
    assert _states(second.status_json()) == {"cached"}
    assert _states(second.run_json()) == {"reused"}
    assert _states(second.run_json()) == {"reused"}
    assert sorted(p.name for p in shared.iterdir()) == before  # no -wal, no -shm
    assert (shared / "acbuild.db").read_bytes() == db_bytes  # still schema 6, untouched
