"""merge_auto's rules (acbuild.merge): numbers add, dicts merge at every depth, sets
unite, lists concatenate, anything else must agree; a clash names its key."""

from __future__ import annotations

import pickle
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acbuild.merge import AnalysisResults, MergeError, merge_all

words = st.dictionaries(st.sampled_from("abcdef"), st.integers(-1000, 1000), max_size=6)


@given(st.lists(words.map(Counter), min_size=1, max_size=6))
def test_counters_merge_as_their_sum(slices: list[Counter[str]]) -> None:
    expected: Counter[str] = Counter()
    for c in slices:
        for k, v in c.items():
            expected[k] += v
    copies = [Counter(c) for c in slices]
    merged = merge_all(copies)
    assert isinstance(merged, Counter)
    assert dict(merged) == {k: v for k, v in expected.items() if any(k in c for c in slices)}


@given(st.lists(st.lists(st.integers(), max_size=5), min_size=1, max_size=6))
def test_lists_concatenate_in_slice_order(slices: list[list[int]]) -> None:
    assert merge_all([list(s) for s in slices]) == [x for s in slices for x in s]


@given(st.lists(st.frozensets(st.integers(0, 20)), min_size=1, max_size=6),
       st.booleans())
def test_sets_unite(slices: list[frozenset[int]], mutable: bool) -> None:
    values = [set(s) if mutable else s for s in slices]
    assert merge_all(values) == frozenset().union(*slices)


@given(st.lists(st.dictionaries(st.sampled_from("xy"), words, max_size=2),
                min_size=2, max_size=5))
def test_nested_dicts_merge_the_same_in_any_grouping(slices: list[dict]) -> None:
    """Associative: merging slices one by one is merging halves (a wrong depth shows)."""
    import copy

    whole = merge_all(copy.deepcopy(slices))
    half = len(slices) // 2
    left, right = merge_all(copy.deepcopy(slices[:half])), merge_all(copy.deepcopy(slices[half:]))
    assert whole == merge_all([left, right])


def test_numbers_add_and_tuples_merge_by_position() -> None:
    assert merge_all([(1, 2.5, {"a": [1]}), (2, 0.5, {"a": [2]}), (3, 1, {"b": [3]})]) == \
        (6, 4.0, {"a": [1, 2], "b": [3]})


def test_equal_strings_agree_and_different_ones_name_the_key() -> None:
    assert merge_all([{"name": "x", "n": 1}, {"name": "x", "n": 2}]) == {"name": "x", "n": 3}
    with pytest.raises(MergeError, match=r"key \['cfg'\]\['name'\] is 'x' in one slice and "
                                         r"'y' in another.*merging slice 2"):
        merge_all([{"cfg": {"name": "x"}}, {}, {"cfg": {"name": "y"}}])


def test_a_clash_of_kinds_names_the_key() -> None:
    with pytest.raises(MergeError, match=r"key \['a'\] is a dict in one slice and a list"):
        merge_all([{"a": {}}, {"a": []}])
    with pytest.raises(MergeError, match=r"the value is an int in one slice and a str"):
        merge_all([1, "1"])
    with pytest.raises(MergeError, match="a bool"):  # True is not the number 1 here
        merge_all([{"ok": True}, {"ok": 1}])


def test_analysis_res_is_read_once_and_pickles_as_a_list() -> None:
    res = AnalysisResults([1, 2, 3])
    assert pickle.loads(pickle.dumps(res)) == [1, 2, 3]
    assert type(pickle.loads(pickle.dumps(res))) is list
    assert list(res) == [1, 2, 3]
    with pytest.raises(RuntimeError, match="read once"):
        list(res)
    with pytest.raises(RuntimeError, match="after analysis_res was read"):
        res.merge_auto()
    assert AnalysisResults([{"a": 1}, {"a": 2}]).merge_auto() == {"a": 3}
    assert AnalysisResults([]).merge_auto() is None


def test_allow_overwrite_lets_the_later_slice_win_as_the_accelerator_did() -> None:
    res = AnalysisResults([{"a": {"name": "x", "n": 1}}, {"a": {"name": "y", "n": 2}}])
    assert res.merge_auto(allow_overwrite=True) == {"a": {"name": "y", "n": 3}}
    assert merge_all([("x", 1), ("y", 2)], allow_overwrite=True) == ("y", 3)
