"""Planning: for each job of a graph, cached (and where) or build (and why).

Pure: a function of the specs, what is finished, and what the closest earlier
jobs were. It reads no file and starts nothing; the reasons it returns are
what ``status``, ``run`` and ``explain`` print.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from acbuild import canonical
from acbuild.graph import JobSpec


class FoundJob(Protocol):
    @property
    def id(self) -> str: ...


class Decision(NamedTuple):
    """One job of a plan: cached or to build, and why (a named tuple: a plan has one per job)."""

    spec: JobSpec
    build: bool
    reason: str  # for a job to build: why, in words a person can act on
    found: Any = None  # for a cached job: where it is (a store.Found)
    cause: str = ""  # for a job to build: the main cause, one of Why.cause's words
    since: str = ""  # for a job to build: the id of the job the reason is said against

    @property
    def state(self) -> str:
        return "stale" if self.build else "cached"

    def record(self) -> dict[str, Any]:
        """Why a job to build is built, as its setup.json keeps it (``built_because``):
        what the run said, not what a later look at the work directory would say."""
        return {"reason": self.reason, "cause": self.cause,
                "compared_with": self.since or None}


def plan_jobs(
    specs: Sequence[JobSpec],
    finished: Mapping[str, Any],
    reasons: Mapping[str, Why | str] | None = None,
    built_this_run: frozenset[str] = frozenset(),
) -> list[Decision]:
    """Decide every spec (given in topological order). ``reasons`` refine "never built"."""
    reasons = reasons or {}
    decisions = []
    make = tuple.__new__  # a cached job's Decision without its __new__'s call: 10,000 a plan
    for spec in specs:
        if spec.force and spec.hash not in built_this_run:
            decisions.append(Decision(spec, True, "forced", None, "forced"))
            continue
        found = finished.get(spec.hash)
        if found is not None:
            decisions.append(make(Decision, (spec, False, "cached", found, "", "")))
            continue
        why = reasons.get(spec.hash) or "never built"
        if isinstance(why, str):
            why = Why(why, "never built" if why == "never built" else "", ())
        decisions.append(Decision(spec, True, why.text, None, why.cause, why.since))
    return decisions


def identity_view(spec: JobSpec) -> dict[str, Any]:
    """The parts of a job's identity a person compares, in setup.json's form."""
    return {
        "method": spec.method,
        "code": spec.code_hash,
        "options": canonical.to_json(dict(spec.options)),
        "inputs": _listed(spec.input_ids),
        "input_hashes": _listed(spec.inputs),
        "slices": spec.slices,
    }


def _listed(inputs: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """Inputs as setup.json has them: a list input's jobs a list (JSON has no tuple)."""
    return {name: list(ref) if type(ref) is tuple else ref for name, ref in inputs}


class Difference(NamedTuple):  # not a dataclass: cheaper to make at import
    """One way a job differs from an earlier one of its method."""

    kind: str  # code, option, input file, input, slices
    name: str  # the option, input or file it is about ("" for code and slices)
    text: str  # in words: "option n: 3 → 4"


class Why(NamedTuple):  # not a dataclass: cheaper to make at import
    """Why a job is built: the words, the main cause (for summaries), and the root causes
    its dependents cite ("clean: option min_units: 1 → 2") instead of nesting reasons."""

    text: str
    cause: str  # never built, code, option, input file, input, input rebuilt, slices, forced
    roots: tuple[str, ...]
    since: str = ""  # the id of the earlier job it is said against ("" when none)


ROOTS_SHOWN = 3  # a downstream reason names at most this many root causes
# A Why keeps at most this many roots (one more marks "more than that"): down a chain of
# thousands of rebuilt jobs, each carrying all of its upstream roots took minutes.
ROOTS_KEPT = 50


def compare(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Difference]:
    """What differs between two identity views."""
    found = []
    if new.get("code") != old.get("code"):
        found.append(Difference("code", "", f"code of {new.get('method')} changed"))
    found.extend(_option_differences(new.get("options") or {}, old.get("options") or {}))
    new_inputs, old_inputs = new.get("input_hashes") or {}, old.get("input_hashes") or {}
    new_ids, old_ids = new.get("inputs") or {}, old.get("inputs") or {}
    for name in sorted(set(new_inputs) | set(old_inputs)):
        if new_inputs.get(name) != old_inputs.get(name):
            found.append(Difference("input", name, f"input {name} changed "
                                    f"({old_ids.get(name)} → {new_ids.get(name)})"))
    if new.get("slices") != old.get("slices"):
        found.append(Difference("slices", "",
                                f"slices {old.get('slices')} → {new.get('slices')}"))
    return found


def differences(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[str]:
    """What differs between two identity views, each as a short sentence."""
    return [d.text for d in compare(new, old)]


def _option_differences(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[Difference]:
    found: list[Difference] = []
    for name in sorted(set(new) | set(old)):
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        files_a, files_b = _files(a), _files(b)
        if files_a and files_b and [p for p, _ in files_a] == [p for p, _ in files_b]:
            changed = [p for (p, x), (_, y) in zip(files_a, files_b) if x != y]
            if changed:
                found.extend(Difference("input file", p, f"input file {p} changed")
                             for p in changed)
                continue
        found.append(Difference("option", name, f"option {name}: {_short(a)} → {_short(b)}"))
    return found


def option_files(options: Any) -> list[tuple[str, str]]:
    """(path, blake3) of every input file in options of the setup.json form."""
    return _files(options)


def _files(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        if "$file" in value:
            return [(value["$file"], value.get("blake3", ""))]
        return [f for v in value.values() for f in _files(v)]
    if isinstance(value, list):
        return [f for v in value for f in _files(v)]
    return []


def _short(value: Any, limit: int = 40) -> str:
    jobfile = value.get("$jobfile") if isinstance(value, dict) else None
    if isinstance(value, dict) and "$file" in value:
        text = f"file {value['$file']}"
    elif isinstance(jobfile, list) and len(jobfile) == 4:  # handle.withfile
        text = f"file {jobfile[2]} of {jobfile[1]}"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def closest(new: Mapping[str, Any], candidates: Sequence[tuple[Any, Mapping[str, Any]]]
            ) -> tuple[Any, list[Difference]] | None:
    """The candidate (newest first) with the fewest differences, and those differences."""
    best = None
    for job, view in candidates:
        diff = compare(new, view)
        if best is None or len(diff) < len(best[1]):
            best = (job, diff)
    return best


# An earlier job's identity view, or a function that reads it (from the index) when needed.
View = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


class Peers:
    """The earlier jobs of one method (newest first), indexed so that a job's closest one is
    found without comparing it with every one: among those with the same options (input
    files by path) and the newest few.

    Built from (job, view) pairs, or (``indexed``) from the database's index of them, where
    each view is read only when it is compared: a stale job among 1,000 earlier ones reads
    the few that share its options, not all of them.
    """

    NEWEST = 20

    def __init__(self, candidates: Sequence[tuple[Any, Mapping[str, Any]]]):
        self._entries: list[tuple[Any, str, View]] = [
            (job, options_key(view), view) for job, view in candidates]
        self._index()

    @classmethod
    def indexed(cls, entries: Sequence[tuple[Any, str, View]]) -> Peers:
        """(job, its ``options_key``, its view or a function that reads it), newest first."""
        peers = cls.__new__(cls)
        peers._entries = list(entries)
        peers._index()
        return peers

    def _index(self) -> None:
        self._views: dict[int, Mapping[str, Any]] = {}
        self._by_options: dict[str, list[int]] = {}
        for k, (_, key, _) in enumerate(self._entries):
            self._by_options.setdefault(key, []).append(k)

    def where(self, keep: Callable[[Any], bool]) -> Peers:
        """The candidates whose job ``keep`` accepts (views still read only when needed)."""
        return Peers.indexed([e for e in self._entries if keep(e[0])])

    def jobs(self) -> list[Any]:
        return [job for job, _, _ in self._entries]

    def view(self, job: Any) -> Mapping[str, Any]:
        """The identity view of one of the candidates ({} when it is none of them)."""
        for k, entry in enumerate(self._entries):
            if entry[0] is job:
                return self._view(k)
        return {}

    def _view(self, k: int) -> Mapping[str, Any]:
        if k not in self._views:
            view = self._entries[k][2]
            self._views[k] = view() if callable(view) else view
        return self._views[k]

    def closest(self, new: Mapping[str, Any]) -> tuple[Any, list[Difference]] | None:
        ks = self._by_options.get(options_key(new), []) + list(
            range(min(self.NEWEST, len(self._entries))))
        return closest(new, [(self._entries[k][0], self._view(k)) for k in ks])


def options_key(view: Mapping[str, Any]) -> str:
    """A job's options as text, each input file by its path alone: the jobs with the same
    key are the ones a stale job is compared with first."""
    import json

    def without_digests(value: Any) -> Any:
        if isinstance(value, dict):
            if "$file" in value:
                return value["$file"]
            return {k: without_digests(v) for k, v in value.items()}
        if isinstance(value, list):
            return [without_digests(v) for v in value]
        return value
    return json.dumps(without_digests(view.get("options") or {}), sort_keys=True)


def changed_files(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> list[str]:
    """The source files (project-relative) that differ, appeared or went away."""
    return sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))


def why_stale(new: Mapping[str, Any],
              candidates: Peers | Sequence[tuple[Any, Mapping[str, Any]]],
              stale_inputs: Mapping[str, Why],
              code_files: Callable[[Any], Sequence[str]] | None = None) -> Why:
    """Why a job is new, said against its closest earlier job of the same method. An input
    that is rebuilt too is named with the root causes upstream, never a nested reason."""
    method = new.get("method")
    best = (candidates.closest(new) if isinstance(candidates, Peers)
            else closest(new, candidates))
    if best is None or not best[1]:
        return Why("never built", "never built", (f"{method}: never built",))
    job, diff = best
    own = [d for d in diff if not (d.kind == "input" and d.name in stale_inputs)]
    rebuilt = [d.name for d in diff if d.kind == "input" and d.name in stale_inputs]
    own_texts = [_with_files(d, job, code_files) for d in own]
    parts = [f"{'; '.join(own_texts)} (since {job.id})"] if own else []
    parts.extend(f"input {name} is rebuilt ({roots_text(stale_inputs[name].roots)})"
                 for name in rebuilt)
    text = "; ".join(parts)
    roots = dict.fromkeys([f"{method}: {'; '.join(own_texts)}".replace(
        f"code of {method} changed", "code changed")] if own else [])
    for name in rebuilt:  # in order, once each (a dict, not a list: no quadratic search)
        roots.update(dict.fromkeys(stale_inputs[name].roots))
    return Why(text, own[0].kind if own else "input rebuilt",
               tuple(roots)[: ROOTS_KEPT + 1], job.id)


def _with_files(d: Difference, job: Any, code_files: Callable[[Any], Sequence[str]] | None
                ) -> str:
    if d.kind != "code" or code_files is None:
        return d.text
    files = list(code_files(job))
    if not files:
        return d.text
    more = f" and {len(files) - ROOTS_SHOWN} more" if len(files) > ROOTS_SHOWN else ""
    return f"{d.text} in {', '.join(files[:ROOTS_SHOWN])}{more}"


def roots_text(roots: Sequence[str]) -> str:
    shown = "; ".join(roots[:ROOTS_SHOWN])
    if len(roots) > ROOTS_KEPT:
        return f"{shown}; and more than {ROOTS_KEPT - ROOTS_SHOWN} more"
    more = len(roots) - ROOTS_SHOWN
    return f"{shown}; and {more} more" if more > 0 else shown


def stale_reason(new: Mapping[str, Any], candidates: Sequence[tuple[Any, Mapping[str, Any]]],
                 stale_inputs: Mapping[str, Why]) -> str:
    """Why a job is new, in words (``why_stale`` with the causes)."""
    return why_stale(new, candidates, stale_inputs).text
