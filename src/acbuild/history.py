"""The history of runs, from the target work directory's database, as plain data.

When each ``acbuild run`` started, which script, how long it took, how it
ended (ok, failed, error, interrupted), and what it built, reused or failed;
and for one run, its jobs. Only reads; never prints. A run whose row is still
``running`` is running now while its process holds its byte of the runs' lock
file; once that byte is free, its process is gone without closing the row
(SIGKILL, a power cut): it ``died``. Its ``ended`` is None either way.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from acbuild import dbruns
from acbuild.db import Database
from acbuild.dbruns import RunRow
from acbuild.errors import AcbuildError
from acbuild.session import Session
from acbuild.workdir import Workdir


class RunSpecError(AcbuildError):
    """A RUN argument names no run."""


def runs(session: Session, limit: int | None = 20) -> list[dict[str, Any]]:
    """The newest runs first."""
    root, target = session.project.root, session.store.target
    return [_run(row, root, target) for row in dbruns.runs(session.store.target_db(), limit)]


def run_jobs(session: Session, text: str) -> dict[str, Any]:
    """One run (a number, or ``last``) with its jobs in the order it finished them."""
    db = session.store.target_db()
    row = _find(db, text, session.store.target.path)
    # Where each job is now: a finished one in any work directory, a failed one kept.
    finished = {job.id: job.path for job in session.store.jobs()}
    failed = session.store.failed()
    jobs = []
    for job_id, state in dbruns.run_jobs(db, row.run):
        path = failed.get(job_id) if state == "failed" else finished.get(job_id)
        jobs.append({"id": job_id, "method": job_id.rsplit("-", 1)[0], "state": state,
                     "path": str(path) if path is not None else None})
    return {**_run(row, session.project.root, session.store.target), "jobs": jobs}


def _find(db: Database, text: str, workdir: Path) -> RunRow:
    if text == "last":
        newest = dbruns.runs(db, 1)
        if not newest:
            raise RunSpecError(f"no run yet in {workdir}")
        return newest[0]
    if not (text.isascii() and text.isdigit()):  # "²" is a digit, and no run number
        raise RunSpecError(f"{text!r} is not a run: give a run number from `acbuild log`, "
                           "or last")
    row = dbruns.run(db, int(text))
    if row is None:
        raise RunSpecError(f"no run {text} in {workdir}", hint="`acbuild log` lists the runs")
    return row


def _run(row: RunRow, root: Path, workdir: Workdir) -> dict[str, Any]:
    return {
        "run": row.run,
        "script": _relative(row.script, root),
        "started": _when(row.started),
        "ended": _when(row.ended) if row.ended else None,
        "seconds": round(row.ended - row.started, 3) if row.ended else None,
        "status": _status(row, workdir),
        "built": row.built, "reused": row.reused, "failed": row.failed,
        "pid": row.pid,
    }


def _status(row: RunRow, workdir: Workdir) -> str:
    """How the run ended; ``died`` for one still marked running whose process is gone. A row
    of an acbuild before schema 3 holds no lock: it is taken as died (it began before this
    acbuild opened the database, and a run lasting across an upgrade is rare)."""
    if row.status != "running":
        return row.status
    return "running" if row.lock is not None and workdir.run_alive(row.lock) else "died"


def _relative(script: str, root: Path) -> str:
    try:
        return Path(script).relative_to(root).as_posix()
    except ValueError:
        return script


def _when(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch).isoformat(sep=" ", timespec="seconds")
