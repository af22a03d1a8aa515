"""Executors: where a staged job runs (DESIGN.md section 9).

The engine stages a job (its directory holds setup.json and source/), hands it to an
executor with the slots it may use, and hears back its exit status and post.json.
Planning, locks, publishing and the index stay with the engine, in the one ``acbuild
run`` that coordinates: an executor only runs "this staged job directory, somewhere".

``local`` is the warm fork launcher (``acbuild.runner``); ``dask`` runs each job as its
own process on a Dask distributed worker. Dask is imported only by ``executors.dask``,
and only when a run asks for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from acbuild.config import ExecutorConfig
from acbuild.runner import Exited
from acbuild.runner import Request as JobRequest

__all__ = ["Executor", "Exited", "Request", "open_executor"]


class Request(NamedTuple):
    """What one job asks of the machine it runs on: its declared ``resources`` (cpus,
    memory, gpus) and its slice count (cpus default to it). Scheduling, never identity."""

    job_id: str
    resources: Mapping[str, Any]
    slices: int


class Executor(Protocol):
    """Runs staged jobs, named by the caller's integer tokens."""

    def admit(self, requests: Iterable[Request]) -> None:
        """Before any of these jobs starts: raise ExecutorError if one cannot run here (a
        resource request no worker can meet, a work directory a worker does not see)."""

    def slots(self, slices: int, free: int) -> int:
        """How many of the run's ``-j`` slots a job of ``slices`` slices takes (at least 1,
        at most ``free``)."""

    def start(self, token: int, job_dir: str | os.PathLike[str], concurrency: int,
              setup: dict[str, Any] | str | None = None) -> None:
        """Start the job staged in ``job_dir`` (``setup``: its setup.json, when at hand)."""

    def wait(self, timeout: float | None) -> list[Exited]:
        """The jobs that have ended, as soon as there is one; [] when ``timeout`` passes.
        Raises LauncherDied when the executor itself is lost (its jobs with it)."""

    def kill(self, token: int) -> None:
        """Kill the job; ``wait`` then reports it."""

    def requests(self) -> list[JobRequest]:
        """What running jobs have asked of the run since the last call (``subjobs.build``),
        in order; ``wait`` also returns when one arrives."""

    def reply(self, token: int, reply: dict[str, Any]) -> None:
        """Answer a running job's request; a job that has ended meanwhile hears nothing."""

    def close(self) -> None:
        """Kill every running job and let go of what the executor holds. Safe twice."""


def open_executor(config: ExecutorConfig, workdir: Path) -> Executor:
    """The executor ``config`` names, for jobs staged in ``workdir``. Nothing is started
    or connected until its first ``admit`` or ``start``."""
    if config.kind == "dask":
        from acbuild.executors.dask import DaskExecutor

        return DaskExecutor(config, workdir)
    from acbuild.executors.local import LocalExecutor

    return LocalExecutor()
