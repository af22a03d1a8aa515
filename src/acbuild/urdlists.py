"""Result lists (urd): named, timestamped, append-only lists of jobs, kept in the work
directories' databases.

An entry is a list name, a timestamp, the jobs a build script built or reused between
``urd.begin`` and ``urd.finish`` (by name), and the entries it read meanwhile (its
dependencies). An entry is never changed in place: an update adds a new version and
keeps the old one as a ghost, and so does every entry that read a ghost (transitively);
``truncate`` ghosts the entries from a timestamp on. Ghosts are kept, and hidden.

The target's database is written; the sources' are read (a target entry hides a
source's of the same list and timestamp). With ``writable=False`` (``status``,
``run --dry-run``) nothing is written: what would be recorded is kept in memory, so
the rest of the script reads it as a run would. Owns timestamps and the entry record;
the SQL is ``acbuild.dburd``'s.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from acbuild import dburd
from acbuild.errors import AcbuildError

if TYPE_CHECKING:  # a build script's urd imports this; sqlite3 comes with the databases given
    from acbuild.db import Database
    from acbuild.dburd import UrdRow

# Patterns, compiled at first use (re's cache keeps them): every run imports this module,
# few use a list.
LIST_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*$"
_TS = r"^(?P<base>[^+]+?)(?:\+(?P<tie>\d+))?$"


class UrdError(AcbuildError):
    """A result-list call that cannot be done (a bad name or timestamp, a changed entry)."""


# -- timestamps --------------------------------------------------------------------------------
# TimeStamp and Entry are no dataclasses: every run defines them (~1 ms for the two).
@functools.total_ordering
class TimeStamp:
    """A date, a datetime or an int, with a ``+N`` tie-breaker: "2024-01-01+1".
    Dates sort as midnight of their day; ints and dates do not mix in one list.
    Immutable; equal, hashed and ordered by ``key`` alone."""

    __slots__ = ("key", "text")
    key: str  # sorts as the timestamps do
    text: str  # as shown and stored: "2024-01-01", "17+2"

    def __init__(self, key: str, text: str) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "text", text)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        return self.key == other.key if isinstance(other, TimeStamp) else NotImplemented

    def __lt__(self, other: TimeStamp) -> bool:
        return self.key < other.key if isinstance(other, TimeStamp) else NotImplemented

    def __hash__(self) -> int:
        return hash((self.key,))

    def __repr__(self) -> str:
        return f"TimeStamp(key={self.key!r}, text={self.text!r})"

    @property
    def kind(self) -> str:
        return "int" if self.key.startswith("I") else "date"

    def __str__(self) -> str:
        return self.text


def timestamp(value: object) -> TimeStamp:
    """A ``TimeStamp`` from a date, datetime, int, or their text ("2024-01-01T06:00+1")."""
    if isinstance(value, TimeStamp):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, datetime.date)):
        raise UrdError(f"a timestamp is a date, a datetime, an int, or their text with a "
                       f"+N tie-breaker; got {type(value).__name__} {value!r}")
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    match = re.match(_TS, text.strip())
    if not match:
        raise UrdError(f"{text!r} is not a timestamp (a date, a datetime or an int, "
                       "with an optional +N)")
    base, tie = match.group("base"), int(match.group("tie") or 0)
    if base.isascii() and base.isdigit():
        key, shown = f"I{int(base):020d}", str(int(base))
    else:
        when = _parse_when(base, text)
        key = "D" + when.strftime("%Y-%m-%dT%H:%M:%S.%f")
        shown = base if len(base) == 10 else when.isoformat()
    return TimeStamp(f"{key}+{tie:010d}", f"{shown}+{tie}" if tie else shown)


def _parse_when(base: str, text: str) -> datetime.datetime:
    try:
        if len(base) == 10:
            return datetime.datetime.combine(datetime.date.fromisoformat(base),
                                             datetime.time())
        return datetime.datetime.fromisoformat(base.replace(" ", "T"))
    except ValueError:
        raise UrdError(f"{text!r} is not a timestamp (a date, a datetime or an int, "
                       "with an optional +N)") from None


def check_list_name(name: object) -> str:
    if not isinstance(name, str) or not re.match(LIST_NAME, name):
        raise UrdError(f"{name!r} is not a list name: words of letters, digits, '_', '-' "
                       "and '.', separated by '/' (for example sales/daily)")
    return name


# -- entries -----------------------------------------------------------------------------------
class Entry(NamedTuple):
    """One version of an entry: its jobs as (name, id, hash) in the order they were met, and
    the entries it read as (list, timestamp, entry number or None for a source's)."""

    list: str
    timestamp: str
    caption: str
    jobs: tuple[tuple[str, str, str], ...]
    deps: tuple[tuple[str, str, int | None], ...] = ()
    number: int | None = None  # its row in the target (None: a source's, or not written)
    ghost: str | None = None  # why it is a ghost; None when live
    created: float = 0.0
    workdir: str = ""

    def content(self) -> tuple[object, ...]:
        """What makes two versions the same entry (re-finishing it is then a no-op)."""
        return (self.caption, self.jobs, self.deps)

    def record(self) -> str:
        return json.dumps({"caption": self.caption, "jobs": [list(j) for j in self.jobs],
                           "deps": [list(d) for d in self.deps]}, sort_keys=True)

    def as_json(self) -> dict[str, object]:
        return {"list": self.list, "timestamp": self.timestamp, "caption": self.caption,
                "jobs": [{"name": n, "id": i} for n, i, _ in self.jobs],
                "deps": [{"list": lst, "timestamp": ts} for lst, ts, _ in self.deps],
                "ghost": self.ghost, "created": self.created, "workdir": self.workdir}


def _entry(row: UrdRow, workdir: str) -> Entry:
    data = json.loads(row.record)
    return Entry(row.list, row.ts, data.get("caption") or "",
                 tuple(tuple(j) for j in data.get("jobs", [])),
                 tuple(tuple(d) for d in data.get("deps", [])),
                 row.entry, row.ghost, row.created, workdir)


class Lists:
    """The result lists of a target database and its sources' (read-only)."""

    def __init__(self, target: Database | None, sources: Sequence[Database] = (),
                 writable: bool = True):
        self._target = target
        self._sources = list(sources)
        self.writable = writable and target is not None and not target.readonly
        self._pending: list[Entry] = []  # what a writable=False session would have recorded
        self._ghosted: dict[int, str] = {}

    # -- reading ----------------------------------------------------------------------------
    def entries(self, name: str | None = None, ghosts: bool = False) -> list[Entry]:
        """The entries (of list ``name``), by list and timestamp; a target's entry hides a
        source's of the same list and timestamp."""
        seen: dict[tuple[str, str], Entry] = {}
        ghostly: list[Entry] = []
        for db in ([self._target] if self._target else []) + self._sources:
            mine: dict[tuple[str, str], Entry] = {}
            for row in dburd.urd_rows(db, name):
                entry = _entry(row, str(db.path.parent))
                if entry.number in self._ghosted and db is self._target:
                    entry = _replace(entry, ghost=self._ghosted[entry.number])
                if entry.ghost is None:
                    mine[(entry.list, timestamp(entry.timestamp).key)] = entry
                elif ghosts:
                    ghostly.append(entry)
            for key, entry in mine.items():
                seen.setdefault(key, entry)
        for entry in self._pending:
            if name is None or entry.list == name:
                seen[(entry.list, timestamp(entry.timestamp).key)] = entry
        found = list(seen.values()) + ghostly
        return sorted(found, key=lambda e: (e.list, timestamp(e.timestamp), e.number or 0))

    def names(self) -> list[str]:
        return sorted({e.list for e in self.entries()})

    def get(self, name: str, ts: object) -> Entry | None:
        wanted = timestamp(ts)
        return next((e for e in self.entries(check_list_name(name))
                     if timestamp(e.timestamp) == wanted), None)

    def latest(self, name: str) -> Entry | None:
        found = self.entries(check_list_name(name))
        return found[-1] if found else None

    def first(self, name: str) -> Entry | None:
        found = self.entries(check_list_name(name))
        return found[0] if found else None

    def since(self, name: str, ts: object) -> list[Entry]:
        """The entries after ``ts`` (not at it), oldest first."""
        after = timestamp(ts)
        return [e for e in self.entries(check_list_name(name)) if timestamp(e.timestamp) > after]

    def locate(self, text: str) -> tuple[str, Entry | None]:
        """``LIST`` (the list, no entry) or ``LIST/TS``, TS a timestamp, ``latest`` or
        ``first`` (the list and that entry); an error naming the known lists otherwise.
        A list whose entries are all ghosts is still a list (its ghosts are asked for)."""
        names = sorted({e.list for e in self.entries(ghosts=True)})
        if text in names:
            return text, None
        name, _, ts = text.rpartition("/")
        if name not in names:
            raise UrdError(f"no result list {text!r}",
                           hint=f"the lists: {', '.join(names)}" if names else
                           "there are none yet: urd.begin/urd.finish in a build script make one")
        entry = (self.latest(name) if ts == "latest" else self.first(name) if ts == "first"
                 else self.get(name, ts))
        if entry is None:
            shown = ", ".join(e.timestamp for e in self.entries(name))
            raise UrdError(f"list {name!r} has no entry {ts!r}", hint=f"its entries: {shown}")
        return name, entry

    def dependency(self, entry: Entry) -> tuple[str, str, int | None]:
        """How an entry that read ``entry`` records it: list, timestamp, and its number when
        it is the target's (a source's numbers are its own; its entries never ghost here)."""
        mine = self._target is not None and entry.workdir == str(self._target.path.parent)
        return (entry.list, entry.timestamp, entry.number if mine else None)

    # -- writing ----------------------------------------------------------------------------
    def record(self, entry: Entry, update: bool = False) -> tuple[str, Entry]:
        """Add ``entry``: ("new" | "same" | "updated", the entry as kept). A changed entry is
        refused unless ``update``; the version it replaces, and what read that, are ghosts."""
        check_list_name(entry.list)
        ts = timestamp(entry.timestamp)
        kinds = {timestamp(e.timestamp).kind for e in self.entries(entry.list)}
        if kinds and ts.kind not in kinds:
            raise UrdError(f"list {entry.list!r} has {kinds.pop()} timestamps; "
                           f"{ts.text!r} is not one")
        old = self.get(entry.list, ts)
        if old is not None and old.content() == entry.content():
            return "same", old
        if old is not None and not update:
            raise UrdError(f"{entry.list}/{ts.text} exists with other content",
                           hint="urd.finish(..., update=True) replaces it (and makes the "
                                "entries that read it ghosts)")
        ghosts = self._ghosts_of([old], "replaced") if old is not None else []
        kept = _replace(entry, timestamp=ts.text)
        if not self.writable:
            self._pending = [e for e in self._pending if e is not old] + [kept]
            self._ghosted.update(ghosts)
            return ("updated" if old else "new"), kept
        assert self._target is not None
        was = self.dependency(old)[2] if old is not None else None
        written = dburd.urd_write(self._target, [(kept.list, ts.text, ts.key, kept.record())],
                                  ghosts, expect=(kept.list, ts.key, was))
        if written is None:
            raise UrdError(f"another acbuild recorded {kept.list}/{ts.text} meanwhile; "
                           "nothing was recorded", hint="run the script again")
        return ("updated" if old else "new"), _replace(kept, number=written[0])

    def truncate(self, name: str, ts: object) -> list[Entry]:
        """Ghost the entries of ``name`` at and after ``ts`` (and what read them)."""
        start = timestamp(ts)
        gone = [e for e in self.entries(check_list_name(name)) if timestamp(e.timestamp) >= start]
        ghosts = self._ghosts_of(gone, "truncated")
        if not self.writable:
            self._pending = [e for e in self._pending if e not in gone]
            self._ghosted.update(ghosts)
        elif ghosts:
            assert self._target is not None
            dburd.urd_write(self._target, [], ghosts)
        return gone

    def _ghosts_of(self, entries: Sequence[Entry], why: str) -> list[tuple[int, str]]:
        """(entry number, why) for ``entries`` and, transitively, the live target entries that
        read one of them."""
        ghosts: dict[int, str] = {e.number: why for e in entries if e.number is not None}
        todo = list(ghosts)
        live = [e for e in self.entries() if e.number is not None and e.workdir and
                self._target is not None and e.workdir == str(self._target.path.parent)]
        while todo:
            gone = todo.pop()
            for e in live:
                if (e.number is not None and e.number not in ghosts
                        and any(d[2] == gone for d in e.deps)):
                    ghosts[e.number] = "read an entry that was replaced or truncated"
                    todo.append(e.number)
        return list(ghosts.items())


# -- documents ---------------------------------------------------------------------------------
def document(lists: Lists, where: str | None, ghosts: bool = False) -> dict[str, Any]:
    """What ``acbuild urd [LIST[/TS]] --json`` prints (and the board's result-list pages):
    the lists, a list's entries, or one entry."""
    if where is None:
        # ghosts are always counted (a count of 0 must mean none); a list with only
        # ghosts is listed when they are asked for
        rows = summaries(lists.entries(ghosts=True))
        return {"lists": [r for r in rows if ghosts or r["entries"]]}
    name, entry = lists.locate(where.rstrip("/"))
    if entry is None:
        return {"list": name, "entries": [e.as_json() for e in lists.entries(name, ghosts=ghosts)]}
    return {"entry": entry.as_json()}


def summaries(entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """Each list once: its entry and ghost counts, the first and latest timestamps of its
    live entries (None when it has none)."""
    found: dict[str, dict[str, Any]] = {}
    for e in entries:
        row = found.setdefault(e.list, {"list": e.list, "entries": 0, "ghosts": 0,
                                        "first": None, "latest": None})
        row["ghosts" if e.ghost else "entries"] += 1
        if not e.ghost:
            row["first"] = row["first"] or e.timestamp
            row["latest"] = e.timestamp
    return list(found.values())


def _replace(entry: Entry, **changes: object) -> Entry:
    return entry._replace(**changes)  # type: ignore[arg-type]
