"""Option declarations, strict conversion and normalisation.

Owns what a method's ``options = {...}`` means (DESIGN.md section 3): each
declaration is parsed once into an ``OptionSpec`` holding a precomputed
converter, and ``normalize`` turns the options a build script gives into the
dict that ``canonical.encode`` puts into a job's identity. Conversion is strict
and lossless: int -> float, ISO string -> date/datetime/time and str -> Path
are the only coercions. Must not know about jobs, files or hashing.
"""

from __future__ import annotations

import difflib
import math
import re
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePath
from typing import Any, TypeGuard

from acbuild.canonical import InputFile
from acbuild.errors import OptionError

Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class Required:
    """``Required(T)``: the option must be given, as a value of T (never None)."""

    form: object


class Choice:
    """``Choice("a", "b", default="a")``: one of the given str/int values (default None)."""

    def __init__(self, *values: str | int, default: str | int | None = None):
        self.values = values
        self.default = default

    def __repr__(self) -> str:
        return f"Choice({', '.join(map(repr, self.values))}, default={self.default!r})"


@dataclass(frozen=True)
class OptionSpec:
    """One declared option; ``convert`` checks and converts a given value."""

    name: str
    kind: str  # "float", "[str]", "int or None", "one of 'a', 'b'"
    default: Any  # already converted; None for a required option
    required: bool
    show_default: bool  # a default the author wrote, shown by ``describe``
    convert: Converter = field(compare=False, repr=False)
    copy_default: bool = field(default=False, compare=False, repr=False)  # a list or dict


class _Refused(Exception):
    """A value that does not fit; containers add where they are as it travels up."""

    def __init__(self, expected: str, value: object, note: str = ""):
        super().__init__(expected)
        self.expected, self.value, self.note = expected, value, note
        self.path: list[str] = []  # innermost first

    def describe(self) -> str:
        got = "None" if self.value is None else f"{type(self.value).__name__} {_show(self.value)}"
        note = f" ({self.note})" if self.note else ""
        return f"{''.join(reversed(self.path))} expects {self.expected}, got {got}{note}"

    def error(self, method: str, option: str) -> OptionError:
        return OptionError(f"method {method!r}: option {option!r}{self.describe()}")


class _BadDeclaration(Exception):
    pass


def _show(value: object) -> str:
    if isinstance(value, (date, time)):
        return value.isoformat()
    text = repr(str(value)) if isinstance(value, PurePath) else repr(value)
    text = re.sub(r"<class '(?:[\w.]+\.)?(\w+)'>", r"\1", text)  # [<class 'int'>] -> [int]
    return text if len(text) <= 60 else text[:57] + "..."


# --- converters: each returns the converted value or raises _Refused ---------------


def _to_int(v: Any) -> int:
    if type(v) is int:
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return int(v)
    raise _Refused("int", v)


def _to_float(v: Any) -> float:
    if isinstance(v, float):
        if math.isfinite(v):
            return float(v)
        raise _Refused("a finite float", v)
    if isinstance(v, int) and not isinstance(v, bool):
        # Lossless only: an int that a float cannot hold exactly is refused.
        f = float(v) if abs(v) < 2**1024 else math.inf
        if math.isfinite(f) and int(f) == v:
            return f
        raise _Refused("float", v, "not exactly representable as a float")
    raise _Refused("float", v)


def _to_bool(v: Any) -> bool:
    if type(v) is bool:
        return v
    raise _Refused("bool", v)


def _to_str(v: Any) -> Any:
    if type(v) is str or type(v) is InputFile:
        return v
    if isinstance(v, str):
        return str.__str__(v)
    raise _Refused("str", v)


def _to_str_key(v: Any) -> str:
    if isinstance(v, str):
        return str.__str__(v)
    raise _Refused("str", v)


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
                raise _Refused(f"{name} or an ISO {name} string", v) from None
        raise _Refused(name, v)

    return convert


def _to_timedelta(v: Any) -> timedelta:
    if isinstance(v, timedelta):
        return v
    raise _Refused("timedelta", v)


def _to_path(v: Any) -> Any:
    if type(v) is InputFile:
        return v
    if isinstance(v, (str, PurePath)) and str(v):
        return Path(v)
    raise _Refused("Path", v)


def _to_json_value(v: Any) -> Any:
    """Anything JSON-representable, or an InputFile; tuples become lists."""
    kind = type(v)
    if kind is str or kind is int or kind is bool or v is None or kind is InputFile:
        return v
    if kind is float:
        return _to_float(v)
    if isinstance(v, (list, tuple)):
        return _each(v, _to_json_value, "a JSON value")
    if isinstance(v, dict):
        return _each_item(v, _to_str_key, _to_json_value, "a JSON value")
    if isinstance(v, int) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, str):
        return str.__str__(v)
    raise _Refused("a JSON value", v)


def _each(v: Any, convert: Converter, text: str) -> list[Any]:
    if not isinstance(v, (list, tuple)):
        raise _Refused(text, v)
    out = []
    for i, item in enumerate(v):
        try:
            out.append(convert(item))
        except _Refused as bad:
            bad.path.append(f"[{i}]")
            raise
    return out


def _each_item(v: Any, key: Converter, value: Converter, text: str) -> dict[Any, Any]:
    if not isinstance(v, dict):
        raise _Refused(text, v)
    out = {}
    for k, item in v.items():
        try:
            new_key = key(k)
        except _Refused as bad:
            bad.expected += " keys"
            raise
        if new_key in out:
            raise _Refused("distinct keys", k, "the same key twice after conversion")
        try:
            out[new_key] = value(item)
        except _Refused as bad:
            bad.path.append(f"[{_show(k)}]")
            raise
    return out


_TYPES: dict[type, tuple[str, Converter]] = {
    int: ("int", _to_int),
    float: ("float", _to_float),
    bool: ("bool", _to_bool),
    str: ("str", _to_str),
    list: ("list", lambda v: _each(v, _to_json_value, "list")),
    dict: ("dict", lambda v: _each_item(v, _to_str_key, _to_json_value, "dict")),
    date: ("date", _iso(date, date.fromisoformat)),
    datetime: ("datetime", _iso(datetime, datetime.fromisoformat)),
    time: ("time", _iso(time, time.fromisoformat)),
    timedelta: ("timedelta", _to_timedelta),
    Path: ("Path", _to_path),
}
# Hashable and with one equality: float keys (1 == 1.0) are left out.
_KEY_TYPES = (int, str, bool, date, datetime, time, timedelta, Path)


def _nullable(convert: Converter) -> Converter:
    return lambda v: None if v is None else convert(v)


def _not_none(convert: Converter, text: str) -> Converter:
    def required(v: Any) -> Any:
        if v is None:
            raise _Refused(text, v)
        return convert(v)

    return required


# --- declarations -------------------------------------------------------------

_FORM_EXAMPLE = "a type like int, [str] or {str: float}"


def _is_type(decl: object) -> TypeGuard[type]:
    # On Python 3.10, list[int] passes for a type; it is not one of ours.
    return isinstance(decl, type) and not isinstance(decl, types.GenericAlias)


def _mentions_type(decl: object) -> bool:
    """Whether a declaration is a typed form rather than a default value."""
    if _is_type(decl) or isinstance(decl, (Choice, Required)):
        return True
    if isinstance(decl, (list, tuple)):
        return any(_mentions_type(item) for item in decl)
    if isinstance(decl, dict):
        return any(_mentions_type(k) or _mentions_type(v) for k, v in decl.items())
    return False


def _type_form(kind: type) -> tuple[str, Converter]:
    kind = Path if issubclass(kind, PurePath) else kind
    if kind not in _TYPES:
        names = ", ".join(text for text, _ in _TYPES.values())
        raise _BadDeclaration(f"{kind.__name__} is not an option type (use one of {names})")
    return _TYPES[kind]


def _choice(decl: Choice) -> tuple[str, Converter]:
    values, default = decl.values, decl.default
    if not values or any(type(v) not in (str, int) for v in values):
        raise _BadDeclaration(f"Choice takes one or more str or int values, got {decl!r}")
    allowed = {(type(v), v) for v in values}  # keyed by type too: True is not 1, "1" is not 1
    if len(allowed) != len(values):
        raise _BadDeclaration(f"{decl!r} lists a value twice")
    if default is not None and (
        type(default) not in (str, int) or (type(default), default) not in allowed
    ):
        raise _BadDeclaration(f"the default {default!r} is not one of the choices")
    text = "one of " + ", ".join(map(repr, values))

    def convert(v: Any) -> Any:
        if type(v) in (str, int) and (type(v), v) in allowed:
            return v
        raise _Refused(text, v)

    return text, convert


def _list_form(decl: list[Any] | tuple[Any, ...]) -> tuple[str, Converter]:
    if len(decl) != 1:
        raise _BadDeclaration(
            f"a typed list declares one element type, like [int]; got {_show(decl)}"
        )
    inner, convert = _form(decl[0])
    text = f"[{inner}]"
    return text, lambda v: _each(v, convert, text)


def _dict_form(decl: dict[Any, Any]) -> tuple[str, Converter]:
    key = next(iter(decl)) if len(decl) == 1 else None
    if not (_is_type(key) and (issubclass(key, PurePath) or key in _KEY_TYPES)):
        raise _BadDeclaration(
            f"a typed dict declares one key type (int, str, bool, date, datetime, time,"
            f" timedelta or Path) and one value type, like {{str: int}}; got {_show(decl)}"
        )
    key_text, key_convert = _type_form(key)
    value_text, value_convert = _form(decl[key])
    text = f"{{{key_text}: {value_text}}}"
    return text, lambda v: _each_item(v, key_convert, value_convert, text)


def _form(decl: object) -> tuple[str, Converter]:
    """A typed form's text and converter; the converter refuses None unless the form is None."""
    if _is_type(decl):
        return _type_form(decl)
    if isinstance(decl, Choice):
        return _choice(decl)
    if decl is None:  # as in {str: None}
        return "any JSON value", _to_json_value
    if isinstance(decl, (list, tuple)) and _mentions_type(decl):
        return _list_form(decl)
    if isinstance(decl, dict) and _mentions_type(decl):
        return _dict_form(decl)
    if isinstance(decl, Required):
        raise _BadDeclaration("Required(...) goes only around a whole option's declaration")
    raise _BadDeclaration(f"expected {_FORM_EXAMPLE}, got {_show(decl)}")


def _default_value(name: str, decl: object) -> OptionSpec:
    """A default value fixes the type: 0.5 is a float option, [] a list, "" a str."""
    kind = Path if isinstance(decl, PurePath) else list if type(decl) is tuple else type(decl)
    if kind not in _TYPES:
        raise _BadDeclaration(f"expected a default value or {_FORM_EXAMPLE}, got {_show(decl)}")
    text, convert = _TYPES[kind]
    try:
        default = convert(decl)
    except _Refused as bad:
        raise _BadDeclaration(
            f"the default is not a valid {text}: {bad.describe().strip()}"
        ) from None
    return OptionSpec(name, text, default, False, True, convert, kind in (list, dict))


def _parse_one(name: str, decl: object) -> OptionSpec:
    if isinstance(decl, Required):
        if isinstance(decl.form, Choice) and decl.form.default is not None:
            raise _BadDeclaration("a Required(Choice(...)) has no default")
        text, convert = _form(decl.form)
        return OptionSpec(name, text, None, True, False, _not_none(convert, text))
    if decl is None:
        return OptionSpec(name, "any JSON value", None, False, False, _to_json_value)
    if _is_type(decl) or (isinstance(decl, Choice) and decl.default is None):
        text, convert = _form(decl)
        return OptionSpec(name, f"{text} or None", None, False, False, _nullable(convert))
    if isinstance(decl, Choice):
        text, convert = _choice(decl)
        return OptionSpec(name, text, decl.default, False, True, convert)
    if isinstance(decl, (list, tuple, dict)) and _mentions_type(decl):
        text, convert = _form(decl)
        empty: Any = {} if isinstance(decl, dict) else []
        return OptionSpec(name, text, empty, False, False, convert, True)
    return _default_value(name, decl)


def parse_declarations(method: str, declared: dict[str, Any]) -> dict[str, OptionSpec]:
    """The specs of a method's ``options = {...}``; an invalid declaration is an OptionError."""
    if not isinstance(declared, dict):
        raise OptionError(
            f"method {method!r}: options must be a dict, got {type(declared).__name__}"
        )
    specs = {}
    for name, decl in declared.items():
        if not isinstance(name, str):
            raise OptionError(f"method {method!r}: option names are str, got {_show(name)}")
        try:
            specs[name] = _parse_one(name, decl)
        except _BadDeclaration as bad:
            raise OptionError(
                f"method {method!r}: option {name!r} has an invalid declaration: {bad}"
            ) from None
    return specs


# --- normalisation ------------------------------------------------------------


def _unknown(method: str, name: object, specs: dict[str, OptionSpec]) -> OptionError:
    close = difflib.get_close_matches(name, list(specs), n=1) if isinstance(name, str) else []
    return OptionError(
        f"method {method!r} has no option {name!r} (known options: {', '.join(sorted(specs)) or 'none'})",
        hint=f"did you mean {close[0]!r}?" if close else None,
    )


def normalize(method: str, specs: dict[str, OptionSpec], given: dict[str, Any]) -> dict[str, Any]:
    """A new dict of every declared option, converted, defaults filled in (declared order)."""
    for name in given:
        if name not in specs:
            raise _unknown(method, name, specs)
    out = {}
    for name, spec in specs.items():
        if name in given:
            try:
                out[name] = spec.convert(given[name])
            except _Refused as bad:
                raise bad.error(method, name) from None
        elif spec.required:
            raise OptionError(f"method {method!r}: option {name!r} is required ({spec.kind})")
        else:
            # A list or dict default is rebuilt, so that no job can change another's.
            out[name] = spec.convert(spec.default) if spec.copy_default else spec.default
    return out


def describe(spec: OptionSpec) -> str:
    """The option's type for people: ``float (default 0.5)``, ``[str]``, ``required int``."""
    if spec.required:
        return f"required {spec.kind}"
    if spec.show_default:
        return f"{spec.kind} (default {_show(spec.default)})"
    return spec.kind
