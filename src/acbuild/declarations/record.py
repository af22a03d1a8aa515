"""Declarations as the work directory's database keeps them: JSON of tagged values.

Only what declarations are made of is written: JSON's scalars, lists, tuples, dicts and
OrderedDicts (key order kept), the option types, naive dates, datetimes and times,
timedeltas, paths, ``Required`` and ``Choice``. A value of any other kind is not kept
(``encode`` returns None) and the declarations are read again at the next planning.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import date, datetime, time, timedelta
from pathlib import Path, PosixPath, PurePath, PurePosixPath, PureWindowsPath
from typing import Any

from acbuild.job import JobWithFile
from acbuild.options import Choice, Required

FORMAT = 1  # of the record; part of its key
_TYPES: dict[str, type] = {t.__name__: t for t in (
    int, float, str, bool, bytes, list, dict, tuple, object, date, datetime, time, timedelta,
    Path, PurePath, PosixPath, PurePosixPath, PureWindowsPath)}
_PATHS = {t.__name__: t for t in (Path, PurePath, PosixPath, PurePosixPath, PureWindowsPath)}


class _NotKept(Exception):
    pass


def encode(values: dict[str, Any], phases: tuple[str, ...], read_by: str) -> str | None:
    """The record of a method's kept declarations; None when one holds what we do not keep."""
    try:
        encoded = {name: _encode(value) for name, value in values.items()}
    except _NotKept:
        return None
    return json.dumps({"format": FORMAT, "values": encoded, "phases": list(phases),
                       "read_by": read_by})


def decode(text: str) -> tuple[dict[str, Any], tuple[str, ...], str] | None:
    """(values, phases, read_by) from a record; None for one we cannot read."""
    try:
        record = json.loads(text)
        if record.get("format") != FORMAT:
            return None
        values = {name: _decode(v) for name, v in record["values"].items()}
        return values, tuple(record["phases"]), str(record["read_by"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _encode(value: Any) -> Any:
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is list:
        return [_encode(v) for v in value]
    if kind is tuple:
        return {"$": "tuple", "v": [_encode(v) for v in value]}
    if kind in (dict, OrderedDict):
        tag = "dict" if kind is dict else "odict"
        return {"$": tag, "v": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, type) and _TYPES.get(value.__name__) is value:
        return {"$": "type", "v": value.__name__}
    if kind in (date, datetime, time) and getattr(value, "tzinfo", None) is None:
        return {"$": kind.__name__, "v": value.isoformat()}
    if kind is timedelta:
        return {"$": "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if _PATHS.get(kind.__name__) is kind:
        return {"$": "path", "t": kind.__name__, "v": str(value)}
    if kind is Required:
        return {"$": "required", "v": _encode(value.form), "n": bool(value.none_ok)}
    if kind is Choice:
        return {"$": "choice", "v": [_encode(v) for v in value.values],
                "d": _encode(value.default), "n": value.none_ok}
    if value is JobWithFile:
        return {"$": "type", "v": "JobWithFile"}
    raise _NotKept


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    tag, data = value["$"], value["v"]
    if tag == "tuple":
        return tuple(_decode(v) for v in data)
    if tag in ("dict", "odict"):
        pairs = [(_decode(k), _decode(v)) for k, v in data]
        return dict(pairs) if tag == "dict" else OrderedDict(pairs)
    if tag == "type":
        return JobWithFile if data == "JobWithFile" else _TYPES[data]
    if tag == "date":
        return date.fromisoformat(data)
    if tag == "datetime":
        return datetime.fromisoformat(data)
    if tag == "time":
        return time.fromisoformat(data)
    if tag == "timedelta":
        return timedelta(*data)
    if tag == "path":
        return _PATHS[value["t"]](data)
    if tag == "required":
        return Required(_decode(data), none_ok=bool(value.get("n", False)))
    if tag == "choice":
        return Choice([_decode(v) for v in data], default=_decode(value["d"]),
                      none_ok=value.get("n"))
    raise KeyError(tag)
