"""Deciding a graph against the work directories: each job cached (and where) or stale,
and why — said against the closest earlier job of its method, a removed or damaged
directory, files changed since the job was built, or a failed attempt. Reads what it needs
once per plan; the decisions themselves are ``plan``'s, and whether a job is built and
intact is the store's.
"""

from __future__ import annotations

import collections
import functools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from acbuild import plan
from acbuild.errors import StorageError
from acbuild.graph import JobSpec
from acbuild.jobrecords import read_sources
from acbuild.store import Found, JobStore

# A stale job's reason is said against the closest of this many newest jobs of its method:
# enough that each job a script makes in a loop finds its own earlier version.
PEERS = 1000
# A method with at most this many stale jobs has each one's few candidates read
# (``jobs_like``, a query each); with more, its 1,000 newest jobs are read once for all.
_FEW = 4
# How a dependent's reason names a job rebuilt for what became of its directory.
_ROOTS = {"removed": "directory removed", "damaged": "directory damaged",
          "modified": "files changed since it was built", "subjob": "a subjob changed",
          "input newer": "an input rebuilt after it"}


def decide(specs: Sequence[JobSpec], store: JobStore,
           built_this_run: frozenset[str] = frozenset(),
           sources_of: Callable[[str], Mapping[str, bytes]] | None = None,
           files_of: Iterable[str] = (),
           code_of: Callable[[str], str | None] | None = None,
           on_stale: Callable[[], None] | None = None) -> list[plan.Decision]:
    """Plan ``specs`` against the store; each stale job gets a reason from its closest peer.
    ``sources_of`` (method -> its source files now) lets a code change name its files.

    A cached job that a job to build reads, and each one in ``files_of`` (a result the
    script loads), is checked for damaged records and for files changed since it was built:
    one that is either is built again (what it reads is then checked too). The other cached
    jobs cost no more than the store's look at their post.json: a no-op run stats no output
    file (`status` looks at them all: ``look_at_cached``).

    ``code_of`` (method -> its code hash today, None if gone) makes a cached job whose
    recorded subjob would be a different job today stale, and the cached jobs that read it.

    ``on_stale`` hears, once, that the plan builds a job, before the reasons are said (the
    session starts the job launcher then: its start overlaps the rest of the planning).
    """
    found = store.find(s.hash for s in specs)
    if (on_stale is not None and len(found) < len(specs)
            and any(s.hash not in found for s in specs)):
        # A job no work directory has is built: the launcher starts now, its interpreter's
        # start overlapping the rest of the planning too (a no-op run finds every job).
        on_stale()
        on_stale = None
    subjobs = {} if code_of is None else _subjobs_changed(specs, found, store, code_of)
    if subjobs:
        found = {h: f for h, f in found.items() if h not in subjobs}
    modified = dict(subjobs)
    checked: set[str] = set()
    while True:  # a job built again in place makes what reads it stale: until none is left
        first = plan.plan_jobs(specs, found, None, built_this_run)
        more = {**_modified(first, found, store, files_of, checked),
                **_inputs_newer(specs, first, found, store)}
        if not more:
            break
        modified.update(more)
        found = {h: f for h, f in found.items() if h not in more}
    stale = [d.spec for d in first if d.build]
    if not stale:
        return first
    if on_stale is not None:
        on_stale()
    reasons = _Reasons(store, stale, sources_of, modified)
    for decision in first:  # inputs come first: a job's reason may cite theirs
        if decision.build:
            reasons.add(decision.spec, forced=decision.reason == "forced")
    return plan.plan_jobs(specs, {d.spec.hash: d.found for d in first if d.found},
                          reasons.whys, built_this_run)


def _subjobs_changed(specs: Sequence[JobSpec], found: Mapping[str, Found], store: JobStore,
                     code_of: Callable[[str], str | None]) -> dict[str, tuple[str, str]]:
    """The cached jobs to build again because a subjob they recorded would be a different
    job today, and the cached jobs that read one of those (its result may change):
    hash -> ("subjob", words)."""
    changed = {h: ("subjob", why) for h, why in store.changed_subjobs(found, code_of).items()}
    if not changed:
        return changed
    for spec in specs:  # in topological order: a reader after what it reads
        if spec.hash in found and spec.hash not in changed:
            rebuilt = next((i for i in spec.input_hashes if i in changed), None)
            if rebuilt is not None:
                changed[spec.hash] = ("subjob", f"its input {_id_of(specs, rebuilt)} is built "
                                                f"again ({changed[rebuilt][1]})")
    return changed


def _inputs_newer(specs: Sequence[JobSpec], decisions: Sequence[plan.Decision],
                  found: Mapping[str, Found], store: JobStore) -> dict[str, tuple[str, str]]:
    """The cached jobs that read a job built after them, or one this plan builds again
    under the same id (its result may change): they hold a result of an earlier build of
    their input. hash -> ("input newer", words); ("subjob", words) for a parent whose
    subjob this plan builds again. No file read: the rows' order suffices."""
    building = {d.spec.hash: d.spec.id for d in decisions if d.build}
    newer: dict[str, tuple[str, str]] = {}
    subjobs = store.subjobs() if building else {}  # (a subjob built after: changed_subjobs)
    # The cached jobs that read a job or have subjobs, each job's inputs listed once (a
    # no-op run of 10,000 jobs does this for each of them).
    readers = []
    for spec in specs:
        reader = found.get(spec.hash)
        if reader is not None:
            inputs = _input_hashes(spec.inputs)
            if inputs or spec.hash in subjobs:
                readers.append((spec, reader, inputs))
    # An input not planned here (a subjob's: decided alone) is looked up: all in one find.
    # A job planned here is found or built (``plan_jobs``): only those two are looked in.
    outside = {h for _, _, inputs in readers for h in inputs
               if h not in found and h not in building}
    elsewhere = store.find(outside) if outside else {}
    for spec, reader, inputs in readers:  # in topological order: a reader after its inputs
        if subjobs:
            for row in subjobs.get(spec.hash, ()):
                if row.hash in building:  # a job of the script, built again in place now
                    newer[spec.hash] = ("subjob", f"its subjob {row.id} is built again")
            if spec.hash in newer:
                continue
        for h in inputs:  # each job of a list input too
            if h in building or h in newer:
                why = f"its input {building.get(h) or found[h].id} is built again"
            else:
                job = found.get(h) or elsewhere.get(h)
                if job is None or not store.built_after(job, reader):
                    continue
                why = f"its input {job.id} was rebuilt after this job was built"
            newer[spec.hash] = ("input newer", why)
            break
    return newer


def _input_hashes(inputs: Iterable[tuple[str, Any]]) -> list[str]:
    """``JobSpec.input_hashes``, without the (name, job) pairs it makes first (~1 µs a job
    with inputs: a no-op run lists every cached job's)."""
    hashes: list[str] = []
    for _, ref in inputs:
        if type(ref) is tuple:
            hashes.extend(r for r in ref if r is not None)
        elif ref is not None:
            hashes.append(ref)
    return hashes


def _id_of(specs: Sequence[JobSpec], job_hash: str) -> str:
    return next((s.id for s in specs if s.hash == job_hash), job_hash)


def _modified(decisions: Sequence[plan.Decision], found: Mapping[str, Found], store: JobStore,
              also: Iterable[str], checked: set[str]) -> dict[str, tuple[str, str]]:
    """The cached jobs to look at (inputs of jobs to build, and ``also``) whose records are
    damaged or whose files changed since they were built: hash -> (cause, words). Those in
    ``checked`` were looked at already; the ones looked at now are added to it."""
    todo = [h for d in decisions if d.build for h in d.spec.input_hashes]
    todo.extend(also)
    modified: dict[str, tuple[str, str]] = {}
    specs = {d.spec.hash: d.spec for d in decisions} if todo else {}
    while todo:
        h = todo.pop()
        if h in checked or h not in found:
            continue
        checked.add(h)
        change = store.checks.problem(found[h].location)
        if change:
            modified[h] = change
            if h in specs:  # built again now: what it reads is read again
                todo.extend(specs[h].input_hashes)
    return modified


def earlier_jobs(store: JobStore, method: str, limit: int = PEERS) -> plan.Peers:
    """The newest ``limit`` jobs of ``method``, to find a stale job's closest one among: from
    the database's index, each view read and parsed only if it is compared. A job the index
    lacks (recorded by an older acbuild, by doctor, by a fetch) is read from its setup.json
    once, and indexed for the next time."""
    return _peers(store, store.previous_identities(method, limit))


def jobs_like(store: JobStore, method: str, key: str, limit: int = PEERS) -> plan.Peers | None:
    """The earlier jobs a job whose options key is ``key`` is compared with, as
    ``earlier_jobs`` would give them to ``Peers.closest``, without reading the others: a
    plan with one stale job reads a few rows, not 1,000. None: read them all."""
    entries = store.identity_candidates(method, limit, key, plan.Peers.NEWEST)
    if entries is None:
        return None
    peers = _peers(store, entries)
    # One whose setup.json cannot be read is left out: the newest others are then not the
    # same as earlier_jobs', which reads them all.
    return peers if len(peers.jobs()) == len(entries) else None


def _peers(store: JobStore, found: Iterable[tuple[Found, str | None, Callable[[], str | None]]]
           ) -> plan.Peers:
    entries: list[tuple[Found, str, plan.View]] = []
    read: list[tuple[Found, str, str]] = []
    for job, key, text_of in found:
        if key is not None:
            entries.append((job, key, functools.partial(_indexed_view, store, job, text_of)))
            continue
        try:
            view = store.setup_of(job).get("identity") or {}
        except StorageError:
            continue
        key = plan.options_key(view)
        entries.append((job, key, view))
        read.append((job, key, json.dumps(view, sort_keys=True)))
    if read:
        store.index_identities(read)
    return plan.Peers.indexed(entries)


def _indexed_view(store: JobStore, job: Found, text_of: Callable[[], str | None]
                  ) -> Mapping[str, Any]:
    """An indexed job's view; its setup.json's if the row went away since its key was read."""
    text = text_of()
    if text is not None:
        view: Mapping[str, Any] = json.loads(text)
        return view
    try:
        return store.setup_of(job).get("identity") or {}
    except StorageError:
        return {}


def look_at_cached(decisions: Sequence[plan.Decision], store: JobStore
                   ) -> tuple[list[plan.Decision], list[str]]:
    """`status`'s look at every cached job's records and files (a stat per file; post.json
    read only where the index of its files lacks it: ``JobChecks.problems``). One that
    changed stays cached — a run reuses it as it is, as no job reads it; it is rebuilt
    before one does — but says so: in its reason, and in a warning."""
    looked: list[plan.Decision] = []
    warnings = []
    problems = store.checks.problems(d.found for d in decisions if not d.build)
    for decision in decisions:
        problem = None if decision.build else problems.get(decision.spec.hash)
        if problem is None:
            looked.append(decision)
            continue
        cause, text = problem
        job_id = decision.spec.id
        looked.append(decision._replace(reason=f"cached, but {text}"))
        shows = f"acbuild verify {job_id}" if cause == "modified" else "acbuild doctor"
        warnings.append(f"{job_id}: {text}; a run builds it again before a job reads it "
                        f"(`{shows}` says more)")
    return looked, warnings


class _Reasons:
    """Why each stale job of one plan is built: what the store knows of its method's earlier
    jobs, of removed or damaged directories, of changed files and of failed attempts, read
    once for the plan."""

    def __init__(self, store: JobStore, stale: Sequence[JobSpec],
                 sources_of: Callable[[str], Mapping[str, bytes]] | None,
                 modified: Mapping[str, tuple[str, str]]):
        self.store = store
        self.sources_of = sources_of
        self.whys: dict[str, plan.Why] = {}
        self.modified = modified
        self.unusable = store.unusable(s.hash for s in stale if s.hash not in modified)
        self.failed = store.failed()
        self._peers: dict[str, plan.Peers] = {}
        self._stale_of = collections.Counter(s.method for s in stale)
        self._changed: dict[tuple[str, str], list[str]] = {}  # stale jobs share peers

    def add(self, spec: JobSpec, forced: bool) -> None:
        if forced:
            why = plan.Why("forced", "forced", (f"{spec.method}: forced",))
        elif spec.hash in self.modified:
            cause, text = self.modified[spec.hash]
            why = plan.Why(text, cause, (f"{spec.method}: {_ROOTS[cause]}",))
        elif spec.hash in self.unusable:
            cause, text = self.unusable[spec.hash]
            why = plan.Why(text, cause, (f"{spec.method}: {_ROOTS[cause]}",))
        else:
            stale_inputs = _stale_inputs(spec, self.whys)
            code_files = None if self.sources_of is None else (
                lambda job: self._changed_files(spec.method, job))
            view = plan.identity_view(spec)
            why = plan.why_stale(view, self._peers_of(spec.method, view),
                                 stale_inputs, code_files)
        if spec.id in self.failed and not forced:
            why = why._replace(text=f"{why.text}; the last attempt failed")
        self.whys[spec.hash] = why

    def _peers_of(self, method: str, view: Mapping[str, Any]) -> plan.Peers:
        if method not in self._peers and self._stale_of[method] <= _FEW:
            like = jobs_like(self.store, method, plan.options_key(view))
            if like is not None:
                return like
        if method not in self._peers:
            self._peers[method] = earlier_jobs(self.store, method)
        return self._peers[method]

    def _changed_files(self, method: str, job: Found) -> list[str]:
        """The source files that differ between an earlier job's copies and the code now."""
        assert self.sources_of is not None
        key = (method, job.id)
        if key not in self._changed:
            self._changed[key] = plan.changed_files(read_sources(job.path),
                                                    self.sources_of(method))
        return self._changed[key]


def _stale_inputs(spec: JobSpec, whys: Mapping[str, plan.Why]) -> dict[str, plan.Why]:
    """input name -> why it is rebuilt; a list input's, the first of its rebuilt jobs'."""
    stale: dict[str, plan.Why] = {}
    for name, ref in spec.inputs:
        for h in (ref if isinstance(ref, tuple) else (ref,)):
            if h is not None and h in whys:
                stale.setdefault(name, whys[h])
    return stale
