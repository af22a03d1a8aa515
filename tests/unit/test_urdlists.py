"""urdlists: timestamps, recording entries (new, same, refused, updated), ghosts that
follow what read a replaced entry, truncate, a session that writes nothing, sources."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from acbuild import dburd
from acbuild.db import Database
from acbuild.urdlists import Entry, Lists, UrdError, timestamp


def test_timestamps_parse_show_and_sort() -> None:
    assert str(timestamp(datetime.date(2024, 1, 2))) == "2024-01-02"
    assert str(timestamp(datetime.datetime(2024, 1, 2, 3, 4))) == "2024-01-02T03:04:00"
    assert str(timestamp("2024-01-02 03:04")) == "2024-01-02T03:04:00"
    assert str(timestamp(17)) == "17" and str(timestamp("17+2")) == "17+2"
    assert timestamp("2024-01-01") == timestamp(datetime.date(2024, 1, 1))
    assert timestamp("2024-01-01T00:00:00") == timestamp("2024-01-01")
    ordered = ["2023-12-31T23:59", "2024-01-01", "2024-01-01+1", "2024-01-01+10",
               "2024-01-01T00:00:01"]
    assert sorted(ordered, key=timestamp) == ordered
    assert sorted(["10", "9", "9+1"], key=timestamp) == ["9", "9+1", "10"]
    assert timestamp(9).kind == "int" and timestamp("2024-01-01").kind == "date"


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01", "-1", "1+x", True, 1.5, None])
def test_bad_timestamps_are_refused(bad: object) -> None:
    with pytest.raises(UrdError):
        timestamp(bad)


def entry(ts: str, jobs: tuple[str, ...] = ("a",), deps: tuple[Entry, ...] = (),
          name: str = "l") -> Entry:
    return Entry(name, ts, "", tuple((j, f"{j}-000000000000", f"h{j}") for j in jobs),
                 tuple((d.list, d.timestamp, d.number) for d in deps))


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database.open(tmp_path)


def test_record_new_same_refused_updated(db: Database) -> None:
    lists = Lists(db)
    state, kept = lists.record(entry("1"))
    assert state == "new" and kept.number is not None
    assert lists.record(entry("1"))[0] == "same"
    with pytest.raises(UrdError, match="exists with other content"):
        lists.record(entry("1", jobs=("b",)))
    state, newer = lists.record(entry("1", jobs=("b",)), update=True)
    assert state == "updated"
    assert [e.jobs[0][0] for e in lists.entries("l")] == ["b"]
    assert [(e.jobs[0][0], e.ghost) for e in lists.entries("l", ghosts=True)] == [
        ("a", "replaced"), ("b", None)]  # versions in the order they were recorded


def test_ghosts_follow_what_read_a_replaced_entry(db: Database) -> None:
    lists = Lists(db)
    _, base = lists.record(entry("1"))
    _, reader = lists.record(entry("1", deps=(base,), name="m"))
    _, reader2 = lists.record(entry("5", deps=(reader,), name="n"))
    _, other = lists.record(entry("2", name="m"))
    lists.record(entry("1", jobs=("z",)), update=True)
    assert lists.names() == ["l", "m"]  # n's only entry read a ghost
    assert [e.timestamp for e in lists.entries("m")] == ["2"]
    why = {(e.list, e.timestamp): e.ghost for e in lists.entries(ghosts=True) if e.ghost}
    assert why == {("l", "1"): "replaced",
                   ("m", "1"): "read an entry that was replaced or truncated",
                   ("n", "5"): "read an entry that was replaced or truncated"}


def test_get_latest_first_since_truncate(db: Database) -> None:
    lists = Lists(db)
    for ts in ("3", "1", "2+1", "2"):
        lists.record(entry(ts))
    assert [e.timestamp for e in lists.entries("l")] == ["1", "2", "2+1", "3"]
    assert lists.latest("l").timestamp == "3"  # type: ignore[union-attr]
    assert lists.first("l").timestamp == "1"  # type: ignore[union-attr]
    assert lists.get("l", 2) is not None and lists.get("l", 4) is None
    assert [e.timestamp for e in lists.since("l", "2")] == ["2+1", "3"]
    assert len(lists.truncate("l", "2+1")) == 2
    assert [e.timestamp for e in lists.entries("l")] == ["1", "2"]
    with pytest.raises(UrdError, match="has int timestamps"):
        lists.record(entry("2024-01-01"))


def test_a_session_that_does_not_write_sees_what_it_would_record(db: Database) -> None:
    Lists(db).record(entry("1"))
    dry = Lists(db, writable=False)
    dry.record(entry("2"))
    dry.record(entry("1", jobs=("b",)), update=True)
    assert [(e.timestamp, e.jobs[0][0]) for e in dry.entries("l")] == [("1", "b"), ("2", "a")]
    dry.truncate("l", "2")
    assert [e.timestamp for e in dry.entries("l")] == ["1"]
    assert [(r.ts, r.ghost) for r in dburd.urd_rows(db)] == [("1", None)]  # nothing written


def test_sources_are_read_and_the_target_wins(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "t").mkdir()
    with Database.open(tmp_path / "s") as source_db:
        Lists(source_db).record(entry("1", jobs=("src",)))
        Lists(source_db).record(entry("2", jobs=("src",)))
    target = Database.open(tmp_path / "t")
    source = Database.open(tmp_path / "s", readonly=True)
    Lists(target).record(entry("2", jobs=("mine",)))
    lists = Lists(target, [source])
    assert [(e.timestamp, e.jobs[0][0]) for e in lists.entries("l")] == [
        ("1", "src"), ("2", "mine")]
    assert lists.locate("l/latest")[1].jobs[0][0] == "mine"  # type: ignore[union-attr]
    # A source's entry numbers are its own: what read one records no number to ghost by.
    assert lists.dependency(lists.get("l", 1)) == ("l", "1", None)  # type: ignore[arg-type]
    assert lists.dependency(lists.get("l", 2))[2] is not None  # type: ignore[arg-type]
    with pytest.raises(UrdError, match="no result list 'x'"):
        lists.locate("x")


def test_a_version_5_database_gains_the_table_and_an_old_source_has_no_lists(
        tmp_path: Path) -> None:
    import sqlite3

    from acbuild import db as dbmod
    from acbuild.db import JobRow

    row = JobRow("a" * 64, "m-aaaaaaaaaaaa", "m", "0" * 64, 1.0, built_seq=1)
    with Database.open(tmp_path) as db:
        db.record_job(row)
    conn = sqlite3.connect(tmp_path / dbmod.DB_NAME)
    conn.executescript("DROP TABLE urd_entries; PRAGMA user_version = 5;")
    conn.close()
    with Database.open(tmp_path, readonly=True) as old:  # a source nobody upgraded
        assert dburd.urd_rows(old) == [] and Lists(None, [old]).names() == []
    with Database.open(tmp_path) as db:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == 7
        # The job is kept (numbered when written: built_seq is the database's own).
        assert db.lookup([row.hash]) == {row.hash: row._replace(built_seq=1)}
        Lists(db).record(entry("1"))
        assert [r.ts for r in dburd.urd_rows(db, "l")] == ["1"]


def test_an_entry_another_process_recorded_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    mine, theirs = Database.open(tmp_path), Database.open(tmp_path)
    key = timestamp(1).key
    # Both looked and found no entry at 1; the other process writes first.
    assert Lists(theirs).record(entry("1", jobs=("theirs",)))[0] == "new"
    assert dburd.urd_write(mine, [("l", "1", key, entry("1", jobs=("mine",)).record())], [],
                           expect=("l", key, None)) is None
    assert [e.jobs[0][0] for e in Lists(mine).entries("l", ghosts=True)] == ["theirs"]
    # Expecting the live entry it saw, a write goes through.
    live = Lists(mine).get("l", 1)
    assert live is not None and dburd.urd_write(mine, [], [],
                                                expect=("l", key, live.number)) == []
