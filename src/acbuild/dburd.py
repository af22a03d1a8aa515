"""The result lists' table in the database (``urd_entries``): every version of every
entry, read and written; what an entry means is ``acbuild.urdlists``'.

Functions taking the ``Database`` rather than a class holding one: ``Database`` stays the
one object that holds the connection, and a call reads as the method it was
(``dburd.urd_rows(db)``) with nothing to make or keep. ``Database`` is imported for its
type only: a build script's urd imports this, and sqlite3 comes with the databases given.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from acbuild.db import Database


class UrdRow(NamedTuple):
    """One version of a result-list entry (``acbuild.urdlists`` reads ``record``)."""

    entry: int
    list: str
    ts: str
    sort_key: str
    record: str
    ghost: str | None
    created: float


def urd_rows(db: Database, name: str | None = None) -> list[UrdRow]:
    """Every version of every entry (of list ``name``), ghosts too, oldest first; none in
    a read-only database from before result lists."""
    if db.readonly and not list(db.query(
            "SELECT 1 FROM sqlite_master WHERE name = 'urd_entries'")):
        return []
    sql = "SELECT * FROM urd_entries"
    rows = (db.query(sql + " WHERE list = ? ORDER BY entry", (name,)) if name is not None
            else db.query(sql + " ORDER BY entry"))
    return [UrdRow(*r) for r in rows]


def urd_write(db: Database, add: Iterable[tuple[str, str, str, str]],
              ghosts: Iterable[tuple[int, str]],
              expect: tuple[str, str, int | None] | None = None) -> list[int] | None:
    """In one transaction: mark ``ghosts`` (entry, why) and add entries (list, ts,
    sort_key, record); the new entries' numbers. ``expect`` (list, sort_key, entry or
    None): write only if that is still the live entry there, else None (another
    process recorded one meanwhile)."""
    added = []
    with db.transaction():
        if expect is not None:
            live = db.conn.execute(
                "SELECT max(entry) FROM urd_entries WHERE list = ? AND sort_key = ? "
                "AND ghost IS NULL", expect[:2]).fetchone()[0]
            if live != expect[2]:
                return None
        db.conn.executemany("UPDATE urd_entries SET ghost = ? WHERE entry = ?",
                            [(why, entry) for entry, why in ghosts])
        for row in add:
            cur = db.conn.execute(
                "INSERT INTO urd_entries (list, ts, sort_key, record, created) "
                "VALUES (?, ?, ?, ?, ?)", (*row, time.time()))
            added.append(int(cur.lastrowid or 0))
    return added
