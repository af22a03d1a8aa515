"""A project read from Python, without the command line: ``acbuild.open_project(path)``, a
notebook's way to the jobs and their results.

Read-only: no work directory or database is made or written, no job built. Each call
opens the project's work directories and closes them again, so that a notebook left open
never holds them (``gc`` waits for every process that holds one). A result is unpickled
only from the project's configured work directories, as ``compare`` does: loading a
pickle runs code, and those are the user's own. ``.urd`` reads the result lists: each
entry's jobs are the same read-only handles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from acbuild import compare as comparing
from acbuild import results
from acbuild.config import Project, load_project
from acbuild.errors import ConfigError, JobSpecError, StorageError
from acbuild.job import RESULT_FILE, Job
from acbuild.jobchecks import file_changed
from acbuild.jobrecords import read_post, read_setup
from acbuild.session import Session, resolve_job
from acbuild.urdlists import Entry, Lists, UrdError, check_list_name, timestamp


class JobView:
    """A finished job, read-only: ``path``, ``id``, ``method``, ``params`` (its setup:
    options, input jobs, label), ``files()``, ``open()`` and ``load()``."""

    def __init__(self, path: Path, setup: dict[str, Any], trusted: bool):
        self.path = path
        self.id: str = setup.get("id") or path.name
        self.method: str = setup.get("method", "")
        self._setup = setup
        self._trusted = trusted  # in a configured work directory: its pickles may be loaded

    def __repr__(self) -> str:
        return f"JobView({self.id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JobView) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def params(self) -> dict[str, Any]:
        """What the job was built from: its method, options, input jobs (by id) and label."""
        setup = self._setup
        return {"id": self.id, "hash": setup.get("hash"), "method": self.method,
                "label": setup.get("label"), "options": setup.get("options", {}),
                "jobs": {k: (v or {}).get("id") for k, v in setup.get("inputs", {}).items()},
                "created": setup.get("created")}

    def files(self) -> list[str]:
        """The names of the files the job wrote (its post.json listing), sorted."""
        try:
            return sorted(read_post(self.path).get("files", {}))
        except StorageError:
            return []

    def filename(self, name: str) -> Path:
        return Job(self.path, self.id).filename(name)

    def open(self, name: str, mode: str = "r", **kwargs: Any) -> IO[Any]:
        """Open a file of the job for reading (a write is refused: a finished job is kept)."""
        return Job(self.path, self.id).open(name, mode, **kwargs)

    def load(self, name: str = RESULT_FILE) -> Any:
        """The job's result (or another pickle it wrote)."""
        if not self._trusted:
            raise JobSpecError(f"{self.path} is not in one of the project's work directories: "
                               f"its {name} is not unpickled (loading a pickle runs code)")
        if name == RESULT_FILE:
            self._refuse_failed()
        if file_changed(self.path, name):
            raise JobSpecError(f"job {self.id}: its {name} changed since the job was built; "
                               "it is not loaded",
                               hint=f"acbuild verify {self.id}; acbuild run builds it again")
        return results.load(self.path, name)

    def _refuse_failed(self) -> None:
        # A failed job (kept in .failed/, which a method name resolves to when it is the
        # latest) has no result: say why, not "no such file ... result.pickle".
        try:
            post = read_post(self.path)
        except StorageError:
            return
        error = post.get("error") if post.get("status") == "failed" else None
        if isinstance(error, dict):
            where = error.get("phase") or "?"
            if error.get("slice") is not None:
                where += f" slice {error['slice']}"
            raise JobSpecError(f"job {self.id} failed in {where}: {error.get('type')}: "
                               f"{error.get('message')}; it has no result",
                               hint=f"its directory is kept at {self.path}")


class ProjectReader:
    """The jobs of a project, read from Python (``acbuild.open_project``)."""

    def __init__(self, project: Project):
        self.project = project
        self.root = project.root

    def __repr__(self) -> str:
        return f"<acbuild project {self.root}>"

    @contextmanager
    def _session(self) -> Iterator[Session]:
        session = Session(self.project, readonly=True)
        try:
            yield session
        finally:
            session.close()

    def job(self, spec: str) -> JobView:
        """The job a JOB argument names, as on the command line: an id or a prefix of one,
        a method name, ``method~N``, a job directory or a file inside one."""
        with self._session() as session:
            path = resolve_job(session, str(spec))
            return JobView(path, read_setup(path), session.store.workdir_of(path) is not None)

    def jobs(self, method: str | None = None) -> list[JobView]:
        """Every finished job (of ``method``), oldest first, in every work directory."""
        with self._session() as session:
            found = session.store.jobs(method)
            if method is not None and not found and method not in session.registry.names():
                # A typo is an error, not "no jobs": get() says which methods there are.
                session.registry.get(method)
            return [JobView(f.path, read_setup(f.path), True) for f in found]

    def compare(self, *specs: str, metrics: str | None = None, sort: str | None = None,
                descending: bool = False, fields: Sequence[str] = ()) -> list[dict[str, Any]]:
        """``acbuild compare``'s rows, one dict a job: ``pandas.DataFrame(rows)`` is the
        table. ``specs``: a method name, or jobs of one method; ``fields``: patterns the
        fields kept match (``roc_auc.*``)."""
        with self._session() as session:
            found = comparing.compare(session, specs, metrics, sort, descending, fields)
        return [dict(row) for row in found.rows]

    @property
    def urd(self) -> ResultLists:
        """The result lists: ``.lists()``, ``.entries(list)``, ``.latest(list)``, ..."""
        return ResultLists(self)


@dataclass(frozen=True)
class ListEntry:
    """An entry of a result list, read-only: ``jobs`` by name (the last of a name wins),
    each a ``JobView``; ``ids`` the same by id (a job no work directory holds any more is
    in ``ids`` only); ``deps`` the entries it read, as "list/timestamp"."""

    list: str
    timestamp: str
    caption: str
    jobs: dict[str, JobView]
    ids: dict[str, str]
    deps: tuple[str, ...]
    created: float
    ghost: str | None = None  # why it is a ghost (only with ``entries(..., ghosts=True)``)

    def __getitem__(self, name: str) -> JobView:
        return self.jobs[name]

    def __repr__(self) -> str:
        return f"ListEntry({self.list}/{self.timestamp}: {', '.join(self.ids)})"


class ResultLists:
    """A project's result lists (``open_project(path).urd``), as ``acbuild urd`` shows them:
    live entries only, a target's entry over a source's of the same timestamp. A list with
    no entry, or an entry that is not there, is an ``UrdError`` naming what there is."""

    def __init__(self, reader: ProjectReader):
        self._reader = reader

    def __repr__(self) -> str:
        return f"<result lists of {self._reader.root}>"

    def lists(self) -> list[str]:
        """The names of the lists that have a live entry, sorted."""
        with self._reader._session() as session:
            return session.lists().names()

    def entries(self, name: str, ghosts: bool = False) -> list[ListEntry]:
        """The entries of list ``name``, oldest first (with ``ghosts``: the ghosts too)."""
        return self._read(name, lambda lists: lists.entries(name, ghosts=ghosts),
                          ghosts=ghosts)

    def latest(self, name: str) -> ListEntry:
        return self._read(name, lambda lists: [lists.latest(name)], "latest")[0]

    def first(self, name: str) -> ListEntry:
        return self._read(name, lambda lists: [lists.first(name)], "first")[0]

    def get(self, name: str, ts: object) -> ListEntry:
        """The entry at ``ts`` (a date, a datetime, an int, or their text, "2024-01-02+1")."""
        wanted = timestamp(ts)
        return self._read(name, lambda lists: [lists.get(name, wanted)], wanted.text)[0]

    def since(self, name: str, ts: object) -> list[ListEntry]:
        """The entries after ``ts`` (not at it), oldest first."""
        after = timestamp(ts)
        return self._read(name, lambda lists: lists.since(name, after))

    def _read(self, name: str, pick: Callable[[Lists], Sequence[Entry | None]],
              what: str = "", ghosts: bool = False) -> list[ListEntry]:
        check_list_name(name)
        with self._reader._session() as session:
            lists = session.lists()
            if not lists.entries(name, ghosts=ghosts):
                if lists.entries(name, ghosts=True):
                    raise UrdError(f"list {name!r} has only ghosts (replaced or truncated "
                                   "entries)", hint=f"entries({name!r}, ghosts=True) "
                                                    "lists them")
                known = lists.names()
                raise UrdError(f"no result list {name!r}",
                               hint=f"the lists: {', '.join(known)}" if known else
                               "there are none yet: urd.begin/urd.finish in a build script "
                               "make one")
            entries = pick(lists)
            if None in entries:
                shown = ", ".join(e.timestamp for e in lists.entries(name))
                raise UrdError(f"list {name!r} has no entry {what}", hint=f"its entries: {shown}")
            kept = [e for e in entries if e is not None]
            found = session.store.find({h for e in kept for _, _, h in e.jobs})
            views = {h: JobView(f.path, read_setup(f.path), True) for h, f in found.items()}
            return [_entry_view(e, views) for e in kept]


def _entry_view(entry: Entry, views: dict[str, JobView]) -> ListEntry:
    return ListEntry(entry.list, entry.timestamp, entry.caption,
                     {name: views[h] for name, _, h in entry.jobs if h in views},
                     {name: job_id for name, job_id, _ in entry.jobs},
                     tuple(f"{lst}/{ts}" for lst, ts, _ in entry.deps), entry.created,
                     entry.ghost)


def open_project(path: str | Path = ".") -> ProjectReader:
    """The project at ``path`` (or the one a directory below it belongs to), read-only."""
    if not Path(path).is_dir():  # a typo would read an empty project, and say nothing
        raise ConfigError(f"no project at {path}: there is no such directory")
    return ProjectReader(load_project(Path(path)))
