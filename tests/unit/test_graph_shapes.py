"""graph: a job's hash through the shape of its method's jobs is the hash of its canonical
identity record, byte for byte, for every kind of value (issue 12, item 2)."""

from __future__ import annotations

import datetime
from collections import OrderedDict
from pathlib import PurePosixPath

import pytest

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
