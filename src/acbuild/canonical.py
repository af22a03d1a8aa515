"""Type-tagged canonical encoding of values, and their JSON form.

Owns ``encode``, the one byte string that a job's identity is hashed over, and
``to_json`` / ``from_json``, the exact JSON form of the same values that
``setup.json`` stores. Must not hash (that is ``hashing``) nor know what an
option or a job is. Standard library and ``acbuild.errors`` only.

Encoding: every value is ``<tag> <n>:<body>``. For a scalar, ``n`` is the
byte length of ``body``; for ``list`` and ``dict``, ``n`` is the number of
items and ``body`` their encodings, one after another. Every encoding thus
says where it ends, and the tag says how to read its body, so no two
different values share an encoding. Tags: none bool int float str bytes list
dict odict date datetime time timedelta path file jobfile. Tuples encode as ``list`` (option
normalisation turns them into lists anyway); dict entries are sorted by their
encoded key, so key order does not matter; an ``OrderedDict`` (``odict``) keeps
its order, which is part of its value. Changing anything here changes every job
id: bump ``hashing.JOB_FORMAT`` with it, and the pinned tests.

The JSON form of a dict lists its entries sorted (by key; keys that do not compare,
by their encoding), so that what ``from_json`` gives back, and a method receives, is
the same for every order a script wrote; an ``OrderedDict`` is ``{"$odict": pairs}``.
"""

from __future__ import annotations

import math
import re
import reprlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path, PurePath
from typing import Any

from acbuild.errors import CanonicalError
from acbuild.frozen import Frozen

_set = object.__setattr__  # how a Frozen record sets its fields


class InputFile(Frozen):
    """A project file given with ``urd.file``. Its identity is its content, not its path."""

    __slots__ = ("relpath", "digest")
    __match_args__ = ("relpath", "digest")
    relpath: str  # project-relative, '/'-separated
    digest: str  # blake3 hex of the content

    def __init__(self, relpath: str, digest: str) -> None:
        _set(self, "relpath", relpath)
        _set(self, "digest", digest)


class JobFile(Frozen):
    """A file of another job of the build, given as an option value (``handle.withfile``).
    Its identity is the job's hash, the file's name and whether it is sliced."""

    __slots__ = ("job", "id", "name", "sliced")
    __match_args__ = ("job", "id", "name", "sliced")
    job: str  # the job's hash
    id: str  # the job's id, for people (the hash decides it)
    name: str
    sliced: bool

    def __init__(self, job: str, id: str, name: str, sliced: bool = False) -> None:
        _set(self, "job", job)
        _set(self, "id", id)
        _set(self, "name", name)
        _set(self, "sliced", sliced)


class _Unencodable(Exception):
    """Raised deep in a value; containers add where they are as it travels up."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []  # innermost first

    def error(self, where: str) -> CanonicalError:
        return CanonicalError(f"{where}{''.join(reversed(self.path))}: {self.reason}")


# The longest int (in decimal digits) the JSON form holds: what Python's default
# int_max_str_digits lets json write and read back; setup.json must load in any job process.
JSON_INT_DIGITS = 4300
JSON_INT_MAX = 10**JSON_INT_DIGITS - 1
JSON_INT_MIN = -JSON_INT_MAX  # made once: negating a 4300-digit int on each check costs


def json_int_fits(value: int) -> bool:
    """Whether an int is short enough for the JSON form (one comparison: ints are mostly small)."""
    return JSON_INT_MIN <= value <= JSON_INT_MAX


def _digits(value: int) -> int:
    """About how many decimal digits an int has, without printing it (which may raise)."""
    return int(value.bit_length() * 0.30103) + 1


class _Brief(reprlib.Repr):
    """repr for messages: bounded in depth and length whatever the value (a list nested
    5,000 deep, a 50 MB string), and never raising on an int too long to print."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 4
        self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = 12
        self.maxdict = 8
        self.maxstring = self.maxother = 80

    def repr_int(self, x: int, level: int) -> str:
        return int.__repr__(x) if json_int_fits(x) else f"<about {_digits(x)} digits>"


brief = _Brief().repr


def _short(value: object) -> str:
    text = brief(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- encode -----------------------------------------------------------------

_NONE = b"none 0:"
_TRUE = b"bool 1:1"
_FALSE = b"bool 1:0"


def _scalar(tag: bytes, body: bytes) -> bytes:
    return b"%s %d:%s" % (tag, len(body), body)


def _enc_float(value: float) -> bytes:
    if not math.isfinite(value):
        raise _Unencodable(f"cannot encode the float {value!r} canonically (only finite floats)")
    # float.hex is exact and tells 0.0 from -0.0.
    return _scalar(b"float", float.hex(value).encode())


def _enc_list(value: list[Any] | tuple[Any, ...]) -> bytes:
    try:
        return b"list %d:%s" % (len(value), b"".join(map(_encode, value)))
    except _Unencodable as bad:
        bad.path.append(_bad_item(value, _encode))
        raise


# The encodings of str dict keys: the same few names (record fields, option names) recur in
# every job of a build, and a dict lookup is cheaper than encoding them again. Bounded.
_KEYS: dict[str, bytes] = {}
_KEYS_MAX = 4096


def _enc_key(key: Any) -> bytes:
    if type(key) is not str:
        return _encode(key)
    encoded = _KEYS.get(key)
    if encoded is None:
        encoded = _encode(key)
        if len(_KEYS) < _KEYS_MAX:
            _KEYS[key] = encoded
    return encoded


# The order of the entries of small dicts with str keys, by their keys as they come: the
# options (and the inputs) of every job of a method have the same keys in the same order,
# and a dict lookup is cheaper than sorting again. Only str keys: no other type equals a
# str, so a dict whose keys equal a cached tuple has those keys. Bounded.
_LAYOUTS: dict[tuple[str, ...], tuple[bytes, list[tuple[bytes, str]]]] = {}
_LAYOUTS_MAX = 1024
_LAYOUT_KEYS_MAX = 64


def _enc_dict(value: dict[Any, Any]) -> bytes:
    keys = tuple(value)
    layout = _LAYOUTS.get(keys)
    if layout is None:
        if (len(_LAYOUTS) >= _LAYOUTS_MAX or len(keys) > _LAYOUT_KEYS_MAX
                or any(type(k) is not str for k in keys)):
            return _enc_dict_sorting(value)
        # Encoded keys are distinct and none is a prefix of another: sorting them sorts
        # the entries, as _enc_dict_sorting does.
        layout = (b"dict %d:" % len(keys), sorted([(_enc_key(k), k) for k in keys]))
        _LAYOUTS[keys] = layout
    head, entries = layout
    parts = [head]
    try:
        for key, name in entries:
            parts.append(key)
            parts.append(_encode(value[name]))
    except _Unencodable as bad:
        bad.path.append(_bad_item(value, _encode))
        raise
    return b"".join(parts)


def _enc_dict_sorting(value: dict[Any, Any]) -> bytes:
    try:
        # Only str keys are cached, and no other type equals a str: .get is safe for any key.
        entries = [(_KEYS.get(k) or _enc_key(k)) + _encode(v) for k, v in value.items()]
    except _Unencodable as bad:
        bad.path.append(_bad_item(value, _encode))
        raise
    # Encoded keys are distinct and none is a prefix of another, so this sorts by key.
    entries.sort()
    return b"dict %d:%s" % (len(entries), b"".join(entries))


def _enc_odict(value: OrderedDict[Any, Any]) -> bytes:
    try:
        entries = [_enc_key(k) + _encode(v) for k, v in value.items()]
    except _Unencodable as bad:
        bad.path.append(_bad_item(value, _encode))
        raise
    return b"odict %d:%s" % (len(entries), b"".join(entries))


def _bad_item(container: Any, convert: Callable[[Any], Any]) -> str:
    """Where in a list or dict the element ``convert`` refuses is; only on the error path."""
    if isinstance(container, dict):
        for key, item in container.items():
            if not _works(convert, key):
                return f" key {_short(key)}"
            if not _works(convert, item):
                return f"[{_short(key)}]"
        return ""
    for i, item in enumerate(container):
        if not _works(convert, item):
            return f"[{i}]"
    return ""


def _works(convert: Callable[[Any], Any], value: Any) -> bool:
    try:
        convert(value)
    except _Unencodable:
        return False
    return True


def _enc_timedelta(value: timedelta) -> bytes:
    return _scalar(b"timedelta", b"%d,%d,%d" % (value.days, value.seconds, value.microseconds))


_Encoder = Callable[[Any], bytes]

# Exact types first: one dict lookup per value on the hot path.
_ENCODERS: dict[type, _Encoder] = {
    type(None): lambda v: _NONE,
    bool: lambda v: _TRUE if v else _FALSE,
    # Hex because str(int) refuses ints over 4300 digits.
    int: lambda v: _scalar(b"int", int.__format__(v, "x").encode()),
    float: _enc_float,
    # surrogatepass: a lone surrogate is a valid str and must encode too.
    str: lambda v: _scalar(b"str", str.encode(v, "utf-8", "surrogatepass")),
    bytes: lambda v: _scalar(b"bytes", bytes(v)),
    list: _enc_list,
    tuple: _enc_list,
    dict: _enc_dict,
    OrderedDict: _enc_odict,
    # isoformat is exact; an aware datetime or time carries its utcoffset.
    date: lambda v: _scalar(b"date", date.isoformat(v).encode()),
    datetime: lambda v: _scalar(b"datetime", datetime.isoformat(v).encode()),
    time: lambda v: _scalar(b"time", time.isoformat(v).encode()),
    timedelta: _enc_timedelta,
    PurePath: lambda v: _scalar(b"path", v.as_posix().encode("utf-8", "surrogatepass")),
    InputFile: lambda v: _scalar(b"file", v.digest.encode()),
    JobFile: lambda v: _scalar(b"jobfile", _encode([v.job, v.name, v.sliced])),
}


def _for_subclass(table: dict[type, Any], cls: type) -> Any:
    """The handler of the nearest supported base class (PosixPath, OrderedDict), cached."""
    for base in cls.__mro__[1:]:
        handler = table.get(base)
        if handler is not None:
            table[cls] = handler
            return handler
    return None


def _encode(value: Any) -> bytes:
    kind = type(value)
    # The common scalars inline (the same bytes as their _ENCODERS entries): a job's identity
    # record is mostly str, int and None, and a build script makes thousands of them.
    if kind is str:
        body = str.encode(value, "utf-8", "surrogatepass")
        return b"str %d:%s" % (len(body), body)
    if kind is int:
        body = b"%x" % value  # the bytes of int.__format__(value, "x"), made directly
        return b"int %d:%s" % (len(body), body)
    if value is None:
        return _NONE
    encoder = _ENCODERS.get(kind) or _for_subclass(_ENCODERS, kind)
    if encoder is None:
        raise _Unencodable(f"cannot encode a value of type {type(value).__name__} canonically")
    return encoder(value)


def encode_scalar(value: Any) -> bytes | None:
    """The canonical bytes of a str, int, bool, finite float or None (those of ``encode``);
    None for any other value: the fast path of ``urd.build`` then takes the general one."""
    kind = type(value)
    if kind is str:
        body = str.encode(value, "utf-8", "surrogatepass")
        return b"str %d:%s" % (len(body), body)
    if kind is int:
        body = b"%x" % value
        return b"int %d:%s" % (len(body), body)
    if value is None:
        return _NONE
    if kind is bool:
        return _TRUE if value else _FALSE
    if kind is float and math.isfinite(value):
        return _scalar(b"float", float.hex(value).encode())
    return None


def encode(value: Any, where: str = "value") -> bytes:
    """The canonical bytes of ``value``; ``where`` names it in an error (``options['cols']``)."""
    try:
        return _encode(value)
    except _Unencodable as bad:
        raise bad.error(where) from None


class RecordEncoder:
    """``encode`` for dicts with one fixed set of str keys (a record, such as a job's
    identity), with the keys' encodings and their order worked out once: the same bytes,
    in about half the time. Any other value goes to ``encode``."""

    def __init__(self, keys: Iterable[str]):
        # Encoded keys are distinct and none is a prefix of another: sorting them sorts the
        # entries, as _enc_dict does.
        order = sorted(keys, key=_encode)
        self._fields = [(_encode(k), k) for k in order]
        self._head = b"dict %d:" % len(order)

    def encode(self, record: Any, where: str = "value") -> bytes:
        # A dict of as many keys that has each of ours has exactly ours.
        if type(record) is not dict or len(record) != len(self._fields):
            return encode(record, where)
        parts = [self._head]
        try:
            for key, name in self._fields:
                parts.append(key)
                parts.append(_encode(record[name]))
        except (KeyError, _Unencodable):
            return encode(record, where)  # raises, saying where the value is, or encodes it
        return b"".join(parts)


class ShapeEncoder:
    """``encode`` for records of one shape: a dict of fixed str keys whose values are either
    fixed (given here) or dicts of fixed str keys (given to ``encode``) — the identity records
    of one method's jobs. Every constant byte (heads, keys, fixed values) is laid out once,
    in a %-template; a record costs only its variable values. The same bytes as ``encode``,
    pinned by tests.
    """

    def __init__(self, fixed: Mapping[str, Any], dicts: Sequence[tuple[str, Iterable[str]]]):
        order = sorted([*fixed, *(name for name, _ in dicts)], key=_encode)
        which = {name: k for k, (name, _) in enumerate(dicts)}
        keys = dict(dicts)
        constants: list[bytes] = []
        self._slots: list[tuple[int, str]] = []  # (which of the dicts given, key)
        buf = [b"dict %d:" % len(order)]
        for name in order:
            buf.append(_encode(name))
            if name in fixed:
                buf.append(_encode(fixed[name]))
                continue
            names = list(keys[name])
            buf.append(b"dict %d:" % len(names))
            for key_bytes, key in sorted([(_encode(k), k) for k in names]):
                buf.append(key_bytes)
                constants.append(b"".join(buf))
                buf = []
                self._slots.append((which[name], key))
        constants.append(b"".join(buf))
        self._template = b"%b".join(c.replace(b"%", b"%%") for c in constants)

    def encode(self, *dicts: Mapping[str, Any]) -> bytes:
        """The bytes of the record whose dict fields are ``dicts`` (in the order given to the
        constructor, each with exactly the keys of the shape: the caller makes sure). Raises
        ``Unencodable`` for a value that ``encode`` refuses: the caller encodes the record
        again, to say where it is."""
        return self._template % tuple([_encode(dicts[k][key]) for k, key in self._slots])

    @property
    def slots(self) -> list[tuple[int, str]]:
        """Where the variable values go, in order: (which of the dicts, key)."""
        return list(self._slots)

    @property
    def template(self) -> bytes:
        """``template % parts`` is the record whose variable values encode to ``parts`` (a
        tuple, in the order of ``slots``, each what ``encode`` gives for its value)."""
        return self._template


Unencodable = _Unencodable


# --- JSON form ----------------------------------------------------------------

# Compiled at first use (re's cache keeps it): few runs read a datetime, every run starts.
_SUBSECOND_OFFSET = r"([+-])(\d\d):(\d\d):(\d\d)\.(\d{1,6})$"


def _from_isoformat(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` (datetime's or time's fromisoformat), keeping a UTC offset's fraction of a
    second, which CPython's parser drops when the offset is under a second (isoformat writes
    it: ``+00:00:00.000001``, which CPython 3.11 reads as UTC)."""

    def read(text: str) -> Any:
        value = parse(text)
        found = re.search(_SUBSECOND_OFFSET, text)
        if found is None:
            return value
        sign, hours, minutes, seconds, fraction = found.groups()
        offset = timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds),
                           microseconds=int(fraction.ljust(6, "0")))
        return value.replace(tzinfo=timezone(-offset if sign == "-" else offset))

    return read


# What isoformat wrote, read back exactly (the encoding, the JSON form, declarations and
# option strings all use these rather than fromisoformat itself).
datetime_fromisoformat: Callable[[str], datetime] = _from_isoformat(datetime.fromisoformat)
time_fromisoformat: Callable[[str], time] = _from_isoformat(time.fromisoformat)


def _base64() -> Any:
    import base64  # here: bytes values are rare; base64 (and binascii) cost ~0.8 ms at start

    return base64


# The tags of single-key dicts; a user's dict with a "$" key is escaped as "$dict".
_TAG_DECODERS: dict[str, Callable[[Any], Any]] = {
    "$date": date.fromisoformat,
    "$datetime": datetime_fromisoformat,
    "$time": time_fromisoformat,
    "$timedelta": lambda v: timedelta(days=v[0], seconds=v[1], microseconds=v[2]),
    "$path": Path,
    "$bytes": lambda v: _base64().b64decode(v),
    "$dict": lambda v: {_hashable(from_json(k)): from_json(item) for k, item in v},
    "$odict": lambda v: OrderedDict((_hashable(from_json(k)), from_json(item)) for k, item in v),
    "$jobfile": lambda v: JobFile(*v),
}


def _hashable(key: Any) -> Any:
    """A dict key that was a tuple comes back from JSON as a list: make it a tuple again."""
    return tuple(_hashable(k) for k in key) if type(key) is list else key


def _json_float(value: float) -> float:
    if not math.isfinite(value):
        raise _Unencodable(f"cannot store the float {value!r} (only finite floats)")
    return value


def _json_int(value: int) -> int:
    if not JSON_INT_MIN <= value <= JSON_INT_MAX:
        raise _Unencodable(f"cannot store an int of about {_digits(value)} digits "
                           f"(at most {JSON_INT_DIGITS})")
    return int(value)


def _json_list(value: list[Any] | tuple[Any, ...]) -> list[Any]:
    try:
        return [_to_json(item) for item in value]
    except _Unencodable as bad:
        bad.path.append(_bad_item(value, _to_json))
        raise


def _json_dict(value: dict[Any, Any]) -> dict[str, Any]:
    try:
        if all(type(k) is str and not k.startswith("$") for k in value):
            return {k: _to_json(value[k]) for k in sorted(value)}
        # Other keys, or a "$" key that would read as a tag: a list of pairs.
        return {"$dict": _json_pairs(_sorted_items(value))}
    except _Unencodable as bad:
        bad.path.append(_bad_item(value, _to_json))
        raise


def _json_odict(value: OrderedDict[Any, Any]) -> dict[str, Any]:
    try:
        return {"$odict": _json_pairs(value.items())}
    except _Unencodable as bad:
        bad.path.append(_bad_item(value, _to_json))
        raise


def _json_pairs(items: Iterable[tuple[Any, Any]]) -> list[list[Any]]:
    return [[_to_json(k), _to_json(item)] for k, item in items]


def _sorted_items(value: dict[Any, Any]) -> list[tuple[Any, Any]]:
    """The entries by key; by the keys' encodings where keys do not compare (1 and "a")."""
    try:
        return sorted(value.items(), key=lambda item: item[0])
    except TypeError:
        return sorted(value.items(), key=lambda item: _enc_key(item[0]))


_TO_JSON: dict[type, Callable[[Any], Any]] = {
    type(None): lambda v: v,
    bool: lambda v: v,
    int: _json_int,
    float: _json_float,
    str: str.__str__,
    bytes: lambda v: {"$bytes": _base64().b64encode(v).decode("ascii")},
    list: _json_list,
    tuple: _json_list,
    dict: _json_dict,
    OrderedDict: _json_odict,
    date: lambda v: {"$date": date.isoformat(v)},
    datetime: lambda v: {"$datetime": datetime.isoformat(v)},
    time: lambda v: {"$time": time.isoformat(v)},
    timedelta: lambda v: {"$timedelta": [v.days, v.seconds, v.microseconds]},
    PurePath: lambda v: {"$path": v.as_posix()},
    InputFile: lambda v: {"$file": v.relpath, "blake3": v.digest},
    JobFile: lambda v: {"$jobfile": [v.job, v.id, v.name, v.sliced]},
}


def _to_json(value: Any) -> Any:
    convert = _TO_JSON.get(type(value)) or _for_subclass(_TO_JSON, type(value))
    if convert is None:
        raise _Unencodable(f"cannot store a value of type {type(value).__name__}")
    return convert(value)


def to_json(value: Any, where: str = "value") -> Any:
    """A JSON-able form of ``value`` that ``from_json`` turns back into an equal value."""
    try:
        return _to_json(value)
    except _Unencodable as bad:
        raise bad.error(where) from None


def _from_tagged(obj: dict[str, Any]) -> Any:
    if obj.keys() == {"$file", "blake3"}:
        return InputFile(obj["$file"], obj["blake3"])
    if len(obj) == 1:
        [(tag, payload)] = obj.items()
        decoder = _TAG_DECODERS.get(tag)
        if decoder is not None:
            try:
                return decoder(payload)
            except (TypeError, ValueError, IndexError) as exc:
                raise CanonicalError(f"bad {tag} value {_short(payload)}: {exc}") from None
    raise CanonicalError(f"unknown tagged form {_short(obj)}")


def from_json(obj: Any) -> Any:
    """The value ``to_json`` made ``obj`` from (tuples come back as lists, and a dict's
    entries in sorted order)."""
    kind = type(obj)
    if kind is dict:
        if any(k.startswith("$") for k in obj):
            return _from_tagged(obj)
        return {k: from_json(v) for k, v in obj.items()}
    if kind is list:
        return [from_json(item) for item in obj]
    if kind is float and not math.isfinite(obj):
        raise CanonicalError(f"cannot read the float {obj!r} (only finite floats)")
    return obj
