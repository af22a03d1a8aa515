"""compare's pieces that need no project: flattening, differing columns, sorting; and the
rule for a result in --json output (session.result_data)."""

from __future__ import annotations

import math

import pytest

from acbuild.compare import Comparison, _columns, _flatten, sorted_by
from acbuild.errors import AcbuildError
from acbuild.session import result_data


def test_flatten_keeps_scalar_leaves_by_dotted_path() -> None:
    value = {"roc_auc": {"test": 0.9, "train": 1}, "name": "x", "ok": True, "none": None,
             "weights": [1, 2], "deep": {"a": {"b": 3}}, "f": {"$file": "data/x.csv"}}
    assert _flatten(value, top="result") == {
        "roc_auc.test": 0.9, "roc_auc.train": 1, "name": "x", "ok": True, "none": None,
        "deep.a.b": 3, "f": "data/x.csv"}
    assert _flatten(0.5, top="result") == {"result": 0.5}
    assert _flatten([1, 2], top="result") == {}


def test_columns_only_differing_keeps_first_seen_order() -> None:
    rows = [{"a": 1, "b": 2, "c": [1]}, {"a": 1, "b": 3, "c": [2]}, {"a": 1, "d": 0}]
    assert _columns(rows, only_differing=False) == ["a", "b", "c", "d"]
    assert _columns(rows, only_differing=True) == ["b", "c", "d"]
    assert _columns([{"a": 1}], only_differing=True) == []


def comparison(values: list[object]) -> Comparison:
    rows = tuple({"job": f"m-{i}", "name": None, "built": None, "x": v}
                 for i, v in enumerate(values))
    return Comparison("m", (), (), ("x",), rows)


def test_sorting_puts_numbers_before_text_and_missing_values_last() -> None:
    # NaN is no number to order by: it sorts as its text, "nan", after "n/a"
    found = sorted_by(comparison([3, None, "n/a", 1.5, math.nan, 2]), "x")
    assert [r["job"] for r in found.rows] == ["m-3", "m-5", "m-0", "m-2", "m-4", "m-1"]
    down = sorted_by(comparison([3, None, 1]), "x", descending=True)
    assert [r["x"] for r in down.rows] == [3, 1, None]
    with pytest.raises(AcbuildError, match="no column 'y'"):
        sorted_by(comparison([1]), "y")


@pytest.mark.parametrize("value", [5, "text", None, [1, "a", None], {"a": {"b": [1.5]}},
                                   True])
def test_a_json_result_is_data(value: object) -> None:
    assert result_data(value) == (value, "json")


@pytest.mark.parametrize("value, shown", [({1, 2}, "{1, 2}"), ((1, 2), "(1, 2)"),
                                          ({1: "a"}, "{1: 'a'}"), (math.nan, "nan"),
                                          ([math.inf], "[inf]")])
def test_a_result_json_cannot_hold_as_it_is_is_its_repr(value: object, shown: str) -> None:
    assert result_data(value) == (shown, "repr")


def test_a_huge_result_is_its_short_repr() -> None:
    text, fmt = result_data(list(range(500_000)))
    assert fmt == "repr" and len(text) < 100


def test_an_options_list_is_kept_whole() -> None:
    options = {"columns": ["a", "b"], "cut": {"low": 1}}
    assert _flatten(options, keep_lists=True) == {"columns": ["a", "b"], "cut.low": 1}
