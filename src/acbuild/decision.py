"""Deciding a graph against the work directories: each job cached (and where) or stale,
and why — said against the closest earlier job of its method, a removed directory or a
failed attempt. Reads what it needs once per plan; the decisions themselves are ``plan``'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from acbuild import plan
from acbuild.graph import JobSpec
from acbuild.store import Found, JobStore
from acbuild.workdir import read_sources

# A stale job's reason is said against the closest of this many newest jobs of its method:
# enough that each job a script makes in a loop finds its own earlier version.
PEERS = 1000


def decide(specs: Sequence[JobSpec], store: JobStore,
           built_this_run: frozenset[str] = frozenset(),
           sources_of: Callable[[str], Mapping[str, bytes]] | None = None
           ) -> list[plan.Decision]:
    """Plan ``specs`` against the store; each stale job gets a reason from its closest peer.
    ``sources_of`` (method -> its source files now) lets a code change name its files."""
    first = plan.plan_jobs(specs, store.find(s.hash for s in specs), None, built_this_run)
    stale = [d.spec for d in first if d.build]
    if not stale:
        return first
    reasons = _Reasons(store, stale, sources_of)
    for decision in first:  # inputs come first: a job's reason may cite theirs
        if decision.build:
            reasons.add(decision.spec, forced=decision.reason == "forced")
    return plan.plan_jobs(specs, {d.spec.hash: d.found for d in first if d.found},
                          reasons.whys, built_this_run)


class _Reasons:
    """Why each stale job of one plan is built: what the store knows of its method's earlier
    jobs, of removed directories and of failed attempts, read once for the plan."""

    def __init__(self, store: JobStore, stale: Sequence[JobSpec],
                 sources_of: Callable[[str], Mapping[str, bytes]] | None):
        self.store = store
        self.sources_of = sources_of
        self.whys: dict[str, plan.Why] = {}
        self.removed = store.removed(s.hash for s in stale)
        self.failed = store.failed()
        self._peers: dict[str, plan.Peers] = {}
        self._changed: dict[tuple[str, str], list[str]] = {}  # stale jobs share peers

    def add(self, spec: JobSpec, forced: bool) -> None:
        if forced:
            why = plan.Why("forced", "forced", (f"{spec.method}: forced",))
        elif spec.hash in self.removed:
            why = plan.Why(f"its directory was removed ({self.removed[spec.hash]})", "removed",
                           (f"{spec.method}: directory removed",))
        else:
            stale_inputs = {name: self.whys[h] for name, h in spec.inputs if h in self.whys}
            code_files = None if self.sources_of is None else (
                lambda job: self._changed_files(spec.method, job))
            why = plan.why_stale(plan.identity_view(spec), self._peers_of(spec.method),
                                 stale_inputs, code_files)
        if spec.id in self.failed and not forced:
            why = dataclasses.replace(why, text=f"{why.text}; the last attempt failed")
        self.whys[spec.hash] = why

    def _peers_of(self, method: str) -> plan.Peers:
        if method not in self._peers:
            self._peers[method] = plan.Peers([
                (job, setup.get("identity", {}))
                for job, setup in self.store.previous_setups(method, PEERS)])
        return self._peers[method]

    def _changed_files(self, method: str, job: Found) -> list[str]:
        """The source files that differ between an earlier job's copies and the code now."""
        assert self.sources_of is not None
        key = (method, job.id)
        if key not in self._changed:
            self._changed[key] = plan.changed_files(read_sources(job.path),
                                                    self.sources_of(method))
        return self._changed[key]
