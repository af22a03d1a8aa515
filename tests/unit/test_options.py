"""options: declarations, strict conversion, normalisation and their error messages."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acbuild.canonical import InputFile, encode, from_json, to_json
from acbuild.errors import OptionError
from acbuild.options import Choice, Required, describe, normalize, parse_declarations

RAW = InputFile("data/raw.csv", "ab12")


def norm(decl: object, value: Any = ...) -> Any:
    """The normalised value of one option ``x`` declared as ``decl`` (left out if ``...``)."""
    specs = parse_declarations("m", {"x": decl})
    return normalize("m", specs, {} if value is ... else {"x": value})["x"]


def refused(decl: object, value: Any) -> str:
    with pytest.raises(OptionError) as exc:
        norm(decl, value)
    return str(exc.value)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (3 == 3.0 == True is not enough)."""
    return encode(a) == encode(b)


# --- a default value fixes the type ------------------------------------------------

ACCEPTED_BY_DEFAULT = [
    (0.5, 2.5, 2.5),
    (0.5, 3, 3.0),
    (3, 7, 7),
    (True, False, False),
    ("", "x", "x"),
    ("x", RAW, RAW),
    ([], (1, "a", [None]), [1, "a", [None]]),
    ([1], [{"a": 1.5}], [{"a": 1.5}]),
    ({}, {"a": [1, (2,)]}, {"a": [1, [2]]}),
    (date(2020, 1, 1), "2021-02-03", date(2021, 2, 3)),
    (date(2020, 1, 1), date(2021, 2, 3), date(2021, 2, 3)),
    (datetime(2020, 1, 1), "2021-02-03T04:05", datetime(2021, 2, 3, 4, 5)),
    (datetime(2020, 1, 1), "2021-02-03", datetime(2021, 2, 3)),
    (time(1), "04:05:06", time(4, 5, 6)),
    (timedelta(1), timedelta(seconds=3), timedelta(seconds=3)),
    (Path("a"), "b/c", Path("b/c")),
    (Path("a"), PurePosixPath("b"), Path("b")),
    (Path("a"), RAW, RAW),
]


@pytest.mark.parametrize(("decl", "value", "expected"), ACCEPTED_BY_DEFAULT)
def test_default_value_accepts(decl: object, value: Any, expected: Any) -> None:
    assert same(norm(decl, value), expected)


REFUSED_BY_DEFAULT = [
    (0.5, "high", "expects float, got str 'high'"),
    (0.5, True, "expects float, got bool True"),
    (0.5, None, "expects float, got None"),
    (0.5, float("nan"), "expects a finite float, got float nan"),
    (0.5, 2**60 + 1, "(not exactly representable as a float)"),
    (3, True, "expects int, got bool True"),
    (3, 7.0, "expects int, got float 7.0"),
    (3, "7", "expects int, got str '7'"),
    (True, "false", "expects bool, got str 'false'"),
    (True, 0, "expects bool, got int 0"),
    (True, 1, "expects bool, got int 1"),
    ("", 3, "expects str, got int 3"),
    ("", b"x", "expects str, got bytes b'x'"),
    ([], "abc", "expects list, got str 'abc'"),
    ([], [date(2020, 1, 1)], "'x'[0] expects a JSON value, got date 2020-01-01"),
    ({}, {1: 2}, "expects str keys, got int 1"),
    ({}, {"a": {1, 2}}, "'x'['a'] expects a JSON value, got set {1, 2}"),
    (date(2020, 1, 1), datetime(2020, 1, 1), "expects date, got datetime 2020-01-01T00:00:00"),
    (date(2020, 1, 1), "2020-01-01T00:00", "expects date or an ISO date string, got str"),
    (date(2020, 1, 1), "tomorrow", "expects date or an ISO date string, got str 'tomorrow'"),
    (datetime(2020, 1, 1), date(2020, 1, 1), "expects datetime, got date 2020-01-01"),
    (time(1), 5, "expects time, got int 5"),
    (timedelta(1), 3, "expects timedelta, got int 3"),
    (timedelta(1), "1 day", "expects timedelta, got str '1 day'"),
    (Path("a"), 3, "expects Path, got int 3"),
    (Path("a"), "", "expects Path, got str ''"),
]


@pytest.mark.parametrize(("decl", "value", "message"), REFUSED_BY_DEFAULT)
def test_default_value_refuses(decl: object, value: Any, message: str) -> None:
    assert message in refused(decl, value)


def test_exact_error_text() -> None:
    specs = parse_declarations("clean", {"threshold": 0.5, "columns": [str]})
    with pytest.raises(OptionError) as exc:
        normalize("clean", specs, {"threshold": "high"})
    assert str(exc.value) == "method 'clean': option 'threshold' expects float, got str 'high'"
    with pytest.raises(OptionError) as exc:
        normalize("clean", specs, {"columns": ["a", "b", 3]})
    assert str(exc.value) == "method 'clean': option 'columns'[2] expects str, got int 3"


def test_unknown_option_lists_known_ones_and_guesses() -> None:
    specs = parse_declarations("clean", {"threshold": 0.5, "columns": [str]})
    with pytest.raises(OptionError) as exc:
        normalize("clean", specs, {"treshold": 0.1})
    assert exc.value.message == (
        "method 'clean' has no option 'treshold' (known options: columns, threshold)"
    )
    assert exc.value.hint == "did you mean 'threshold'?"
    with pytest.raises(OptionError) as exc:
        normalize("m", {}, {"zzz": 1})
    assert exc.value.message == "method 'm' has no option 'zzz' (known options: none)"
    assert exc.value.hint is None


def test_defaults_are_filled_and_fresh() -> None:
    specs = parse_declarations("m", {"a": 0.5, "b": [1, [2]], "c": {}, "d": [str], "e": int})
    first = normalize("m", specs, {})
    assert first == {"a": 0.5, "b": [1, [2]], "c": {}, "d": [], "e": None}
    first["b"][1].append(3)
    first["d"].append("x")
    assert normalize("m", specs, {}) == {"a": 0.5, "b": [1, [2]], "c": {}, "d": [], "e": None}


def test_normalize_returns_a_new_dict_in_declared_order() -> None:
    specs = parse_declarations("m", {"b": 1, "a": 2})
    given_ = {"a": 5}
    out = normalize("m", specs, given_)
    assert list(out) == ["b", "a"]
    assert given_ == {"a": 5}


# --- a type: that type or None -----------------------------------------------------

TYPES = [
    (int, 3, 3),
    (float, 3, 3.0),
    (str, "s", "s"),
    (str, RAW, RAW),
    (bool, True, True),
    (list, (1, 2), [1, 2]),
    (dict, {"a": None}, {"a": None}),
    (date, "2020-01-02", date(2020, 1, 2)),
    (
        datetime,
        datetime(2020, 1, 2, tzinfo=timezone.utc),
        datetime(2020, 1, 2, tzinfo=timezone.utc),
    ),
    (time, "01:02", time(1, 2)),
    (timedelta, timedelta(2), timedelta(2)),
    (Path, "x", Path("x")),
    (PurePosixPath, "x", Path("x")),
]


@pytest.mark.parametrize(("decl", "value", "expected"), TYPES)
def test_type_accepts_its_type_or_none(decl: type, value: Any, expected: Any) -> None:
    assert same(norm(decl, value), expected)
    assert norm(decl, None) is None
    assert norm(decl) is None


def test_type_refuses_others() -> None:
    assert "expects int, got str 'x'" in refused(int, "x")
    assert "expects bool, got int 1" in refused(bool, 1)
    assert "expects dict, got list []" in refused(dict, [])


# --- typed lists and dicts ------------------------------------------------------------


def test_typed_list() -> None:
    assert norm([str]) == []
    assert norm([str], ("a", RAW)) == ["a", RAW]
    assert same(norm([float], [1, 2.5]), [1.0, 2.5])
    assert norm([Path], ["a", RAW]) == [Path("a"), RAW]
    assert norm([[int]], [[1], (2, 3)]) == [[1], [2, 3]]
    assert "option 'x'[1] expects str, got int 3" in refused([str], ["a", 3])
    assert "option 'x'[1][0] expects int, got str 'a'" in refused([[int]], [[1], ["a"]])
    assert "option 'x' expects [str], got None" in refused([str], None)
    assert "option 'x'[0] expects str, got None" in refused([str], [None])


def test_typed_dict() -> None:
    assert norm({str: int}) == {}
    assert same(norm({str: [float]}, {"a": [1, 2.5]}), {"a": [1.0, 2.5]})
    assert norm({str: Path}, {"a": RAW}) == {"a": RAW}
    assert norm({date: int}, {"2020-01-02": 1}) == {date(2020, 1, 2): 1}
    assert "option 'x'['a'][1] expects float, got str 'q'" in refused(
        {str: [float]}, {"a": [1, "q"]}
    )
    assert "option 'x' expects int keys, got str 'a'" in refused({int: int}, {"a": 1})
    assert "the same key twice" in refused({date: int}, {"2020-01-02": 1, date(2020, 1, 2): 2})
    assert "expects {str: int}, got list []" in refused({str: int}, [])


# --- None, Required, Choice -------------------------------------------------------


@pytest.mark.parametrize("value", [None, 1, 2.5, "s", True, [1, {"a": [None]}], {"k": "v"}, RAW])
def test_none_accepts_any_json(value: Any) -> None:
    assert norm(None, value) == value


@pytest.mark.parametrize("value", [date(2020, 1, 1), {1: "a"}, b"x", float("inf"), object()])
def test_none_refuses_what_json_cannot_hold(value: Any) -> None:
    refused(None, value)


def test_none_turns_tuples_into_lists() -> None:
    assert norm(None, (1, (2,))) == [1, [2]]


def test_required() -> None:
    assert norm(Required(int), 3) == 3
    assert norm(Required([str]), ()) == []
    specs = parse_declarations("train", {"n": Required(int)})
    with pytest.raises(OptionError) as exc:
        normalize("train", specs, {})
    assert str(exc.value) == "method 'train': option 'n' is required (int)"
    assert "expects int, got None" in refused(Required(int), None)
    assert "expects int, got str 'x'" in refused(Required(int), "x")


def test_choice() -> None:
    assert norm(Choice("a", "b")) is None
    assert norm(Choice("a", "b", default="b")) == "b"
    assert norm(Choice("a", 1), 1) == 1
    assert norm([Choice("a", "b")], ["b", "a"]) == ["b", "a"]
    assert norm(Choice("a", "b"), None) is None
    assert "expects one of 'a', 'b', got str 'c'" in refused(Choice("a", "b"), "c")
    assert "expects one of 1, 2, got bool True" in refused(Choice(1, 2), True)
    assert "expects one of 1, 2, got str '1'" in refused(Choice(1, 2), "1")
    assert "got None" in refused(Choice("a", default="a"), None)
    assert "got None" in refused(Required(Choice("a")), None)


# --- invalid declarations --------------------------------------------------------

BAD_DECLARATIONS = [
    (object(), "expected a default value or a type like int"),
    (object, "object is not an option type"),
    ([int, str], "a typed list declares one element type, like [int]; got [int, str]"),
    ([1, int], "a typed list declares one element type"),
    ({str: int, int: str}, "a typed dict declares one key type"),
    ({list: int}, "a typed dict declares one key type"),
    ({float: int}, "a typed dict declares one key type"),
    ({"a": int}, "a typed dict declares one key type"),
    ({str: 1}, "expected a type like int, [str] or {str: float}, got 1"),
    ([float("nan")], "the default is not a valid list: [0] expects a finite float, got float nan"),
    ([date(2020, 1, 1)], "the default is not a valid list"),
    (float("inf"), "the default is not a valid float"),
    (Required(3), "expected a type like int"),
    ([Required(int)], "Required(...) goes only around a whole option"),
    (Choice(), "Choice takes one or more str or int values"),
    (Choice(True), "Choice takes one or more str or int values"),
    (Choice(1.5), "Choice takes one or more str or int values"),
    (Choice("a", "a"), "lists a value twice"),
    (Choice("a", default="b"), "the default 'b' is not one of the choices"),
    (Required(Choice("a", default="a")), "has no default"),
    ({1, 2}, "expected a default value or a type like int"),
    (list[int], "expected a default value or a type like int"),
    ([dict[str, int]], "expects a JSON value, got GenericAlias dict[str, int]"),
]


@pytest.mark.parametrize(("decl", "message"), BAD_DECLARATIONS)
def test_invalid_declarations(decl: object, message: str) -> None:
    with pytest.raises(OptionError) as exc:
        parse_declarations("clean", {"x": decl})
    text = str(exc.value)
    assert text.startswith("method 'clean': option 'x' has an invalid declaration: ")
    assert message in text


def test_declarations_must_be_a_dict_of_str() -> None:
    with pytest.raises(OptionError, match="method 'm': options must be a dict, got list"):
        parse_declarations("m", [])  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="method 'm': option names are str, got 1"):
        parse_declarations("m", {1: int})  # type: ignore[dict-item]


# --- describe -------------------------------------------------------------------

DESCRIPTIONS = [
    (0.5, "float (default 0.5)"),
    ("", "str (default '')"),
    ([], "list (default [])"),
    (date(2020, 1, 2), "date (default 2020-01-02)"),
    (Path("data/x"), "Path (default 'data/x')"),
    ([str], "[str]"),
    ({str: [float]}, "{str: [float]}"),
    (int, "int or None"),
    (None, "any JSON value"),
    (Required(int), "required int"),
    (Required([str]), "required [str]"),
    (Choice("a", "b"), "one of 'a', 'b' or None"),
    (Choice("a", "b", default="a"), "one of 'a', 'b' (default 'a')"),
]


@pytest.mark.parametrize(("decl", "text"), DESCRIPTIONS)
def test_describe(decl: object, text: str) -> None:
    assert describe(parse_declarations("m", {"x": decl})["x"]) == text


# --- property: normalising a normalised dict changes nothing ----------------------

DECLARED = {
    "f": 0.5,
    "i": 3,
    "b": True,
    "s": "",
    "l": [],
    "d": {},
    "day": date(2020, 1, 1),
    "when": datetime,
    "at": time,
    "span": timedelta(0),
    "p": Path("x"),
    "cols": [str],
    "m": {str: [float]},
    "by_day": {date: int},
    "any": None,
    "n": Required(int),
    "mode": Choice("a", "b"),
}
SPECS = parse_declarations("m", DECLARED)

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
_files = st.builds(InputFile, st.text("ab/", min_size=1), st.text("0f", min_size=1))
_floats = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53)
_paths = st.text("ab/", min_size=1).filter(lambda s: s.strip()) | _files
GIVEN = {
    "f": _floats,
    "i": st.integers(),
    "b": st.booleans(),
    "s": st.text() | _files,
    "l": st.lists(_json, max_size=3),
    "d": st.dictionaries(st.text(max_size=3), _json, max_size=3),
    "day": st.dates() | st.dates().map(date.isoformat),
    "when": st.none() | st.datetimes() | st.datetimes().map(datetime.isoformat),
    "at": st.none() | st.times() | st.times().map(time.isoformat),
    "span": st.timedeltas(),
    "p": _paths,
    "cols": st.lists(st.text() | _files, max_size=3).map(tuple),
    "m": st.dictionaries(st.text(max_size=3), st.lists(_floats, max_size=3)),
    "by_day": st.dictionaries(st.dates(), st.integers(), max_size=3),
    "any": _json | _files,
    "mode": st.sampled_from([None, "a", "b"]),
}
given_options = st.fixed_dictionaries({"n": st.integers()}, optional=GIVEN)


@given(given_options)
def test_normalize_is_idempotent(given_: dict[str, Any]) -> None:
    once = normalize("m", SPECS, given_)
    twice = normalize("m", SPECS, once)
    assert twice == once
    assert encode(twice) == encode(once)
    assert set(once) == set(DECLARED)
    # What setup.json stores reads back as the same options.
    assert from_json(json.loads(json.dumps(to_json(once)))) == once


# --- OrderedDict: its order is its value ------------------------------------------------


def test_an_ordered_dict_default_declares_an_ordered_option() -> None:
    from collections import OrderedDict

    default = OrderedDict([("b", 1), ("a", 2)])
    got = norm(default)
    assert type(got) is OrderedDict and list(got) == ["b", "a"]
    assert got is not norm(default), "each job gets its own copy"
    given = norm(default, {"z": 1, "y": 2})  # a dict given: the script's order is kept
    assert type(given) is OrderedDict and list(given) == ["z", "y"]
    assert describe(parse_declarations("m", {"x": default})["x"]).startswith("OrderedDict")
    assert "expects OrderedDict" in refused(default, [1])


def test_an_ordered_dict_value_keeps_its_order_into_the_identity() -> None:
    from collections import OrderedDict

    ab, ba = OrderedDict([("a", 1), ("b", 2)]), OrderedDict([("b", 2), ("a", 1)])
    for decl in ({}, {str: int}, None):
        got_ab, got_ba = norm(decl, ab), norm(decl, ba)
        assert type(got_ab) is OrderedDict and list(got_ba) == ["b", "a"]
        assert encode(got_ab) != encode(got_ba)
    assert encode(norm({}, {"a": 1, "b": 2})) == encode(norm({}, {"b": 2, "a": 1}))


# --- values too large or too deep for a job's records -------------------------------

HUGE = 10**5000  # more digits than JSON (Python's int_max_str_digits) writes or reads back


@pytest.mark.parametrize("decl", [0, int, None, [int], {str: int}, list, dict])
def test_an_int_too_long_for_json_is_refused_wherever_it_is(decl: object) -> None:
    value = HUGE if decl in (0, int, None) else [HUGE] if decl in ([int], list) else {"k": HUGE}
    message = refused(decl, value)
    assert "at most 4300 digits" in message
    assert "about 5001 digits" in message  # named without printing it (which would raise)


def test_the_longest_int_json_holds_is_accepted() -> None:
    longest = 10**4300 - 1
    assert norm(0, longest) == longest
    assert from_json(json.loads(json.dumps(to_json(longest)))) == longest


def test_a_free_form_value_nested_too_deep_is_refused_with_a_short_message() -> None:
    deep: Any = "leaf"
    for _ in range(5000):
        deep = [deep]
    message = refused(None, {"a": deep})
    assert "nested at most 100 deep" in message
    assert len(message) < 300
    ok: Any = 1
    for _ in range(99):
        ok = [ok]
    assert norm(list, ok) == ok


def test_a_huge_string_in_a_message_is_shortened_cheaply() -> None:
    message = refused(0, "y" * (20 << 20))
    assert "yyy" in message and len(message) < 300
