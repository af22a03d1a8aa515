"""``analysis_res``: every slice's return, in slice order, read once, and merged by
``merge_auto()`` as the Accelerator merges them.

The merge rules, applied at every depth: numbers add; dicts (and Counters, and
defaultdicts) merge key by key; sets unite; lists concatenate; any other value (a str,
None, a bool, a tuple inside a dict) must be equal in every slice that has it. Values
of different kinds under one key are an error that names the key: a silent pick of one
slice's value would be a wrong result nobody sees. Tuples at the top (a slice returning
``(count, dict)``) merge position by position.

Standard library only: the job process imports this.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from numbers import Number
from typing import Any


class MergeError(ValueError):
    """Two slices' values cannot be merged; the message names where."""


class AnalysisResults(list[Any]):
    """What synthesis receives as ``analysis_res``: a list of the slices' returns, which
    is read once (as in the Accelerator: reading it twice is almost always a bug, the
    second pass silently seeing nothing), and has ``merge_auto()``."""

    def __init__(self, values: Iterable[Any] = ()):
        super().__init__(values)
        self._read = False

    def __iter__(self) -> Iterator[Any]:
        if self._read:
            raise RuntimeError("analysis_res is read once, and it was read already; keep "
                               "list(analysis_res) to read the slices' returns again")
        self._read = True
        return super().__iter__()

    def __reduce__(self) -> tuple[Any, ...]:
        # Returned as (part of) a result, it is the plain list it holds.
        return (list, (list(super().__iter__()),))

    def merge_auto(self, allow_overwrite: bool = False) -> Any:
        """Every slice's return merged into one value (see the module's rules);
        ``allow_overwrite``: where the slices disagree, the later slice's value wins (the
        Accelerator's behaviour before 2025.11)."""
        if self._read:
            raise RuntimeError("analysis_res.merge_auto() after analysis_res was read")
        self._read = True
        return merge_all(list(super().__iter__()), allow_overwrite)


def merge_all(values: list[Any], allow_overwrite: bool = False) -> Any:
    """The values merged, in order; tuples of equal length merge position by position."""
    if not values:
        return None
    if all(type(v) is tuple for v in values) and len({len(v) for v in values}) == 1:
        return tuple(merge_all([v[i] for v in values], allow_overwrite)
                     for i in range(len(values[0])))
    merged = values[0]
    for sliceno, value in enumerate(values[1:], 1):
        try:
            merged = merge(merged, value, (), allow_overwrite)
        except MergeError as e:
            raise MergeError(f"{e} (merging slice {sliceno} into slices 0-{sliceno - 1})"
                             ) from None
    return merged


def merge(a: Any, b: Any, path: tuple[Any, ...] = (), allow_overwrite: bool = False) -> Any:
    """``b`` merged into ``a`` (which a dict, list or set becomes: the slices' values are
    fresh from their pickles, nobody else holds them). ``path``: the keys to here;
    ``allow_overwrite``: ``b`` replaces an ``a`` it cannot merge with."""
    if _is_number(a) and _is_number(b):
        return a + b
    if isinstance(a, dict) and isinstance(b, dict):
        for key, value in b.items():
            a[key] = (merge(a[key], value, (*path, key), allow_overwrite) if key in a
                      else value)
        return a
    if isinstance(a, list) and isinstance(b, list):
        a.extend(b)
        return a
    if isinstance(a, frozenset) and isinstance(b, (set, frozenset)):
        return a | b
    if isinstance(a, set) and isinstance(b, (set, frozenset)):
        a.update(b)
        return a
    if allow_overwrite:
        return b
    where = "".join(f"[{key!r}]" for key in path)
    what = f"the value at key {where}" if path else "the value"
    if _kind(a) != _kind(b):
        raise MergeError(f"merge_auto: {what} is {_a(a)} in one slice and {_a(b)} in "
                         "another")
    if a != b:
        raise MergeError(f"merge_auto: {what} is {a!r} in one slice and {b!r} in another; "
                         f"{_a(a)} is not added up (only numbers, dicts, lists "
                         "and sets are), so the slices must agree on it")
    return a


def _is_number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    if _is_number(value):
        return "number"
    for kind in (dict, list, set, frozenset):
        if isinstance(value, kind):
            return "set" if kind is frozenset else kind.__name__
    return type(value).__name__


def _a(value: Any) -> str:
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
