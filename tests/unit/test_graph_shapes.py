"""graph: a job's hash through the shape of its method's jobs is the hash of its canonical
identity record, byte for byte, for every kind of value (issue 12, item 2)."""

from __future__ import annotations

import datetime
from collections import OrderedDict
from pathlib import PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acbuild import canonical, graph, hashing
from acbuild.errors import CanonicalError

VALUES = [0, -1, 2**70, 1.5, -0.0, "", "x", "é\udc80", None, True, False, b"\x00",
          [1, "a", None], (2, 3), {"b": 1, "a": [2]}, {3: "int key"}, OrderedDict(z=1, a=2),
          {f"k{i}": i for i in range(70)}, datetime.date(2020, 1, 2),
          datetime.timedelta(seconds=3), PurePosixPath("a/b"),
          canonical.InputFile("data.csv", "0" * 64)]


def slow(method: str, code: str, options: dict[str, object],
         inputs: dict[str, str | None], slices: int | None) -> str:
    return graph.job_hash(graph.identity_record(method, code, options, inputs, slices))


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_the_shape_gives_the_bytes_of_the_record(value: object) -> None:
    for options in ({"v": value}, {"a": 1, "v": value, "bb": "x"}, {"v" * 9: value, "w": 2}):
        for inputs in ({}, {"pred": "f" * 64}, {"b": None, "a": "e" * 64, "ccc": "d" * 64}):
            for slices in (None, 3):
                assert graph._fast_hash("m", "c" * 64, options, inputs, slices) == \
                    slow("m", "c" * 64, options, inputs, slices)


def test_a_spec_has_the_pinned_hash_and_a_refused_value_is_reported_as_before() -> None:
    spec = graph.make_spec("m", "c" * 64, {"n": 1}, {}, None)
    assert spec.hash == slow("m", "c" * 64, {"n": 1}, {}, None)
    assert spec.id == hashing.job_id("m", spec.hash)
    for refused in (object(), float("inf"), [1, {"x": set()}]):
        with pytest.raises(CanonicalError) as fast:
            graph.make_spec("m", "c" * 64, {"n": refused}, {}, None)
        with pytest.raises(CanonicalError) as generic:
            slow("m", "c" * 64, {"n": refused}, {}, None)
        assert str(fast.value) == str(generic.value)
    assert graph._fast_hash("m", "c" * 64, OrderedDict(n=1), {}, None) is None  # not a dict


# --- the property: every shape of options and inputs that exists --------------------

_HASH = st.text("0123456789abcdef", min_size=1, max_size=4).map(lambda s: s * 16)
_tz = st.none() | st.builds(datetime.timezone, st.timedeltas(
    min_value=datetime.timedelta(hours=-23), max_value=datetime.timedelta(hours=23)))
_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-2, 2),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6), st.binary(max_size=4),
    st.sampled_from(["a", "b", "c*", 1, 2]),  # what a Choice resolves to
    st.dates(), st.datetimes(timezones=_tz), st.times(timezones=_tz), st.timedeltas(),
    st.builds(PurePosixPath, st.text("ab/.", max_size=4)),
    st.builds(canonical.InputFile, st.text("xy", max_size=2), _HASH),
    st.builds(canonical.JobFile, _HASH, st.text("m-0", max_size=4), st.text("f.", max_size=3),
              st.booleans()),
)
_values = st.recursive(_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
    st.dictionaries(st.text(max_size=3) | st.integers(-2, 2), inner, max_size=3),
    st.dictionaries(st.text(max_size=3), inner, max_size=3).map(lambda d: OrderedDict(d))),
    max_leaves=8)
_names = st.text(max_size=5) | st.sampled_from(["a", "b", "withfile:cfg.x", "%", "%b", "é"])
_refs = st.none() | _HASH | st.lists(st.none() | _HASH, max_size=3).map(tuple)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["m", "%s", "a.b"]), st.dictionaries(_names, _values, max_size=4),
       st.dictionaries(_names, _refs, max_size=4), st.none() | st.integers(0, 64))
def test_the_shape_gives_the_bytes_of_the_record_for_any_options_and_inputs(
        method: str, options: dict[str, object], inputs: dict[str, graph.InputRef],
        slices: int | None) -> None:
    fast = graph._fast_hash(method, "c" * 64, options, inputs, slices)
    assert fast is not None  # the shape applies to every dict of str keys of encodable values
    assert fast == slow(method, "c" * 64, options, inputs, slices)
    # the same shape again (a cached one), with the values of another job of the method
    again = {k: [v] for k, v in options.items()}
    assert graph._fast_hash(method, "c" * 64, again, inputs, slices) == \
        slow(method, "c" * 64, again, inputs, slices)


@pytest.mark.parametrize("slices", [1, True, 1.0, 0, False, None])
def test_a_shape_is_not_shared_by_equal_slices_of_another_type(slices: object) -> None:
    for first in (1, 0):  # a shape made for an int first, then asked for what equals it
        graph._fast_hash("m", "c" * 64, {"n": 1}, {}, first)
        assert (graph._fast_hash("m", "c" * 64, {"n": 1}, {}, slices)  # type: ignore[arg-type]
                or slow("m", "c" * 64, {"n": 1}, {}, slices)) == \
            slow("m", "c" * 64, {"n": 1}, {}, slices)  # type: ignore[arg-type]
