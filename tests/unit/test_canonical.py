"""canonical: pinned encodings, the distinctions identity relies on, and properties."""

from __future__ import annotations

import json
from collections import OrderedDict, defaultdict
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acbuild import canonical
from acbuild.canonical import InputFile, encode, from_json, to_json
from acbuild.errors import CanonicalError

# --- pinned: a change here changes every job id, so it must be deliberate --------

PINNED = [
    (None, b"none 0:"),
    (True, b"bool 1:1"),
    (False, b"bool 1:0"),
    (1, b"int 1:1"),
    (-255, b"int 3:-ff"),
    (0.5, b"float 20:0x1.0000000000000p-1"),
    (-0.0, b"float 9:-0x0.0p+0"),
    ("\u00e9", b"str 2:\xc3\xa9"),
    (b"x", b"bytes 1:x"),
    ([1, "a"], b"list 2:int 1:1str 1:a"),
    ((1, "a"), b"list 2:int 1:1str 1:a"),
    ({"b": 1, "a": None}, b"dict 2:str 1:anone 0:str 1:bint 1:1"),
    (OrderedDict([("b", 1), ("a", None)]), b"odict 2:str 1:bint 1:1str 1:anone 0:"),
    (date(2020, 1, 2), b"date 10:2020-01-02"),
    (datetime(2020, 1, 2, 3, 4, 5), b"datetime 19:2020-01-02T03:04:05"),
    (
        datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=1))),
        b"datetime 32:2020-01-02T03:04:05.000006+01:00",
    ),
    (time(3, 4), b"time 8:03:04:00"),
    (timedelta(days=-1, seconds=5, microseconds=7), b"timedelta 6:-1,5,7"),
    (PurePosixPath("a/b"), b"path 3:a/b"),
    (InputFile("data/raw.csv", "ab12"), b"file 4:ab12"),
]


@pytest.mark.parametrize(("value", "expected"), PINNED)
def test_pinned_encodings(value: Any, expected: bytes) -> None:
    assert encode(value) == expected


def test_dict_key_order_is_irrelevant() -> None:
    assert encode({"a": 1, "b": [2, {"x": 1, "y": 2}]}) == encode(
        {"b": [2, {"y": 2, "x": 1}], "a": 1}
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (True, 1),
        (False, 0),
        (1, 1.0),
        (0.0, -0.0),
        ("x", b"x"),
        (date(2020, 1, 2), datetime(2020, 1, 2)),
        (datetime(2020, 1, 2), datetime(2020, 1, 2, tzinfo=timezone.utc)),
        ("a/b", Path("a/b")),
        ([], {}),
        ([[]], [[], []]),
        (["ab"], ["a", "b"]),
        ({"a": "b"}, ["a", "b"]),
        (None, ""),
    ],
)
def test_distinct_values_encode_differently(a: Any, b: Any) -> None:
    assert encode(a) != encode(b)


def test_input_file_identity_is_its_content_not_its_path() -> None:
    assert encode(InputFile("a.csv", "ff")) == encode(InputFile("b/c.csv", "ff"))
    assert encode(InputFile("a.csv", "ff")) != encode(InputFile("a.csv", "fe"))


def test_subclasses_encode_as_their_base() -> None:
    assert encode(Path("a/b")) == encode(PurePosixPath("a/b"))
    assert encode(defaultdict(int, [("b", 1), ("a", 2)])) == encode({"a": 2, "b": 1})


def test_an_ordered_dicts_order_is_its_value() -> None:
    ba, ab = OrderedDict([("b", 1), ("a", 2)]), OrderedDict([("a", 2), ("b", 1)])
    assert encode(ba) != encode(ab)
    assert encode(ab) != encode({"a": 2, "b": 1}), "an OrderedDict is not a dict"
    assert from_json(to_json(ba)) == ba and type(from_json(to_json(ba))) is OrderedDict
    assert list(from_json(to_json({"x": ba}))["x"]) == ["b", "a"]


def test_a_dicts_json_form_is_sorted() -> None:
    # What a method receives is setup.json's form, the same for every order a script wrote.
    assert list(to_json({"b": 1, "a": {"d": 1, "c": 2}})) == ["a", "b"]
    assert list(to_json({"b": 1, "a": {"d": 1, "c": 2}})["a"]) == ["c", "d"]
    assert to_json({2: "x", 1: "y"}) == {"$dict": [[1, "y"], [2, "x"]]}
    assert to_json({2: "x", "a": "y", 1: "z"}) == to_json({"a": "y", 1: "z", 2: "x"})


def test_huge_ints_encode() -> None:
    assert encode(10**5000) != encode(10**5000 + 1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"cols": [1, 2, object()]},
            "options['cols'][2]: cannot encode a value of type object canonically",
        ),
        (
            [float("nan")],
            "options[0]: cannot encode the float nan canonically (only finite floats)",
        ),
        ({"x": {1.5: float("inf")}}, "options['x'][1.5]: cannot encode the float inf"),
        (
            {"k": {frozenset(): 1}},
            "options['k'] key frozenset(): cannot encode a value of type frozenset",
        ),
        ({1, 2}, "options: cannot encode a value of type set canonically"),
    ],
)
def test_errors_say_where(value: Any, message: str) -> None:
    with pytest.raises(CanonicalError) as exc:
        encode(value, where="options")
    assert str(exc.value).startswith(message)


def test_default_where_is_value() -> None:
    with pytest.raises(CanonicalError, match=r"^value\[1\]: cannot encode a value of type object"):
        encode([1, object()])


# --- the JSON form ------------------------------------------------------------------


def test_json_form_is_plain_where_it_can_be() -> None:
    value = {"a": [1, 2.5, None, True, "s"], "b": {"c": []}}
    assert to_json(value) == value
    assert to_json((1, 2)) == [1, 2]


@pytest.mark.parametrize(
    ("value", "form"),
    [
        (date(2020, 1, 2), {"$date": "2020-01-02"}),
        (datetime(2020, 1, 2, 3), {"$datetime": "2020-01-02T03:00:00"}),
        (time(1, 2, 3), {"$time": "01:02:03"}),
        (timedelta(days=1, seconds=2, microseconds=3), {"$timedelta": [1, 2, 3]}),
        (Path("a/b"), {"$path": "a/b"}),
        (b"\x00\xff", {"$bytes": "AP8="}),
        (InputFile("d/raw.csv", "ab"), {"$file": "d/raw.csv", "blake3": "ab"}),
        ({1: "a"}, {"$dict": [[1, "a"]]}),
        ({"$date": 1}, {"$dict": [["$date", 1]]}),
    ],
)
def test_tagged_json_forms(value: Any, form: Any) -> None:
    assert to_json(value) == form
    assert from_json(form) == value


def test_from_json_refuses_unknown_tags_and_bad_payloads() -> None:
    with pytest.raises(CanonicalError, match="unknown tagged form"):
        from_json({"$nope": 1})
    with pytest.raises(CanonicalError, match="bad \\$date value"):
        from_json({"$date": "yesterday"})
    with pytest.raises(CanonicalError, match="bad \\$timedelta value"):
        from_json({"$timedelta": [1]})
    with pytest.raises(CanonicalError, match="bad \\$dict value"):
        from_json({"$dict": [[[1], 2, 3]]})
    with pytest.raises(CanonicalError, match="only finite floats"):
        from_json(float("nan"))


def test_to_json_errors_say_where() -> None:
    with pytest.raises(CanonicalError, match=r"^setup\['x'\]\[0\]: cannot store the float inf"):
        to_json({"x": [float("inf")]}, where="setup")
    with pytest.raises(CanonicalError, match="cannot store a value of type object"):
        to_json(object())


# --- properties -----------------------------------------------------------------------

_offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
_tz = st.none() | _offsets
_keys = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3) | st.integers(),
    st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([0.0, -0.0, 1.0]),
    st.text("ab$\u00e9: 1", max_size=4) | st.text(),
    st.binary(max_size=3),
    st.dates(),
    st.datetimes(timezones=_tz),
    st.times(timezones=_tz),
    st.timedeltas(),
    st.builds(PurePosixPath, st.text("ab/.", max_size=4)),
    st.builds(Path, st.text("ab/", max_size=4)),
    st.builds(InputFile, st.text("xy", max_size=2), st.text("0f", max_size=2)),
)
values = st.recursive(
    _keys,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(_keys | st.tuples(_keys, _keys), inner, max_size=3)
        | st.dictionaries(_keys, inner, max_size=3).map(lambda d: OrderedDict(d.items()))
    ),
    max_leaves=12,
)


def typed(v: Any) -> Any:
    """What the encoding must tell apart: the value with its type, tuples as lists."""
    if v is None:
        return ("none",)
    if isinstance(v, float):
        return ("float", v.hex())
    if isinstance(v, (list, tuple)):
        return ("list", tuple(typed(x) for x in v))
    if isinstance(v, OrderedDict):
        return ("odict", tuple((typed(k), typed(x)) for k, x in v.items()))
    if isinstance(v, dict):
        return ("dict", frozenset((typed(k), typed(x)) for k, x in v.items()))
    if isinstance(v, (datetime, time)):
        return (type(v).__name__, v.replace(tzinfo=None), v.utcoffset())
    if isinstance(v, PurePosixPath):
        return ("path", v.as_posix())
    if isinstance(v, InputFile):
        return ("file", v.digest)
    return (type(v).__name__, v)


def decode(data: bytes) -> Any:
    """Read an encoding back into ``typed`` form: that it can be done proves injectivity."""
    value, end = _decode_at(data, 0)
    assert end == len(data)
    return value


_LEAVES: dict[str, Any] = {
    "none": lambda b: ("none",),
    "bool": lambda b: ("bool", {b"1": True, b"0": False}[b]),
    "int": lambda b: ("int", int(b, 16)),
    "float": lambda b: ("float", float.fromhex(b.decode()).hex()),
    "str": lambda b: ("str", b.decode("utf-8", "surrogatepass")),
    "bytes": lambda b: ("bytes", b),
    "date": lambda b: ("date", date.fromisoformat(b.decode())),
    # Not fromisoformat itself: CPython reads an offset under a second (+00:00:00.000001) as UTC.
    "datetime": lambda b: typed(canonical.datetime_fromisoformat(b.decode())),
    "time": lambda b: typed(canonical.time_fromisoformat(b.decode())),
    "timedelta": lambda b: ("timedelta", timedelta(*map(int, b.split(b",")))),
    "path": lambda b: ("path", b.decode()),
    "file": lambda b: ("file", b.decode()),
}


def _decode_at(data: bytes, pos: int) -> tuple[Any, int]:
    space = data.index(b" ", pos)
    colon = data.index(b":", space)
    tag, n, pos = data[pos:space].decode(), int(data[space + 1 : colon]), colon + 1
    if tag in ("list", "dict", "odict"):
        items = []
        for _ in range(n * (1 if tag == "list" else 2)):
            item, pos = _decode_at(data, pos)
            items.append(item)
        if tag == "list":
            return ("list", tuple(items)), pos
        if tag == "odict":
            return ("odict", tuple(zip(items[::2], items[1::2], strict=True))), pos
        return ("dict", frozenset(zip(items[::2], items[1::2], strict=True))), pos
    return _LEAVES[tag](data[pos : pos + n]), pos + n


@given(values)
def test_encoding_can_be_read_back(v: Any) -> None:
    assert decode(encode(v)) == typed(v)


@given(values, values)
def test_injective(a: Any, b: Any) -> None:
    assert (encode(a) == encode(b)) == (typed(a) == typed(b))


def twin(v: Any, rnd: Any) -> Any:
    """``v`` with some leaves swapped for a look-alike of another type (True -> 1, str -> bytes)."""
    if isinstance(v, (list, tuple)):
        return [twin(x, rnd) for x in v] if rnd.random() < 0.5 else tuple(twin(x, rnd) for x in v)
    if isinstance(v, dict):
        return {_twin_key(k, rnd): twin(x, rnd) for k, x in v.items()}
    return _twin_leaf(v) if rnd.random() < 0.5 else v


def _twin_key(k: Any, rnd: Any) -> Any:
    return k if isinstance(k, tuple) else twin(k, rnd)


def _twin_leaf(v: Any) -> Any:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return bool(v) if v in (0, 1) else float(v) if abs(v) < 2**53 else -v
    if isinstance(v, float):
        return int(v) if v.is_integer() and v != 0 else -v
    if isinstance(v, str):
        return v.encode()
    if isinstance(v, bytes):
        return v.decode("latin-1")
    if isinstance(v, datetime):
        return v.replace(tzinfo=None if v.tzinfo else timezone.utc)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, time):
        return v.replace(tzinfo=None if v.tzinfo else timezone.utc)
    if isinstance(v, PurePosixPath):
        return v.as_posix()
    if isinstance(v, InputFile):
        return v.digest
    return {None: ""}.get(v, v)


@given(values, st.randoms())
def test_injective_on_look_alikes(a: Any, rnd: Any) -> None:
    b = twin(a, rnd)
    assert (encode(a) == encode(b)) == (typed(a) == typed(b))


@given(values)
def test_deterministic(v: Any) -> None:
    assert encode(v) == encode(v)
    assert encode(from_json(to_json(v))) == encode(v)


@given(st.dictionaries(_keys, values, max_size=5), st.randoms())
def test_dict_order_invariance(d: dict[Any, Any], rnd: Any) -> None:
    items = list(d.items())
    rnd.shuffle(items)
    assert encode(dict(items)) == encode(d)


@given(values)
def test_json_round_trip(v: Any) -> None:
    back = from_json(json.loads(json.dumps(to_json(v))))
    assert typed(back) == typed(v)
    assert back == _lists(v)


def _lists(v: Any) -> Any:
    """``v`` with tuples as lists (but tuple dict keys stay tuples)."""
    if isinstance(v, (list, tuple)):
        return [_lists(x) for x in v]
    if isinstance(v, dict):
        return type(v)((k, _lists(x)) for k, x in v.items())
    return v


@given(st.one_of(st.text(), st.integers(), st.none()))
def test_inline_scalars_encode_as_their_table_entries(v: Any) -> None:
    # _encode inlines str, int and None for speed: the bytes must be the table's.
    assert canonical._encode(v) == canonical._ENCODERS[type(v)](v)


def test_cached_dict_keys_keep_types_apart() -> None:
    for _ in range(2):  # the second pass reads the key cache
        assert canonical.encode({"1": 0}) != canonical.encode({1: 0})
        assert canonical.encode({True: 0}) != canonical.encode({1: 0})
        assert canonical.encode({"x\udcff": 0}) == b"dict 1:str 4:x\xed\xb3\xbfint 1:0"


@given(st.dictionaries(st.text(max_size=8), values, max_size=6), st.randoms())
def test_a_cached_dict_layout_encodes_as_sorting_does(d: dict[str, Any], rnd: Any) -> None:
    items = list(d.items())
    rnd.shuffle(items)
    for _ in range(2):  # the second pass reads the layout cache
        for dct in (d, dict(items)):
            assert canonical._enc_dict(dct) == canonical._enc_dict_sorting(dct)


@given(st.lists(st.text(max_size=8), min_size=1, max_size=6, unique=True), st.data())
def test_a_record_encoder_encodes_as_encode_does(keys: list[str], data: Any) -> None:
    record = {k: data.draw(values) for k in keys}
    encoder = canonical.RecordEncoder(keys)
    assert encoder.encode(record) == encode(record)
    assert encoder.encode({**record, "extra": 1}) == encode({**record, "extra": 1})
    assert encoder.encode(OrderedDict(record)) == encode(OrderedDict(record))


def test_a_record_encoder_refuses_as_encode_does() -> None:
    encoder = canonical.RecordEncoder(["a", "b"])
    with pytest.raises(CanonicalError, match=r"job\['b'\]\[1\]: cannot encode the float nan"):
        encoder.encode({"a": 1, "b": [0, float("nan")]}, where="job")


def test_the_json_form_refuses_an_int_it_could_not_read_back() -> None:
    with pytest.raises(CanonicalError, match=r"\['a'\]\[1\]: cannot store an int of about 5001"):
        to_json({"a": [1, 10**5000]}, "options")
    assert encode(10**5000).startswith(b"int 4153:")  # the identity itself has no limit


def test_brief_names_any_value_in_bounded_length() -> None:
    deep: Any = []
    for _ in range(5000):
        deep = [deep]
    for value in (10**5000, [1, 10**5000], deep, "x" * (1 << 20), {"k": deep}):
        assert len(canonical.brief(value)) < 200


def test_a_utc_offset_with_a_fraction_of_a_second_round_trips_through_json() -> None:
    """CPython's fromisoformat drops an offset's microseconds; hypothesis found it."""
    import datetime as dt

    for value in (dt.time(0, 0, tzinfo=dt.timezone(dt.timedelta(microseconds=1))),
                  dt.datetime(2020, 1, 1, tzinfo=dt.timezone(-dt.timedelta(seconds=1,
                                                                            microseconds=30)))):
        back = from_json(json.loads(json.dumps(to_json(value))))
        assert back == value and back.utcoffset() == value.utcoffset()


def test_an_offset_under_a_second_is_read_back_from_the_encoding() -> None:
    """isoformat writes ``+00:00:00.000001``, which CPython's fromisoformat reads as UTC:
    the encoding was exact (and stays so), the readers now are too. Hypothesis found it."""
    tiny, minus = timezone(timedelta(microseconds=1)), timezone(-timedelta(microseconds=999999))
    for value, pinned in [
        (time(0, 0, tzinfo=tiny), b"time 24:00:00:00+00:00:00.000001"),
        (time(1, 2, 3, 4, tzinfo=minus), b"time 31:01:02:03.000004-00:00:00.999999"),
        (datetime(2020, 1, 2, tzinfo=tiny), b"datetime 35:2020-01-02T00:00:00+00:00:00.000001"),
        (datetime(2020, 1, 2, 3, tzinfo=timezone(timedelta(hours=-5, microseconds=7))),
         b"datetime 35:2020-01-02T03:00:00-04:59:59.999993"),
    ]:
        assert encode(value) == pinned
        assert decode(encode(value)) == typed(value)
        assert encode(value) != encode(value.replace(tzinfo=timezone.utc))
        back = from_json(json.loads(json.dumps(to_json(value))))
        assert back == value and back.utcoffset() == value.utcoffset()
