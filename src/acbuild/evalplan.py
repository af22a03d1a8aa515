"""What one evaluation of a build script has planned already: the jobs that a later read
of a result (``handle.load()``) need not decide again.

Reading a result decides the job and its ancestors and builds what is stale. Deciding all
the ancestors at every read cost the reads times the ancestors: a script that loads each
job of a 1,000-step chain decided half a million jobs. Here a job this evaluation built or
fetched is final (the run never builds it twice); one it reused stays settled until
anything is built (a build can make a reused job stale: an input rebuilt, a subjob built
again in place) or a job is forced anew in the graph. ``wanted`` walks from the job read
through the jobs not settled and stops at settled ones; the caller decides those, and the
whole ancestry as before when that plan would build while a reused job is among the
ancestors (so what a build can change is decided as it always was). Pure bookkeeping:
decides, reads and builds nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice

from acbuild.graph import Graph, JobSpec

FINAL = frozenset(["built", "fetched"])
# How many specs the plans of reads decided (all processes: tests and profiles read it).
COUNTS = {"reads": 0, "decided": 0}


class Planned:
    """The settled jobs of one evaluation; ``state_of`` gives a job's outcome in this run
    (built, fetched, reused, failed, skipped) or None (a command that builds nothing keeps
    only what it found cached: ``note`` says so)."""

    def __init__(self, graph: Graph, state_of: Callable[[str], str | None]):
        self.graph = graph
        self._state_of = state_of
        self._reused: set[str] = set()  # decided cached since the last build
        self._revision = graph.revision
        self._positions: dict[str, int] = {}  # the graph's order, learnt as it grows

    def wanted(self, target: JobSpec) -> tuple[list[JobSpec], bool]:
        """The ancestors of ``target`` to decide, ``target`` always among them, in the
        graph's order (inputs first); and whether a reused job was among those left out."""
        if self.graph.revision != self._revision:  # a job forced anew: reused ones may read it
            self._revision = self.graph.revision
            self._reused.clear()
        specs = self.graph.specs
        wanted: set[str] = set()
        met_reused = False
        stack = [target.hash]
        while stack:
            h = stack.pop()
            if h in wanted:
                continue
            if h != target.hash:
                settled = self._settled(specs[h])
                if settled:
                    met_reused = met_reused or settled == "reused"
                    continue
            wanted.add(h)
            stack.extend(specs[h].input_hashes)
        COUNTS["reads"] += 1
        COUNTS["decided"] += len(wanted)
        return self._in_order(wanted), met_reused

    def _settled(self, spec: JobSpec) -> str:
        """"final", "reused", or "" for a job to decide."""
        state = self._state_of(spec.hash)
        if state in FINAL:
            return "final"
        if spec.hash in self._reused and not spec.force:
            return "reused"
        return ""

    def final(self, target: JobSpec) -> bool:
        """Whether this run built or fetched ``target`` already (its directory is the one)."""
        return self._state_of(target.hash) in FINAL

    def note(self, decided: Iterable[tuple[JobSpec, bool]]) -> None:
        """What a plan decided ((spec, to build)): its cached jobs are settled, unless it
        builds anything; then no reused job is settled any more."""
        decided = list(decided)
        if any(build for _, build in decided):
            self._reused.clear()
        else:  # (one a run gave another outcome, as skipped, is decided again when read)
            self._reused.update(spec.hash for spec, _ in decided
                                if self._state_of(spec.hash) in (None, "reused"))

    def forget(self) -> None:
        """Something changed the work directory (a fetch): nothing reused is settled."""
        self._reused.clear()

    def _in_order(self, hashes: set[str]) -> list[JobSpec]:
        specs = self.graph.specs
        known = len(self._positions)
        if len(specs) > known:  # the new jobs are the last ones: read from the end
            for h in reversed(list(islice(reversed(specs), len(specs) - known))):
                self._positions[h] = len(self._positions)
        order = sorted(hashes, key=self._positions.__getitem__)
        return [specs[h] for h in order]
