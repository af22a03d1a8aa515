"""Frozen records behave as the frozen dataclasses they replaced (issue 12, start-up)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

from acbuild import Required
from acbuild.canonical import InputFile, JobFile
from acbuild.options import OptionSpec, parse_declarations


@dataclasses.dataclass(frozen=True)
class _Required:  # what Required was
    form: object
    none_ok: bool = False


@dataclasses.dataclass(frozen=True)
class _JobFile:  # what JobFile was
    job: str
    id: str
    name: str
    sliced: bool = False


@pytest.mark.parametrize(("record", "was"), [
    (Required(int), _Required(int)),
    (Required([str], none_ok=True), _Required([str], none_ok=True)),
    (JobFile("ab", "m-ab", "x.txt"), _JobFile("ab", "m-ab", "x.txt")),
    (JobFile("ab", "m-ab", "x.txt", True), _JobFile("ab", "m-ab", "x.txt", True)),
])
def test_a_record_reads_compares_and_hashes_as_its_dataclass_did(record: Any, was: Any) -> None:
    assert repr(record) == repr(was).replace("_", "", 1)
    same = type(record)(*dataclasses.astuple(was))
    assert record == same
    assert (record != same) is False
    assert dataclasses.astuple(was) == tuple(getattr(record, f) for f in record.__match_args__)
    try:
        expected = hash(was)
    except TypeError:  # a list in it: no hash, as before
        with pytest.raises(TypeError):
            hash(record)
    else:
        assert hash(record) == hash(same) == expected
    assert record != was  # another class is another value
    assert pickle.loads(pickle.dumps(record)) == record == copy.deepcopy(record)


def test_a_record_refuses_change() -> None:
    record = InputFile("data/raw.csv", "ab12")
    with pytest.raises(AttributeError, match="cannot assign to field 'digest'"):
        record.digest = "cd"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="cannot delete field 'relpath'"):
        del record.relpath  # type: ignore[misc]
    with pytest.raises(AttributeError):
        record.other = 1  # type: ignore[attr-defined]
    assert record == InputFile("data/raw.csv", "ab12") != InputFile("data/raw.csv", "cd")
    assert {record, InputFile("data/raw.csv", "ab12")} == {record}


def test_an_option_spec_compares_without_its_converter() -> None:
    first = parse_declarations("m", {"n": 0.5, "xs": [int]})
    second = parse_declarations("m", {"n": 0.5, "xs": [int]})
    assert first == second and first["xs"].convert is not second["xs"].convert
    assert repr(first["n"]) == ("OptionSpec(name='n', kind='float', default=0.5, required=False,"
                                " show_default=True)")
    assert hash(first["n"]) == hash(second["n"])
    with pytest.raises(TypeError):  # a list default, as with the dataclass
        hash(first["xs"])
    assert first["xs"].copy_default and not first["n"].copy_default
    assert isinstance(first["n"], OptionSpec)
