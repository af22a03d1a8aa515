"""The run history in the database: the runs (when, how they ended, their counts), the
list of jobs each met (``run_lists``, or ``run_same`` when it is the list of the run
before) and what follows from them (when each job was last used).

Functions taking the ``Database`` rather than a class holding one: ``Database`` stays the
one object that holds the connection, and a call reads as the method it was
(``dbruns.runs(db)``) with nothing to make or keep. Owns these tables' SQL; opening the
database and its schema are ``acbuild.db``'s.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from acbuild.db import CHUNK, INT_MAX, Database


class RunRow(NamedTuple):  # not a dataclass: cheaper to make at import
    """One run of a script: when, how it ended, and its counts."""

    run: int
    script: str
    started: float
    ended: float | None
    status: str
    built: int
    reused: int
    failed: int
    pid: int | None = None  # None: a run an acbuild before schema version 3 began
    lock: int | None = None


def begin_run(db: Database, script: str, pid: int | None = None, lock: int | None = None) -> int:
    """A new run, 'running' until ``finish_run``; ``lock``: the byte of the runs' lock
    file its process holds (held before this row exists, so a live run never looks dead)."""
    with db.transaction():
        cur = db.conn.execute(
            "INSERT INTO runs (script, started, status, pid, lock) "
            "VALUES (?, ?, 'running', ?, ?)",
            (script, time.time(), pid, lock),
        )
    return int(cur.lastrowid or 0)


def finish_run(db: Database, run: int, status: str,
               jobs: dict[str, str] | list[tuple[str, str]]) -> None:
    """Close a run: its status and every job it built, reused or failed (id, state, or
    id -> state). A list that is the one of the run before is kept as a reference to it."""
    listed = dict(jobs)  # a job met twice in a run is listed once, as last met
    counts = Counter(listed.values())
    text = "\n".join([f"{state} {job_id}" for job_id, state in listed.items()])
    with db.transaction():
        same = _same_list(db, run, text)
        if same is None:
            db.conn.execute("INSERT OR REPLACE INTO run_lists VALUES (?, ?)", (run, text))
        else:
            db.conn.execute("INSERT OR REPLACE INTO run_same VALUES (?, ?)", (run, same))
        db.conn.execute(
            "UPDATE runs SET ended = ?, status = ?, built = ?, reused = ?, failed = ? "
            "WHERE run = ?",
            (time.time(), status, counts["built"], counts["reused"], counts["failed"], run),
        )


def _same_list(db: Database, run: int, text: str) -> int | None:
    """The run holding the list of the newest run before ``run`` if it is ``text``."""
    rows = db.conn.execute(
        "SELECT coalesce(s.same_as, u.run) FROM (SELECT max(run) AS run FROM "
        "(SELECT run FROM run_lists WHERE run < ?1 UNION ALL "
        "SELECT run FROM run_same WHERE run < ?1)) u "
        "LEFT JOIN run_same s ON s.run = u.run WHERE u.run IS NOT NULL", (run,)).fetchall()
    if not rows:
        return None
    holder = int(rows[0][0])
    listed = db.conn.execute("SELECT jobs FROM run_lists WHERE run = ?",
                             (holder,)).fetchone()
    return holder if listed is not None and listed[0] == text else None


def prune_runs(db: Database, runs: Iterable[int]) -> None:
    """Forget ``runs`` (their rows and lists), in one transaction. A kept run whose list
    was a reference to a forgotten one gets the list itself (the oldest such run; the
    others then refer to it)."""
    gone = sorted(set(runs))
    if not gone:
        return
    with db.transaction():
        for start in range(0, len(gone), CHUNK):
            chunk = gone[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            _adopt_lists(db, chunk, marks)
            for table in ("run_same", "run_lists", "runs"):
                db.conn.execute(f"DELETE FROM {table} WHERE run IN ({marks})", chunk)


def _adopt_lists(db: Database, gone: list[int], marks: str) -> None:
    referrers = db.conn.execute(
        f"SELECT run, same_as FROM run_same WHERE same_as IN ({marks}) "
        f"AND run NOT IN ({marks}) ORDER BY run", gone + gone).fetchall()
    heir: dict[int, int] = {}
    for run, same_as in referrers:
        if same_as not in heir:
            heir[same_as] = run
            db.conn.execute("DELETE FROM run_same WHERE run = ?", (run,))
            db.conn.execute("INSERT INTO run_lists SELECT ?, jobs FROM run_lists "
                            "WHERE run = ?", (run, same_as))
        else:
            db.conn.execute("UPDATE run_same SET same_as = ? WHERE run = ?",
                            (heir[same_as], run))


def runs(db: Database, limit: int | None = None) -> list[RunRow]:
    sql = "SELECT * FROM runs ORDER BY run DESC"
    # A limit past SQLite's integers is no limit (as a literal it would read as a float).
    rows = db.query(sql + (f" LIMIT {min(int(limit), INT_MAX)}" if limit else ""))
    return [RunRow(*r) for r in rows]


def run(db: Database, run: int) -> RunRow | None:
    if not 0 < run <= INT_MAX:  # no such run; and sqlite3 cannot bind a larger int
        return None
    rows = list(db.query("SELECT * FROM runs WHERE run = ?", (run,)))
    return RunRow(*rows[0]) if rows else None


def run_jobs(db: Database, run: int) -> list[tuple[str, str]]:
    """The jobs of a run, (id, state), in the order the run met them."""
    if db.version < 2:  # a read-only database of version 1
        return [(r[0], r[1]) for r in db.query(
            "SELECT id, state FROM run_jobs WHERE run = ? ORDER BY rowid", (run,))]
    if db.has_table("run_same"):
        rows = db.query("SELECT jobs FROM run_lists WHERE run = coalesce("
                        "(SELECT same_as FROM run_same WHERE run = ?1), ?1)", (run,))
    else:
        rows = db.query("SELECT jobs FROM run_lists WHERE run = ?", (run,))
    return [pair for (jobs,) in rows for pair in _unpack(jobs)]


def last_used(db: Database) -> dict[str, float]:
    """Job id → the start time of the newest run that built or reused it."""
    if db.version < 2:
        rows = db.query(
            "SELECT rj.id, MAX(r.started) FROM run_jobs rj JOIN runs r ON r.run = rj.run "
            "WHERE rj.state != 'failed' GROUP BY rj.id"
        )
        return {job_id: started for job_id, started in rows}
    # Each list once, with the newest start of the runs it is the list of.
    users = ("SELECT run, run AS holder FROM run_lists" + (
        " UNION ALL SELECT run, same_as FROM run_same" if db.has_table("run_same")
        else ""))
    used: dict[str, float] = {}
    for started, jobs in db.query(
            f"SELECT max(r.started), l.jobs FROM ({users}) u JOIN runs r ON r.run = u.run "
            "JOIN run_lists l ON l.run = u.holder GROUP BY u.holder ORDER BY 1"):
        for job_id, state in _unpack(jobs):
            if state != "failed":
                used[job_id] = started  # lists in order of their newest start: it stays
    return used


def _unpack(jobs: str) -> list[tuple[str, str]]:
    """run_lists.jobs → [(id, state)]."""
    pairs = []
    for line in jobs.split("\n") if jobs else ():
        state, _, job_id = line.partition(" ")
        pairs.append((job_id, state))
    return pairs
