"""Strict, lossless conversion of option values: one converter per declared type.

Each converter returns the converted value or raises ``Refused``, which
collects where in a nested value it failed as it travels up. The only
coercions are int -> float, ISO string -> date/datetime/time and str -> Path.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePath
from typing import Any

from acbuild.canonical import (
    JSON_INT_DIGITS,
    JSON_INT_MAX,
    JSON_INT_MIN,
    InputFile,
    JobFile,
    brief,
    datetime_fromisoformat,
    json_int_fits,
    time_fromisoformat,
)
from acbuild.errors import OptionError
from acbuild.job import JobWithFile

Converter = Callable[[Any], Any]
# How deep lists and dicts of a free-form option (a list, dict or None declaration) may nest:
# far beyond any configuration, and far below what a job process's recursion can read back.
MAX_DEPTH = 100
_INT_TEXT = f"int (at most {JSON_INT_DIGITS} digits)"


class Refused(Exception):
    """A value that does not fit; containers add where they are as it travels up."""

    def __init__(self, expected: str, value: object, note: str = ""):
        super().__init__(expected)
        self.expected, self.value, self.note = expected, value, note
        self.path: list[str] = []  # innermost first

    def describe(self) -> str:
        got = "None" if self.value is None else f"{type(self.value).__name__} {show(self.value)}"
        note = f" ({self.note})" if self.note else ""
        where = "".join(reversed(self.path))
        if len(where) > 60:  # deep in a nested value: its first steps say enough
            where = where[:57] + "..."
        return f"{where} expects {self.expected}, got {got}{note}"

    def error(self, method: str, option: str) -> OptionError:
        return OptionError(f"method {method!r}: option {option!r}{self.describe()}")


def show(value: object) -> str:
    if isinstance(value, (date, time)):
        return value.isoformat()
    text = brief(str(value)) if isinstance(value, PurePath) else brief(value)
    text = re.sub(r"<class '(?:[\w.]+\.)?(\w+)'>", r"\1", text)  # [<class 'int'>] -> [int]
    return text if len(text) <= 60 else text[:57] + "..."


# --- converters: each returns the converted value or raises Refused ---------------


def _to_int(v: Any) -> int:
    if type(v) is int and JSON_INT_MIN <= v <= JSON_INT_MAX:
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        if json_int_fits(v):
            return int(v)
        raise Refused(_INT_TEXT, v)
    raise Refused("int", v)


def _to_float(v: Any) -> float:
    if isinstance(v, float):
        if math.isfinite(v):
            return float(v)
        raise Refused("a finite float", v)
    if isinstance(v, int) and not isinstance(v, bool):
        # Lossless only: an int that a float cannot hold exactly is refused.
        f = float(v) if abs(v) < 2**1024 else math.inf
        if math.isfinite(f) and int(f) == v:
            return f
        raise Refused("float", v, "not exactly representable as a float")
    raise Refused("float", v)


def _to_bool(v: Any) -> bool:
    if type(v) is bool:
        return v
    raise Refused("bool", v)


def _to_str(v: Any) -> Any:
    if type(v) is str or type(v) is InputFile:
        return v
    if isinstance(v, str):
        return str.__str__(v)
    raise Refused("str", v)


def _to_str_key(v: Any) -> str:
    if isinstance(v, str):
        return str.__str__(v)
    raise Refused("str", v)


def _iso(kind: type, parse: Callable[[str], Any]) -> Converter:
    """A converter to ``kind`` that also takes what ``parse`` accepts from a string."""
    name = kind.__name__

    def convert(v: Any) -> Any:
        # datetime is a subclass of date, but a date option refuses one: it would lose the time.
        if type(v) is kind or (
            isinstance(v, kind) and not (kind is date and isinstance(v, datetime))
        ):
            return v
        if isinstance(v, str):
            try:
                return parse(v)
            except ValueError:
                raise Refused(f"{name} or an ISO {name} string", v) from None
        raise Refused(name, v)

    return convert


def _to_timedelta(v: Any) -> timedelta:
    if isinstance(v, timedelta):
        return v
    raise Refused("timedelta", v)


def _to_path(v: Any) -> Any:
    if type(v) is InputFile:
        return v
    if isinstance(v, (str, PurePath)) and str(v):
        return Path(v)
    raise Refused("Path", v)


def _to_jobfile(v: Any) -> JobFile:
    if type(v) is JobFile:
        return v
    raise Refused("a file of a job (handle.withfile(name))", v)


def to_json_value(v: Any, depth: int = 0) -> Any:
    """Anything JSON-representable, or an InputFile; tuples become lists. ``depth``: how
    many lists and dicts ``v`` is in."""
    kind = type(v)
    if kind is str or kind is bool or v is None or kind is InputFile or kind is JobFile:
        return v
    if kind is int:
        return _to_int(v)
    if kind is float:
        return _to_float(v)
    if isinstance(v, (list, tuple, dict)):
        if depth >= MAX_DEPTH:
            raise Refused(f"lists and dicts nested at most {MAX_DEPTH} deep", v)
        if isinstance(v, dict):
            return each_item(v, _to_str_key, to_json_value, "a JSON value", depth + 1)
        return each(v, to_json_value, "a JSON value", depth + 1)
    if isinstance(v, int):
        return _to_int(v)
    if isinstance(v, str):
        return str.__str__(v)
    raise Refused("a JSON value", v)


def each(v: Any, convert: Callable[..., Any], text: str, depth: int = -1) -> list[Any]:
    """The items converted; ``convert(item, depth)`` when a depth is given (a free-form value)."""
    if not isinstance(v, (list, tuple)):
        raise Refused(text, v)
    out = []
    for i, item in enumerate(v):
        try:
            out.append(convert(item) if depth < 0 else convert(item, depth))
        except Refused as bad:
            bad.path.append(f"[{i}]")
            raise
    return out


def each_item(v: Any, key: Converter, value: Callable[..., Any], text: str,
              depth: int = -1) -> dict[Any, Any]:
    """The keys and items converted (``value(item, depth)`` when a depth is given); an
    OrderedDict stays one: its order is its value."""
    if not isinstance(v, dict):
        raise Refused(text, v)
    out: dict[Any, Any] = OrderedDict() if isinstance(v, OrderedDict) else {}
    for k, item in v.items():
        try:
            new_key = key(k)
        except Refused as bad:
            bad.expected += " keys"
            raise
        if new_key in out:
            raise Refused("distinct keys", k, "the same key twice after conversion")
        try:
            out[new_key] = value(item) if depth < 0 else value(item, depth)
        except Refused as bad:
            bad.path.append(f"[{show(k)}]")
            raise
    return out


TYPES: dict[type, tuple[str, Converter]] = {
    int: ("int", _to_int),
    float: ("float", _to_float),
    bool: ("bool", _to_bool),
    str: ("str", _to_str),
    list: ("list", lambda v: each(v, to_json_value, "list")),
    dict: ("dict", lambda v: each_item(v, _to_str_key, to_json_value, "dict")),
    # A dict whose order is part of its value: the script's order, kept.
    OrderedDict: ("OrderedDict", lambda v: OrderedDict(
        each_item(v, _to_str_key, to_json_value, "OrderedDict"))),
    date: ("date", _iso(date, date.fromisoformat)),
    datetime: ("datetime", _iso(datetime, datetime_fromisoformat)),
    time: ("time", _iso(time, time_fromisoformat)),
    timedelta: ("timedelta", _to_timedelta),
    Path: ("Path", _to_path),
    JobWithFile: ("JobWithFile", _to_jobfile),
}
# Hashable and with one equality: float keys (1 == 1.0) are left out.
KEY_TYPES = (int, str, bool, date, datetime, time, timedelta, Path)


def nullable(convert: Converter) -> Converter:
    return lambda v: None if v is None else convert(v)


def not_none(convert: Converter, text: str) -> Converter:
    def required(v: Any) -> Any:
        if v is None:
            raise Refused(text, v)
        return convert(v)

    return required


