"""db: a run repeating the list of the run before refers to it; pruning runs keeps every
kept run's list (schema 6)."""

from __future__ import annotations

from pathlib import Path

from acbuild import dbruns
from acbuild.db import Database

SAME = [("m-1", "reused"), ("m-2", "reused")]


def test_references_resolve_and_survive_pruning_of_the_run_holding_the_list(
        tmp_path: Path) -> None:
    with Database.open(tmp_path) as db:
        runs = [dbruns.begin_run(db, "build.py") for _ in range(5)]
        dbruns.finish_run(db, runs[0], "ok", [("m-1", "built"), ("m-2", "built")])
        for run in runs[1:4]:
            dbruns.finish_run(db, run, "ok", SAME)
        dbruns.finish_run(db, runs[4], "ok", [("m-1", "reused")])
        assert db.conn.execute("SELECT run, same_as FROM run_same").fetchall() == [
            (runs[2], runs[1]), (runs[3], runs[1])]
        assert [dbruns.run_jobs(db, r) for r in runs[1:4]] == [SAME] * 3
        started = {r.run: r.started for r in dbruns.runs(db)}
        used = dbruns.last_used(db)
        assert used == {"m-1": started[runs[4]], "m-2": started[runs[3]]}
        dbruns.prune_runs(db, runs[:2])
        assert [r.run for r in dbruns.runs(db)] == runs[:1:-1]
        assert [dbruns.run_jobs(db, r) for r in runs[2:4]] == [SAME] * 2  # run 3 holds it now
        assert db.conn.execute("SELECT run, same_as FROM run_same").fetchall() == [
            (runs[3], runs[2])]
        assert dbruns.last_used(db) == used
        assert dbruns.run_jobs(db, runs[0]) == []


def test_a_list_that_differs_is_stored_and_an_unfinished_run_is_skipped(
        tmp_path: Path) -> None:
    with Database.open(tmp_path) as db:
        first, dead, third = (dbruns.begin_run(db, "build.py") for _ in range(3))
        dbruns.finish_run(db, first, "ok", SAME)
        dbruns.finish_run(db, third, "ok", SAME)  # ``dead`` never finished: ``first`` is the one before
        assert db.conn.execute("SELECT run, same_as FROM run_same").fetchall() == [
            (third, first)]
        dbruns.finish_run(db, dead, "ok", SAME[:1])
        assert dbruns.run_jobs(db, dead) == SAME[:1]
