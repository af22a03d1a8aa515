"""The database's caches: what is kept to save reading files again, and what is lost
without harm (read from the files once more): each job's identity (hash, options key,
view: from its setup.json), the methods' declarations by code hash (from their
sources), and the stat cache (a file's digest by its stat).

Functions taking the ``Database`` rather than a class holding one: ``Database`` stays the
one object that holds the connection, and a call reads as the method it was
(``dbcaches.identity_view(db, h)``) with nothing to make or keep. Owns these tables' SQL;
opening the database and its schema are ``acbuild.db``'s.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import NamedTuple

from acbuild.db import INT_MAX, Database

IdentityKey = tuple[str, str, float, str | None]  # hash, id, created, options key (or None)


class FileStat(NamedTuple):  # not a dataclass: cheaper to make at import
    """What says a file is unchanged without reading it."""

    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int


# -- identities ----------------------------------------------------------------------------
def identity_keys(db: Database, method: str, limit: int) -> list[IdentityKey]:
    """(hash, id, created, options key) of the newest ``limit`` jobs of ``method``,
    newest first; the key None where the index has none (an older acbuild, doctor or a
    remote fetch recorded the job). A reason reads ``identity_view`` of the few it
    compares, not 1,000 views it would parse none of."""
    if not db.has_table("identities"):
        return [(r.hash, r.id, r.created, None) for r in reversed(db.jobs(method)[-limit:])]
    return list(db.query(
        "SELECT j.hash, j.id, j.created, i.options_key FROM jobs j LEFT JOIN identities i "
        "ON i.hash = j.hash WHERE j.method = ? ORDER BY j.created DESC LIMIT ?",
        (method, min(limit, INT_MAX))))


def identity_candidates(db: Database, method: str, limit: int, key: str, newest: int
                        ) -> tuple[list[IdentityKey], list[IdentityKey]]:
    """What a job whose options key is ``key`` is compared with among the newest
    ``limit`` jobs of ``method``: the ``newest`` newest, and those with that key or
    none in the index; each as ``identity_keys`` says, newest first. SQLite reads the
    ``limit`` rows; Python sees a few."""
    if not db.has_table("identities"):
        every = identity_keys(db, method, limit)
        return every[:newest], every
    first = identity_keys(db, method, min(newest, limit))
    like = list(db.query(
        "SELECT * FROM (SELECT j.hash, j.id, j.created, i.options_key AS k FROM jobs j "
        "LEFT JOIN identities i ON i.hash = j.hash WHERE j.method = ? "
        "ORDER BY j.created DESC LIMIT ?) WHERE k = ? OR k IS NULL",
        (method, min(limit, INT_MAX), key)))
    return first, like


def identity_view(db: Database, job_hash: str) -> str | None:
    """The indexed identity view (JSON) of one job; None if the index has none."""
    row = next(db.query("SELECT view FROM identities WHERE hash = ?", (job_hash,)), None)
    return None if row is None else row[0]


def keep_identities(db: Database, entries: Iterable[tuple[str, str, str]]) -> None:
    """Index (hash, options key, view) of jobs read from their setup.json."""
    if db.readonly or not db.has_table("identities"):
        return
    with db.transaction():
        db.conn.executemany("INSERT OR REPLACE INTO identities VALUES (?, ?, ?)",
                            list(entries))


def forget_orphan_identities(db: Database) -> None:
    """Drop the index rows of jobs no longer in the work directory (after `gc`)."""
    with db.transaction():
        db.conn.execute("DELETE FROM identities WHERE hash NOT IN (SELECT hash FROM jobs)")


# -- declarations --------------------------------------------------------------------------
def declarations(db: Database, key: str) -> str | None:
    """The declarations record kept under ``key``, if any."""
    rows = list(db.query("SELECT record FROM declarations WHERE key = ?", (key,)))
    return str(rows[0][0]) if rows else None


def keep_declarations(db: Database, key: str, record: str) -> None:
    with db.transaction():
        db.conn.execute("INSERT OR REPLACE INTO declarations VALUES (?, ?, ?)",
                        (key, record, time.time()))


# -- the stat cache ------------------------------------------------------------------------
def cached_digest(db: Database, path: str, stat: FileStat) -> str | None:
    rows = db.query("SELECT size, mtime_ns, inode, ctime_ns, digest FROM file_stats "
                    "WHERE path = ?", (path,))
    for size, mtime_ns, inode, ctime_ns, digest in rows:
        if FileStat(size, mtime_ns, inode, ctime_ns) == stat:
            return str(digest)
    return None


def store_digests(db: Database, entries: Iterable[tuple[str, FileStat, str]]) -> None:
    """Remember (path, stat, digest) for each entry, in one transaction."""
    if db.readonly:
        return
    with db.transaction():
        db.conn.executemany(
            "INSERT OR REPLACE INTO file_stats VALUES (?, ?, ?, ?, ?, ?)",
            [(path, stat.size, stat.mtime_ns, stat.inode, stat.ctime_ns, digest)
             for path, stat, digest in entries],
        )
