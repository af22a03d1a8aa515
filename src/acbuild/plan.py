"""Planning: for each job of a graph, cached (and where) or build (and why).

Pure: a function of the specs, what is finished, and what the closest earlier
jobs were. It reads no file and starts nothing; the reasons it returns are
what ``status``, ``run`` and ``explain`` print.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from acbuild import canonical
from acbuild.graph import JobSpec


class FoundJob(Protocol):
    @property
    def id(self) -> str: ...


@dataclass(frozen=True)
class Decision:
    spec: JobSpec
    build: bool
    reason: str  # for a job to build: why, in words a person can act on
    found: Any = None  # for a cached job: where it is (a store.Found)

    @property
    def state(self) -> str:
        return "stale" if self.build else "cached"


def plan_jobs(
    specs: Sequence[JobSpec],
    finished: Mapping[str, Any],
    reasons: Mapping[str, str] | None = None,
    built_this_run: frozenset[str] = frozenset(),
) -> list[Decision]:
    """Decide every spec (given in topological order). ``reasons`` refine "never built"."""
    reasons = reasons or {}
    stale: dict[str, str] = {}
    decisions = []
    for spec in specs:
        if spec.force and spec.hash not in built_this_run:
            decisions.append(Decision(spec, True, "forced"))
            stale[spec.hash] = spec.id
            continue
        found = finished.get(spec.hash)
        if found is not None:
            decisions.append(Decision(spec, False, "cached", found))
            continue
        reason = reasons.get(spec.hash) or "never built"
        decisions.append(Decision(spec, True, reason))
        stale[spec.hash] = spec.id
    return decisions


def identity_view(spec: JobSpec) -> dict[str, Any]:
    """The parts of a job's identity a person compares, in setup.json's form."""
    return {
        "method": spec.method,
        "code": spec.code_hash,
        "options": canonical.to_json(dict(spec.options)),
        "inputs": dict(spec.input_ids),
        "input_hashes": dict(spec.inputs),
        "slices": spec.slices,
    }


def differences(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[str]:
    """What differs between two identity views, each as a short sentence."""
    found = []
    if new.get("code") != old.get("code"):
        found.append(f"code of {new.get('method')} changed")
    found.extend(_option_differences(new.get("options") or {}, old.get("options") or {}))
    new_inputs, old_inputs = new.get("input_hashes") or {}, old.get("input_hashes") or {}
    new_ids, old_ids = new.get("inputs") or {}, old.get("inputs") or {}
    for name in sorted(set(new_inputs) | set(old_inputs)):
        if new_inputs.get(name) != old_inputs.get(name):
            found.append(f"input {name} changed ({old_ids.get(name)} → {new_ids.get(name)})")
    if new.get("slices") != old.get("slices"):
        found.append(f"slices {old.get('slices')} → {new.get('slices')}")
    return found


def _option_differences(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for name in sorted(set(new) | set(old)):
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        files_a, files_b = _files(a), _files(b)
        if files_a and files_b and [p for p, _ in files_a] == [p for p, _ in files_b]:
            changed = [p for (p, x), (_, y) in zip(files_a, files_b) if x != y]
            if changed:
                found.extend(f"input file {p} changed" for p in changed)
                continue
        found.append(f"option {name}: {_short(a)} → {_short(b)}")
    return found


def _files(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        if "$file" in value:
            return [(value["$file"], value.get("blake3", ""))]
        return [f for v in value.values() for f in _files(v)]
    if isinstance(value, list):
        return [f for v in value for f in _files(v)]
    return []


def _short(value: Any, limit: int = 40) -> str:
    if isinstance(value, dict) and "$file" in value:
        text = f"file {value['$file']}"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def closest(new: Mapping[str, Any], candidates: Sequence[tuple[Any, Mapping[str, Any]]]
            ) -> tuple[Any, list[str]] | None:
    """The candidate (newest first) with the fewest differences, and those differences."""
    best = None
    for job, view in candidates:
        diff = differences(new, view)
        if best is None or len(diff) < len(best[1]):
            best = (job, diff)
    return best


def stale_reason(new: Mapping[str, Any], candidates: Sequence[tuple[Any, Mapping[str, Any]]],
                 stale_inputs: Mapping[str, str]) -> str:
    """Why a job is new, said against its closest earlier job of the same method."""
    best = closest(new, candidates)
    if best is None:
        return "never built"
    job, diff = best
    if not diff:
        return "never built"
    text = "; ".join(_with_cause(d, stale_inputs) for d in diff)
    return f"{text} (since {job.id})"


def _with_cause(difference: str, stale_inputs: Mapping[str, str]) -> str:
    for name, cause in stale_inputs.items():
        if difference.startswith(f"input {name} changed"):
            return f"input {name} is new too ({cause.split(' (since')[0]})"
    return difference
