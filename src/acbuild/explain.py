"""Why a job is (or was) new: what differs from the closest earlier job of its method.

For a job in a work directory (finished or failed) and for a job of the build
script that is not built yet: options side by side, inputs, input files, the
code hash, and a unified diff of the source files (an earlier job's
``source/`` copies against the job's own, or against the files as they are
now). Returns plain data; never prints. Sits above ``session``: it asks the
session to find a job or to plan the script.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from acbuild import plan
from acbuild.decision import earlier_jobs
from acbuild.errors import JobSpecError, ScriptError, StorageError
from acbuild.jobrecords import read_setup, read_sources
from acbuild.session import Session, describe_job, resolve_job, status_script
from acbuild.store import Found
from acbuild.workdir import FAILED_DIR

EXPLAINED = 10  # without JOB: how many stale jobs are explained in full


class _Earlier:
    """The earlier jobs of each method and their sources, each read once per command."""

    def __init__(self, session: Session):
        self.store = session.store
        self._peers: dict[str, plan.Peers] = {}
        self._sources: dict[Path, dict[str, bytes]] = {}

    def of(self, method: str) -> plan.Peers:
        """The newest jobs of ``method`` (their views read from the index when compared)."""
        if method not in self._peers:
            self._peers[method] = earlier_jobs(self.store, method)
        return self._peers[method]

    def job(self, method: str, job_id: str) -> tuple[Found, Mapping[str, Any]] | None:
        """A finished job of ``method`` by its id, with its identity view; None when it is
        in no work directory (or its setup.json cannot be read)."""
        peers = self.of(method)
        for job in peers.jobs():
            if job.id == job_id:
                return job, peers.view(job)
        for job in self.store.jobs(method):  # an older one than ``of`` reads
            if job.id == job_id:
                try:
                    return job, read_setup(job.path).get("identity") or {}
                except StorageError:
                    return None
        return None

    def sources(self, path: Path) -> dict[str, bytes]:
        if path not in self._sources:
            self._sources[path] = read_sources(path)
        return self._sources[path]


def explain(session: Session, text: str, script: Path) -> dict[str, Any]:
    """Explain JOB: a job in the work directories, else a job of ``script`` not built yet."""
    try:
        path = resolve_job(session, text)
    except JobSpecError as not_found:
        decision = _script_job(session, text, script, not_found)
        return explain_planned(session, decision, _Earlier(session))
    found = None if path.parent.name == FAILED_DIR else session.store.checks.problem(path)
    if found is not None:
        problem = found[1]  # not reused as it is: explained as the script's job it now is, if it is one
        try:
            decision = _script_job(session, path.name, script, JobSpecError(problem))
        except JobSpecError:
            raise JobSpecError(f"{path.name} is not reused as it is: {problem}",
                               where=str(path), hint="a run that needs it builds it again"
                               ) from None
        return explain_planned(session, decision, _Earlier(session))
    return explain_built(session, path, _Earlier(session))


def explain_stale(session: Session, script: Path, limit: int = EXPLAINED) -> dict[str, Any]:
    """The stale jobs of ``script`` that changed themselves, the first ``limit`` in full;
    the ones stale only because an input is rebuilt follow them and are only named."""
    result = status_script(session, script)
    earlier = _Earlier(session)
    changed = [d for d in result.decisions if d.build and d.cause != "input rebuilt"]
    return {"jobs": [explain_planned(session, d, earlier) for d in changed[:limit]],
            "more": [d.spec.id for d in changed[limit:]],
            "followers": [d.spec.id for d in result.decisions if d.cause == "input rebuilt"],
            "stopped_at": result.stopped_text}


def explain_built(session: Session, path: Path, earlier: _Earlier) -> dict[str, Any]:
    """Why a job in a work directory was built: as the run that built it said, against the
    job it compared it with then (``built_because`` in its setup.json). A job built before
    acbuild kept that is explained against the closest job of its method built before it."""
    setup = read_setup(path)
    info = describe_job(path, with_result=False)
    record = setup.get("built_because")
    if isinstance(record, dict) and isinstance(record.get("reason"), str):
        return _recorded(path, info, setup, record, earlier)
    return _derived(path, info, setup, earlier)


def _recorded(path: Path, info: dict[str, Any], setup: dict[str, Any],
              record: dict[str, Any], earlier: _Earlier) -> dict[str, Any]:
    since = record.get("compared_with")
    old = earlier.job(info["method"], since) if isinstance(since, str) else None
    report = _report(info["id"], info["method"], info["state"], str(path),
                     setup.get("identity") or {}, read_sources(path),
                     old[0] if old else None, old[1] if old else {}, record["reason"], earlier)
    if isinstance(since, str) and old is None:  # removed since (gc, or by hand)
        report["compared_with"] = {"id": since, "path": None, "created": None, "gone": True}
    return {**report, "recorded": True}


def _derived(path: Path, info: dict[str, Any], setup: dict[str, Any], earlier: _Earlier
             ) -> dict[str, Any]:
    """A job built before acbuild recorded why: said against the closest job built before."""
    view = setup.get("identity") or {}
    created = setup.get("created") or 0.0
    candidates = earlier.of(info["method"]).where(
        lambda job: job.hash != setup.get("hash") and job.created < created)
    old_job, old_view, diff = _closest(candidates, view)
    reason = (f"{'; '.join(diff)} (since {old_job.id})" if old_job and diff
              else f"the first job of {info['method']}" if old_job is None else "")
    return {**_report(info["id"], info["method"], info["state"], str(path), view,
                      read_sources(path), old_job, old_view, reason, earlier),
            "recorded": False}


def explain_planned(session: Session, decision: plan.Decision, earlier: _Earlier
                    ) -> dict[str, Any]:
    """Why a job of the script is stale (or not): against the jobs there are now."""
    spec = decision.spec
    view = plan.identity_view(spec)
    candidates = earlier.of(spec.method).where(lambda job: job.hash != spec.hash)
    old_job, old_view, _ = _closest(candidates, view)
    path = str(decision.found.path) if decision.found else None
    return {**_report(spec.id, spec.method, decision.state, path, view,
                      session.sources_of(spec.method), old_job, old_view, decision.reason,
                      earlier),
            "recorded": False}


def _script_job(session: Session, text: str, script: Path, not_found: JobSpecError
                ) -> plan.Decision:
    """The job of the script that ``text`` names: its id, a unique prefix, a label, or a
    method with exactly one stale job. Without one, the error that found no built job."""
    try:
        result = status_script(session, script)
    except ScriptError:
        if script.exists():
            raise
        raise not_found from None
    decisions = result.decisions
    for matches in ([d for d in decisions if d.spec.id == text or d.spec.label == text],
                    [d for d in decisions if d.spec.id.startswith(text)],
                    [d for d in decisions if d.spec.method == text and d.build]):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            listed = "\n  ".join(d.spec.id for d in matches)
            raise JobSpecError(f"{text!r} matches {len(matches)} jobs of {script.name}:\n  "
                               f"{listed}")
    not_found.message += f" (nor does a job of {script.name})"
    if result.stopped_text:
        not_found.message += f"; {result.stopped_text}"
    raise not_found


def _closest(candidates: plan.Peers, view: Mapping[str, Any]
             ) -> tuple[Found | None, Mapping[str, Any], list[str]]:
    """The closest candidate as status chooses it, its identity view, and the differences."""
    best = candidates.closest(view)
    if best is None:
        return None, {}, []
    old_job, diff = best
    return old_job, candidates.view(old_job), [d.text for d in diff]


def _report(job_id: str, method: str, state: str, path: str | None, view: Mapping[str, Any],
            sources: Mapping[str, bytes], old_job: Found | None, old: Mapping[str, Any],
            reason: str, earlier: _Earlier) -> dict[str, Any]:
    """A job side by side with ``old_job`` (None: nothing to compare with)."""
    old_sources = earlier.sources(old_job.path) if old_job else {}
    return {
        "id": job_id, "method": method, "state": state, "path": path, "reason": reason,
        "compared_with": None if old_job is None else {
            "id": old_job.id, "path": str(old_job.path), "created": old_job.created},
        "differences": plan.differences(view, old) if old_job else [],
        "code": {"old": old.get("code"), "new": view.get("code"),
                 "changed_files": plan.changed_files(old_sources, sources) if old_job else []},
        "options": _side_by_side(view.get("options") or {}, old.get("options") or {}),
        "inputs": _side_by_side(view.get("inputs") or {}, old.get("inputs") or {},
                                view.get("input_hashes") or {}, old.get("input_hashes") or {}),
        "input_files": _files_side_by_side(view.get("options") or {},
                                           old.get("options") or {}),
        "slices": {"old": old.get("slices"), "new": view.get("slices")},
        "source_diff": source_diff(old_sources, sources, old_job.id, job_id) if old_job else "",
    }


def _side_by_side(new: Mapping[str, Any], old: Mapping[str, Any],
                  new_keys: Mapping[str, Any] | None = None,
                  old_keys: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """One row per name: old and new value, and whether they differ (by ``*_keys`` if given:
    an input is compared by its job hash, shown by its id)."""
    new_keys, old_keys = new_keys or new, old_keys or old
    return [{"name": name, "old": old.get(name), "new": new.get(name),
             "changed": bool(old) and old_keys.get(name) != new_keys.get(name)}
            for name in sorted(set(new) | set(old))]


def _files_side_by_side(new: Mapping[str, Any], old: Mapping[str, Any]
                        ) -> list[dict[str, Any]]:
    new_files, old_files = dict(plan.option_files(new)), dict(plan.option_files(old))
    return [{"path": p, "old": old_files.get(p), "new": new_files.get(p),
             "changed": bool(old) and old_files.get(p) != new_files.get(p)}
            for p in sorted(set(new_files) | set(old_files))]


def source_diff(old: Mapping[str, bytes], new: Mapping[str, bytes], old_name: str,
                new_name: str) -> str:
    """A unified diff of two sets of source files, file by file."""
    parts = []
    for relpath in plan.changed_files(old, new):
        a, b = old.get(relpath), new.get(relpath)
        try:
            a_lines = (a or b"").decode().splitlines(keepends=True)
            b_lines = (b or b"").decode().splitlines(keepends=True)
        except UnicodeDecodeError:
            parts.append(f"Binary file {relpath} differs\n")
            continue
        parts.extend(_ended(line) for line in difflib.unified_diff(
            a_lines, b_lines,
            fromfile=f"{old_name}/{relpath}" if a is not None else "/dev/null",
            tofile=f"{new_name}/{relpath}" if b is not None else "/dev/null"))
    return "".join(parts)


def _ended(line: str) -> str:
    return line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"

