"""The local executor: today's warm fork launcher (``acbuild.runner``), as an ``Executor``.

A job takes as many of the run's ``-j`` slots as it runs slices at once; resources are
not checked (this machine is the only one there is)."""

from __future__ import annotations

from collections.abc import Iterable

from acbuild.executors import Request
from acbuild.runner import Launcher


class LocalExecutor(Launcher):
    """The warm launcher, started at the first job."""

    def admit(self, requests: Iterable[Request]) -> None:
        return None  # not even read: this machine is the only one there is

    def slots(self, slices: int, free: int) -> int:
        return min(free, slices)
