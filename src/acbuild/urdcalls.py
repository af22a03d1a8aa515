"""The result-list calls of a build script's ``urd``: begin, finish, get, latest, first,
since, peek, peek_latest, peek_first, truncate (the storage is ``acbuild.urdlists``).

Between ``urd.begin`` and ``urd.finish`` every job ``urd.build`` returns is noted, by
its ``name=`` label or else its method, and so is every entry read with ``get``,
``latest``, ``first`` or ``since`` (``peek*`` read without noting). ``finish`` has
the noted jobs built first (a run), then records the entry; under ``status`` it
records nothing (``Lists(writable=False)``). An entry's jobs are handles of the
script's graph, so a script builds on them as on its own (``urd.build("sum",
day=entry.joblist.report)``): an entry's job joins the graph as the job it is, with
the jobs it was built from.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from acbuild import canonical, graph
from acbuild.errors import AcbuildError
from acbuild.jobrecords import read_setup
from acbuild.urdlists import Entry, Lists, UrdError, check_list_name, timestamp

FindJob = Callable[[str], "Path | None"]  # a job's hash -> its directory, if it is anywhere


class ListAccess(NamedTuple):  # not dataclasses: every run defines them (~0.3 ms each)
    """What a script's urd needs of the result lists: the lists, and where jobs are."""

    lists: Lists
    find: FindJob


class _Open:
    """An entry between ``begin`` and ``finish``."""

    def __init__(self, name: str, ts: str | None, caption: str):
        self.name = name
        self.ts = ts
        self.caption = caption
        self.jobs: list[tuple[str, Any]] = []  # (name, handle)
        self.deps: list[Entry] = []


class JobList(Mapping[str, Any]):
    """An entry's jobs by name (the last of a name wins), in order: ``joblist["report"]``,
    ``joblist.report``, ``joblist[-1]``; each a handle of the script's graph."""

    def __init__(self, entry: Entry, adopt: Callable[[str], Any]):
        self._entry = entry
        self._adopt = adopt
        self._by_name = {name: job_hash for name, _, job_hash in entry.jobs}

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, int):
            return self._adopt(self._entry.jobs[key][2])
        if key not in self._by_name:
            raise KeyError(f"{self._entry.list}/{self._entry.timestamp} has no job {key!r} "
                           f"(its jobs: {', '.join(self._by_name) or 'none'})")
        return self._adopt(self._by_name[key])

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(e.args[0]) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def ids(self) -> dict[str, str]:
        return {name: job_id for name, job_id, _ in self._entry.jobs}


class ListEntry:
    """An entry as a script reads it: ``.list``, ``.timestamp``, ``.caption``, ``.joblist``
    (and ``entry["name"]``), ``.deps`` (the entries it read, as "list/timestamp"), ``.state``
    when ``finish`` returned it ("new", "same" or "updated")."""

    def __init__(self, entry: Entry, adopt: Callable[[str], Any], state: str | None = None):
        self.entry = entry
        self.list = entry.list
        self.timestamp = entry.timestamp
        self.caption = entry.caption
        self.deps = [f"{lst}/{ts}" for lst, ts, _ in entry.deps]
        self.joblist = JobList(entry, adopt)
        self.state = state

    def __getitem__(self, name: str | int) -> Any:
        return self.joblist[name]

    def __repr__(self) -> str:
        return f"ListEntry({self.list}/{self.timestamp}: {', '.join(self.joblist.ids)})"


def _at_script_line(call: Callable[..., Any]) -> Callable[..., Any]:
    """An error of ``call`` names the script line that made it."""

    @functools.wraps(call)
    def wrapper(self: ResultListCalls, *args: Any, **kwargs: Any) -> Any:
        try:
            return call(self, *args, **kwargs)
        except AcbuildError as e:
            if e.where is None:
                e.where = self._call_site()
            raise

    return wrapper


class ResultListCalls:
    """Mixed into the script's ``Urd``, which provides ``_list_access``, ``_adopt_hash`` (an
    existing job as a handle of its graph) and ``_realize_handle`` (build a handle's job)."""

    _list_access: ListAccess | None
    _open_entry: _Open | None = None

    def _adopt_hash(self, job_hash: str) -> Any:
        raise NotImplementedError

    def _realize_handle(self, handle: Any) -> None:
        raise NotImplementedError

    def _call_site(self) -> str | None:
        return None

    def note_unfinished(self, warnings: list[str]) -> None:
        """The script ended with an entry open: it is not recorded, which a user must hear."""
        if self._open_entry is not None:
            warnings.append(f"urd.begin({self._open_entry.name!r}) has no urd.finish: "
                            "that entry was not recorded")
            self._open_entry = None

    def _lists(self) -> Lists:
        if self._list_access is None:
            raise UrdError("result lists need a work directory (this urd has none)")
        return self._list_access.lists

    def _noted(self, handle: Any) -> None:
        """``urd.build`` returned ``handle``: part of the open entry, if one is open."""
        if self._open_entry is not None:
            label = handle.spec.label or handle.spec.method
            self._open_entry.jobs.append((label, handle))

    @_at_script_line
    def begin(self, name: str, timestamp: object = None, caption: str | None = None) -> None:
        if self._open_entry is not None:
            raise UrdError(f"urd.begin({name!r}) while {self._open_entry.name!r} is open",
                           hint="urd.finish the open entry first")
        ts = None if timestamp is None else _ts(timestamp)
        self._open_entry = _Open(check_list_name(name), ts, _caption(caption))

    @_at_script_line
    def finish(self, name: str, timestamp: object = None, caption: str | None = None,
               update: bool = False) -> ListEntry:
        """Record the open entry (its jobs built first); a no-op when it is already there."""
        open_entry = self._open_entry
        if open_entry is None or open_entry.name != name:
            raise UrdError(f"urd.finish({name!r}) without urd.begin({name!r}, ...)")
        ts = open_entry.ts if timestamp is None else _ts(timestamp)
        if ts is None:
            raise UrdError(f"urd.finish({name!r}): no timestamp",
                           hint="give one to urd.begin or urd.finish")
        if open_entry.ts is not None and timestamp is not None and ts != open_entry.ts:
            raise UrdError(f"urd.finish({name!r}, {ts!r}): urd.begin said {open_entry.ts!r}")
        lists = self._lists()
        if lists.writable:
            for _, handle in open_entry.jobs:
                self._realize_handle(handle)  # an entry names only jobs that exist
        jobs = tuple(dict.fromkeys((label, h.spec.id, h.spec.hash)
                                   for label, h in open_entry.jobs))
        deps = tuple(dict.fromkeys(lists.dependency(e) for e in open_entry.deps))
        self._open_entry = None
        shown = _caption(caption) if caption is not None else open_entry.caption
        state, kept = lists.record(Entry(name, ts, shown, jobs, deps), update=bool(update))
        return ListEntry(kept, self._adopt_hash, state)

    # -- reading, noted as what the open entry read ------------------------------------------
    @_at_script_line
    def get(self, name: str, timestamp: object) -> ListEntry:
        return self._read(self._lists().get(name, timestamp), name, timestamp)

    @_at_script_line
    def latest(self, name: str) -> ListEntry:
        return self._read(self._lists().latest(name), name, "latest")

    @_at_script_line
    def first(self, name: str) -> ListEntry:
        return self._read(self._lists().first(name), name, "first")

    @_at_script_line
    def since(self, name: str, timestamp: object) -> list[ListEntry]:
        found = self._lists().since(name, timestamp)
        if self._open_entry is not None:
            self._open_entry.deps.extend(found)
        return [ListEntry(e, self._adopt_hash) for e in found]

    @_at_script_line
    def peek(self, name: str, timestamp: object) -> ListEntry:
        return self._view(self._lists().get(name, timestamp), name, timestamp)

    @_at_script_line
    def peek_latest(self, name: str) -> ListEntry:
        return self._view(self._lists().latest(name), name, "latest")

    @_at_script_line
    def peek_first(self, name: str) -> ListEntry:
        return self._view(self._lists().first(name), name, "first")

    @_at_script_line
    def truncate(self, name: str, timestamp: object) -> int:
        """Ghost the entries of ``name`` at and after ``timestamp``; how many."""
        return len(self._lists().truncate(name, timestamp))

    def _read(self, entry: Entry | None, name: str, ts: object) -> ListEntry:
        view = self._view(entry, name, ts)
        if self._open_entry is not None:
            self._open_entry.deps.append(view.entry)
        return view

    def _view(self, entry: Entry | None, name: str, ts: object) -> ListEntry:
        if entry is None:
            raise UrdError(f"list {name!r} has no entry {ts}" if ts not in ("latest", "first")
                           else f"list {name!r} has no entries")
        return ListEntry(entry, self._adopt_hash)


def _ts(value: object) -> str:
    return timestamp(value).text


def _caption(caption: object) -> str:
    if caption is None:
        return ""
    if not isinstance(caption, str):
        raise UrdError(f"a caption is a str, got {type(caption).__name__}")
    return caption


def existing_specs(job_hash: str, find: FindJob, where: str | None) -> list[graph.JobSpec]:
    """The spec of a finished job, and of the jobs it was built from, inputs first: the job
    as its setup.json records it (its hash is kept, not recomputed from today's code)."""
    path = find(job_hash)
    if path is None:
        raise UrdError(f"a list entry names job {job_hash[:12]}, which is in no work "
                       "directory (removed?)")
    setup = read_setup(path)
    view = setup.get("identity") or {}
    specs: list[graph.JobSpec] = []
    inputs = sorted((view.get("input_hashes") or {}).items())
    for _, input_hash in inputs:
        if input_hash is not None:
            specs.extend(existing_specs(input_hash, find, where))
    try:
        options = canonical.from_json(view.get("options") or {})
    except AcbuildError:
        options = {}
    ids = view.get("inputs") or {}
    specs.append(graph.JobSpec(
        setup.get("method") or view.get("method", "?"), view.get("code", ""), options,
        tuple(inputs), view.get("slices"), setup.get("hash") or job_hash,
        setup.get("id") or path.name, where=where,
        input_ids=tuple(sorted((k, ids.get(k)) for k, _ in inputs))))
    return specs
