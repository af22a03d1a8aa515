"""Option declarations, strict conversion and normalisation.

Owns what a method's ``options = {...}`` means (DESIGN.md section 3): each
declaration is parsed once into an ``OptionSpec`` holding a precomputed
converter, and ``normalize`` turns the options a build script gives into the
dict that ``canonical.encode`` puts into a job's identity. Conversion is strict
and lossless: int -> float, ISO string -> date/datetime/time and str -> Path
are the only coercions. Must not know about jobs, files or hashing.
"""

from __future__ import annotations

import types
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any, TypeGuard

from acbuild.errors import OptionError
from acbuild.frozen import Frozen
from acbuild.options.convert import (
    KEY_TYPES,
    TYPES,
    Converter,
    Refused,
    each,
    each_item,
    not_none,
    nullable,
    show,
    to_json_value,
)

_set = object.__setattr__  # how a Frozen record sets its fields


class Required(Frozen):
    """``Required(T)``: the option must be given, as a value of T (never None, unless
    ``none_ok=True``: then None is a value it may be given)."""

    __slots__ = ("form", "none_ok")
    __match_args__ = ("form", "none_ok")
    form: object
    none_ok: bool

    def __init__(self, form: object, none_ok: bool = False) -> None:
        _set(self, "form", form)
        _set(self, "none_ok", none_ok)


class Choice:
    """``Choice("a", "b", default="a")``: one of the given str/int values. As the
    Accelerator's ``OptionEnum``, one string of names is split on spaces and commas
    (``Choice("a b c*")``), and a str value ending in ``*`` takes any str that starts
    with what is before it. Without a default, None is the default and a value it takes,
    unless ``none_ok=False`` (then the option must be given); with one, None is refused
    unless ``none_ok=True``. ``choice.a`` and ``choice["a"]`` (``choice["cde"]`` for a
    wildcard's) are the same choice with that default."""

    def __init__(self, *values: str | int | Iterable[str | int],
                 default: str | int | None = None, none_ok: bool | None = None):
        if len(values) == 1 and isinstance(values[0], str) and _separated(values[0]):
            values = tuple(values[0].replace(",", " ").split())
        elif len(values) == 1 and not isinstance(values[0], (str, int)) \
                and hasattr(values[0], "__iter__"):  # a list, or any iterable of names
            values = tuple(values[0])
        self.values: tuple[Any, ...] = values
        self.default = default
        self.none_ok = none_ok

    def __repr__(self) -> str:
        none_ok = "" if self.none_ok is None else f", none_ok={self.none_ok!r}"
        return (f"Choice({', '.join(map(repr, self.values))}, default={self.default!r}"
                f"{none_ok})")

    def __getitem__(self, value: str | int) -> Choice:
        if not _chosen(self.values, value):
            raise KeyError(value)
        return Choice(list(self.values), default=value, none_ok=self.none_ok)

    def __getattr__(self, name: str) -> Choice:
        if name.startswith("_") or name not in self.__dict__.get("values", ()):
            raise AttributeError(name)
        return self[name]


def _separated(text: str) -> bool:
    return any(c.isspace() or c == "," for c in text)


def _chosen(values: tuple[Any, ...], v: Any) -> bool:
    """Whether ``v`` is one of ``values``: equal, of the same type (True is not 1), or a str
    that a wildcard (``"n*"``) starts."""
    if type(v) not in (str, int):
        return False
    for allowed in values:
        if type(allowed) is type(v) and allowed == v:
            return True
        if type(v) is str and type(allowed) is str and allowed.endswith("*") \
                and v.startswith(allowed[:-1]):
            return True
    return False


class OptionSpec(Frozen):
    """One declared option; ``convert`` checks and converts a given value."""

    __slots__ = ("name", "kind", "default", "required", "show_default", "convert",
                 "copy_default")
    __match_args__ = ("name", "kind", "default", "required", "show_default", "convert",
                      "copy_default")
    _compared = _shown = ("name", "kind", "default", "required", "show_default")
    name: str
    kind: str  # "float", "[str]", "int or None", "one of 'a', 'b'"
    default: Any  # already converted; None for a required option
    required: bool
    show_default: bool  # a default the author wrote, shown by ``describe``
    convert: Converter
    copy_default: bool  # a list or dict

    def __init__(self, name: str, kind: str, default: Any, required: bool, show_default: bool,
                 convert: Converter, copy_default: bool = False) -> None:
        for field, value in zip(self.__slots__, (name, kind, default, required, show_default,
                                                 convert, copy_default)):
            _set(self, field, value)


class _BadDeclaration(Exception):
    pass


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
    if kind not in TYPES:
        names = ", ".join(text for text, _ in TYPES.values())
        raise _BadDeclaration(f"{kind.__name__} is not an option type (use one of {names})")
    return TYPES[kind]


def _choice(decl: Choice) -> tuple[str, Converter]:
    values, default = decl.values, decl.default
    if not values or any(type(v) not in (str, int) for v in values):
        raise _BadDeclaration(f"Choice takes one or more str or int values, got {decl!r}")
    allowed = {(type(v), v) for v in values}  # keyed by type too: True is not 1, "1" is not 1
    if len(allowed) != len(values):
        raise _BadDeclaration(f"{decl!r} lists a value twice")
    if default is not None and not _chosen(values, default):
        raise _BadDeclaration(f"the default {default!r} is not one of the choices")
    if decl.none_ok not in (None, True, False):
        raise _BadDeclaration(f"none_ok is True or False, got {decl.none_ok!r}")
    wildcards = [v for v in values if type(v) is str and v.endswith("*")]
    wild = bool(wildcards)
    text = "one of " + ", ".join(map(repr, values))
    if wild:
        text += f" ({wildcards[0]!r}: any str starting with {wildcards[0][:-1]!r})"

    def convert(v: Any) -> Any:
        if type(v) in (str, int) and ((type(v), v) in allowed or (wild and _chosen(values, v))):
            return v
        raise Refused(text, v)

    return text, convert


def _list_form(decl: list[Any] | tuple[Any, ...]) -> tuple[str, Converter]:
    if len(decl) != 1:
        raise _BadDeclaration(
            f"a typed list declares one element type, like [int]; got {show(decl)}"
        )
    inner, convert = _form(decl[0])
    text = f"[{inner}]"
    return text, lambda v: each(v, convert, text)


def _dict_form(decl: dict[Any, Any]) -> tuple[str, Converter]:
    key = next(iter(decl)) if len(decl) == 1 else None
    if not (_is_type(key) and (issubclass(key, PurePath) or key in KEY_TYPES)):
        raise _BadDeclaration(
            f"a typed dict declares one key type (int, str, bool, date, datetime, time,"
            f" timedelta or Path) and one value type, like {{str: int}}; got {show(decl)}"
        )
    key_text, key_convert = _type_form(key)
    value_text, value_convert = _form(decl[key])
    text = f"{{{key_text}: {value_text}}}"
    return text, lambda v: each_item(v, key_convert, value_convert, text)


def _form(decl: object) -> tuple[str, Converter]:
    """A typed form's text and converter; the converter refuses None unless the form is None."""
    if _is_type(decl):
        return _type_form(decl)
    if isinstance(decl, Choice):
        return _choice(decl)
    if decl is None:  # as in {str: None}
        return "any JSON value", to_json_value
    if isinstance(decl, (list, tuple)) and _mentions_type(decl):
        return _list_form(decl)
    if isinstance(decl, dict) and _mentions_type(decl):
        return _dict_form(decl)
    if isinstance(decl, Required):
        raise _BadDeclaration("Required(...) goes only around a whole option's declaration")
    raise _BadDeclaration(f"expected {_FORM_EXAMPLE}, got {show(decl)}")


def _default_value(name: str, decl: object) -> OptionSpec:
    """A default value fixes the type: 0.5 is a float option, [] a list, "" a str."""
    kind = Path if isinstance(decl, PurePath) else list if type(decl) is tuple else type(decl)
    if kind not in TYPES:
        raise _BadDeclaration(f"expected a default value or {_FORM_EXAMPLE}, got {show(decl)}")
    text, convert = TYPES[kind]
    try:
        default = convert(decl)
    except Refused as bad:
        raise _BadDeclaration(
            f"the default is not a valid {text}: {bad.describe().strip()}"
        ) from None
    return OptionSpec(name, text, default, False, True, convert,
                      kind in (list, dict, OrderedDict))


def _parse_one(name: str, decl: object) -> OptionSpec:
    if isinstance(decl, Required):
        if isinstance(decl.form, Choice) and decl.form.default is not None:
            raise _BadDeclaration("a Required(Choice(...)) has no default")
        if decl.none_ok not in (True, False):
            raise _BadDeclaration(f"none_ok is True or False, got {decl.none_ok!r}")
        text, convert = _form(decl.form)
        if decl.none_ok:
            return OptionSpec(name, f"{text} or None", None, True, False, nullable(convert))
        return OptionSpec(name, text, None, True, False, not_none(convert, text))
    if decl is None:
        return OptionSpec(name, "any JSON value", None, False, False, to_json_value)
    if isinstance(decl, Choice):
        return _choice_option(name, decl)
    if _is_type(decl):
        text, convert = _form(decl)
        return OptionSpec(name, f"{text} or None", None, False, False, nullable(convert))
    if isinstance(decl, (list, tuple, dict)) and _mentions_type(decl):
        text, convert = _form(decl)
        empty: Any = {} if isinstance(decl, dict) else []
        return OptionSpec(name, text, empty, False, False, convert, True)
    return _default_value(name, decl)


def _choice_option(name: str, decl: Choice) -> OptionSpec:
    """A Choice: without a default, None is its default (and a value) unless
    ``none_ok=False``, which makes it required; with one, None only with ``none_ok=True``."""
    text, convert = _choice(decl)
    if decl.default is None:
        if decl.none_ok is False:  # the Accelerator's bare OptionEnum: must be given
            return OptionSpec(name, text, None, True, False, not_none(convert, text))
        return OptionSpec(name, f"{text} or None", None, False, False, nullable(convert))
    if decl.none_ok:
        return OptionSpec(name, f"{text} or None", decl.default, False, True,
                          nullable(convert))
    return OptionSpec(name, text, decl.default, False, True, convert)


def parse_declarations(method: str, declared: dict[str, Any]) -> dict[str, OptionSpec]:
    """The specs of a method's ``options = {...}``; an invalid declaration is an OptionError."""
    if not isinstance(declared, dict):
        raise OptionError(
            f"method {method!r}: options must be a dict, got {type(declared).__name__}"
        )
    specs = {}
    for name, decl in declared.items():
        if not isinstance(name, str):
            raise OptionError(f"method {method!r}: option names are str, got {show(name)}")
        try:
            specs[name] = _parse_one(name, decl)
        except _BadDeclaration as bad:
            raise OptionError(
                f"method {method!r}: option {name!r} has an invalid declaration: {bad}"
            ) from None
    return specs


# --- normalisation ------------------------------------------------------------


def _unknown(method: str, name: object, specs: dict[str, OptionSpec]) -> OptionError:
    import difflib  # only for this message: `import acbuild` stays light

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
            except Refused as bad:
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
        return f"{spec.kind} (default {show(spec.default)})"
    return spec.kind
