"""What each board page shows, as plain data: the documents the command line's ``--json``
prints, got from the same functions (``history``, ``session.describe_job``, ``explain``,
``catalog``, ``session.graph_view``), and the little the board adds beside them (a run
going on, a job's dependents, a method's jobs), ``compare`` and ``urd`` documents.

Only reads. A job's result is unpickled only when asked (``load``): loading one runs code
from the work directory. Never imports starlette: the pages and the app draw these.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from acbuild import history, joblog
from acbuild.catalog import describe_methods
from acbuild.compare import compare, sorted_by
from acbuild.errors import AcbuildError, StorageError
from acbuild.explain import explain
from acbuild.intact import post_stat
from acbuild.jobrecords import read_setup, read_sources
from acbuild.session import (
    Session,
    describe_job,
    graph_view,
    job_location,
    resolve_job,
    status_script,
)
from acbuild.urdlists import document
from acbuild.workdir import FAILED_DIR, staged_job_id

DEFAULT_SCRIPT = "build.py"


class ScriptRefused(AcbuildError):
    """A build script the board will not evaluate: not a .py file inside the project."""


def runs(session: Session, page: int, per_page: int) -> tuple[dict[str, Any], bool]:
    """A page of the history (``log --json``), newest first, and whether there is more."""
    rows = history.runs(session, (page + 1) * per_page + 1)
    start = page * per_page
    return {"runs": rows[start:start + per_page]}, len(rows) > start + per_page


def live(session: Session, run: dict[str, Any]) -> dict[str, Any]:
    """A run going on: the jobs running now (staged in the target, with elapsed seconds)
    and the jobs finished since it started, newest first. Read from the work directory and
    its index, polled: the run itself writes nothing for the board."""
    started = time.mktime(time.strptime(run["started"], "%Y-%m-%d %H:%M:%S"))
    tmp = session.store.target.path / ".tmp"
    running = []
    try:
        entries = list(os.scandir(tmp))
    except OSError:
        entries = []
    now = time.time()
    for entry in entries:
        job_id = staged_job_id(entry.name)
        rest = entry.name[len(job_id or "") + 1:].split(".")
        if job_id is None or len(rest) != 2 or not all(p.isdigit() for p in rest):
            continue  # not a job being built (one being replaced or removed)
        try:  # written when the job was staged, never after: when it began
            began = os.stat(os.path.join(entry.path, "setup.json")).st_mtime
        except OSError:
            continue  # published or gone since the listing
        running.append({"id": job_id, "elapsed": round(max(0.0, now - began), 1)})
    indexed = session.store.jobs()
    finished: list[dict[str, Any]] = [{"id": j.id, "method": j.method, "created": j.created}
                                      for j in indexed if j.created >= started - 1]
    finished += _unindexed(session, {j.id for j in indexed}, started)
    finished.sort(key=lambda j: j["created"])
    return {"run": run["run"], "running": sorted(running, key=lambda r: -r["elapsed"]),
            "finished": finished[::-1][:50]}


def _unindexed(session: Session, indexed: set[str], started: float) -> list[dict[str, Any]]:
    """Jobs published in the target but not in its index yet (a run writes the index rows
    in batches): one listing, and a look at the few it has that the index has not."""
    target = session.store.target
    found = []
    for job_id in target.job_ids() - indexed:
        stat = post_stat(str(target.job_dir(job_id)))
        if stat is not None and stat[1] / 1e9 >= started - 1:
            found.append({"id": job_id, "method": job_id.rsplit("-", 1)[0],
                          "created": stat[1] / 1e9})
    return found


def run(session: Session, text: str) -> dict[str, Any]:
    """One run and its jobs (``log RUN --json``)."""
    return history.run_jobs(session, text)


def reasons(jobs: list[dict[str, Any]]) -> dict[str, str]:
    """Why each built job of a run was built, as the run said it (its setup.json)."""
    said = {}
    for job in jobs:
        if job["path"] and job["state"] in ("built", "failed"):
            try:
                record = read_setup(Path(job["path"])).get("built_because")
            except StorageError:
                continue
            if isinstance(record, dict) and isinstance(record.get("reason"), str):
                said[job["id"]] = record["reason"]
    return said


def job(session: Session, text: str, load: bool = False) -> dict[str, Any]:
    """A job as ``show --json`` has it; its result (a repr) only with ``load``."""
    path = resolve_job(session, text)
    return {**describe_job(path, with_result=load), **job_location(session, path)}


def log_parts(path: Path) -> list[dict[str, Any]]:
    """The job's output by part: each phase, then each analysis slice, stdout and stderr."""
    slices = sorted({n for stream in joblog.STREAMS for n, _ in joblog.slice_logs(path, stream)})
    parts: list[str | int] = [p for p in joblog.PARTS if p != "analysis"]
    parts[2:2] = slices
    found = []
    for part in parts:
        texts = {s: joblog.read_output(path, part, s) for s in joblog.STREAMS}
        if any(texts.values()):
            name = f"analysis slice {part}" if isinstance(part, int) else part
            found.append({"part": name, **texts})
    return found


def sources(path: Path) -> dict[str, bytes]:
    return read_sources(path)


def why(session: Session, text: str, script: Path) -> dict[str, Any]:
    """``explain JOB --json``."""
    return explain(session, text, script)


def why_built(session: Session, path: Path) -> dict[str, Any] | None:
    """``explain`` of a job in a work directory, as its run recorded it; None for a job not
    reused as it is (explaining that one would evaluate the build script: its own page)."""
    if session.store.checks.problem(path) is not None and path.parent.name != FAILED_DIR:
        return None
    try:
        return explain(session, path.name if path.parent.name != FAILED_DIR else str(path),
                       session.project.root / DEFAULT_SCRIPT)
    except AcbuildError:
        return None


def methods(session: Session) -> dict[str, Any]:
    """``methods --json``."""
    return {"methods": describe_methods(session.registry, session.store)}


def method(session: Session, name: str, limit: int = 100) -> dict[str, Any]:
    """``methods NAME --json``, and ``jobs``: its newest jobs with their options (the
    method page's JSON twin when results are not loaded)."""
    info = {"methods": describe_methods(session.registry, session.store, [name])}
    rows = []
    for found in reversed(session.store.jobs(name)[-limit:]):
        try:
            setup = read_setup(found.path)
        except StorageError:
            continue
        rows.append({"id": found.id, "created": setup.get("created"),
                     "options": setup.get("options", {}), "label": setup.get("label")})
    return {**info, "jobs": rows}


def comparison(session: Session, name: str, load: bool, sort: str | None = None,
               descending: bool = False) -> dict[str, Any] | None:
    """``compare NAME --json`` (``--sort``, ``-r``); the results are unpickled only with
    ``load``: without, the options and inputs that differ (and a sort by a result's field
    is left for later). None: no finished job yet."""
    if not session.store.jobs(name):
        return None
    found = compare(session, [name], load_results=load)
    if sort and (load or sort in found.columns):
        found = sorted_by(found, sort, descending)
    return found.as_json()


def lists(session: Session, where: str | None, ghosts: bool) -> dict[str, Any]:
    """``urd [LIST[/TS]] --json`` (``--ghosts``): the result lists, a list, or an entry."""
    return document(session.lists(), where, ghosts)


def script_path(session: Session, name: str | None) -> Path:
    """A build script of the project by its project-relative name; nothing outside."""
    root = session.project.root.resolve()
    path = (root / (name or DEFAULT_SCRIPT)).resolve()
    if not path.is_relative_to(root) or path.suffix != ".py" or not path.is_file():
        raise ScriptRefused(f"{name!r} is not a build script of the project",
                            hint=f"a .py file under {root}")
    return path


def graph(session: Session, script: Path) -> dict[str, Any]:
    """``graph SCRIPT --json``: every job of the script with its state, and the edges."""
    return graph_view(status_script(session, script))


def scripts(session: Session) -> list[str]:
    """The build scripts the history names (newest first) and ``build.py``: the graph
    page's choices."""
    names = [r["script"] for r in history.runs(session, 200)]
    if (session.project.root / DEFAULT_SCRIPT).is_file():
        names.append(DEFAULT_SCRIPT)
    return list(dict.fromkeys(n for n in names if not os.path.isabs(n)))


class Dependents:
    """Which jobs take a job as input: read from each finished job's setup.json once (a
    published job never changes), as the server meets them."""

    def __init__(self) -> None:
        self._inputs: dict[str, list[str]] = {}  # job id -> the ids of its inputs
        self._lock = threading.Lock()

    def of(self, session: Session, job_id: str) -> list[str]:
        with self._lock:
            for found in session.store.jobs():
                if found.id not in self._inputs:
                    self._inputs[found.id] = self._read(found.path)
            return sorted(k for k, ids in self._inputs.items() if job_id in ids)

    @staticmethod
    def _read(path: Path) -> list[str]:
        try:
            inputs = read_setup(path).get("inputs") or {}
        except StorageError:
            return []
        return [i for value in inputs.values() for i in _ids(value)]


def _ids(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [value["id"]] if isinstance(value.get("id"), str) else []
    if isinstance(value, list):
        return [i for v in value for i in _ids(v)]
    return []
