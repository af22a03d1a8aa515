"""Connections to a work directory's database, and what a failed one means: a read-only
connection that writes nothing beside the file, short write transactions, and the
``StorageError`` (or ``DiskFull``) a refused read or write becomes.

``db.Database`` opens and uses them; nothing here knows a table.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from acbuild.errors import DiskFull, StorageError

# An I/O error with less room than this left on the disk is the disk's fault: SQLite could
# not grow its -wal or -shm file (it needs 32 KiB for the one, a page a write for the other).
_LOW_ROOM = 256 << 10


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A connection that writes nothing into a work directory we only read.

    ``mode=ro`` is not enough: on a WAL database it creates (and leaves) the ``-wal`` and
    ``-shm`` files beside it, or fails with "attempt to write a readonly database" when the
    directory is not writable. So, when there is no write-ahead log with content, the file
    is opened ``immutable=1``: no locks, no side files, and it holds every row. Only when
    another process's log holds rows (a writer is live, or died) does ``mode=ro`` read
    through the existing side files; where that fails too, ``immutable=1`` still works and
    misses only the rows not yet checkpointed — a job missed is built again, never wrong.
    """
    if not path.is_file():
        raise sqlite3.OperationalError("no such file")
    uri = path.absolute().as_uri()
    wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
    if wal.is_file() and wal.stat().st_size > 0 and shm.is_file():
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30)
        try:
            conn.execute("PRAGMA user_version").fetchone()
            conn.execute("PRAGMA query_only = 1")
            return conn
        except sqlite3.DatabaseError:
            conn.close()
    conn = sqlite3.connect(f"{uri}?immutable=1", uri=True, timeout=30)
    conn.execute("PRAGMA query_only = 1")
    return conn


class Transaction:
    """BEGIN IMMEDIATE … COMMIT: short write transactions that wait for other writers.

    A write SQLite refuses (a full disk, a file gone bad, a writer holding on past the busy
    timeout) becomes a StorageError naming the database: a message, not a traceback.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path

    def __enter__(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise write_error(self.path, e) from None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
                return
            except sqlite3.Error as e:
                exc = e
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # SQLite rolled it back itself
                self.conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise write_error(self.path, exc) from None


def write_error(path: Path, error: sqlite3.Error) -> StorageError:
    if disk_full(error, path):
        return DiskFull(str(path.parent), f"cannot write the database: {error}")
    return StorageError(f"cannot write the database: {error}", where=str(path),
                        hint="`acbuild doctor` checks the work directory")


def disk_full(error: sqlite3.Error, path: Path) -> bool:
    """Whether SQLite failed for want of room on the disk, not because the file is bad: so
    that a full disk is never taken for a damaged database (which doctor moves aside).

    SQLITE_FULL says so itself. An I/O error, or a file SQLite could not open (a -wal or
    -shm it could not create or grow), does when the disk has (almost) no room left.
    """
    name = getattr(error, "sqlite_errorname", "")  # Python 3.11+
    text = str(error)
    if name == "SQLITE_FULL" or "disk is full" in text:
        return True
    io = (name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")) or "disk I/O error" in text
          or "unable to open" in text)
    return io and _no_room(path.parent)


def _no_room(directory: Path) -> bool:
    try:
        st = os.statvfs(directory)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < _LOW_ROOM or (st.f_files > 0 and st.f_favail == 0)
