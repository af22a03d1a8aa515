"""options: the Accelerator's option types — Choice wildcards and none_ok, Required(none_ok),
JobWithFile (a file of another job), their declaration records and canonical encodings."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acbuild import JobWithFile
from acbuild.canonical import JobFile, encode, from_json, to_json
from acbuild.declarations import record
from acbuild.errors import OptionError
from acbuild.graph import identity_record, job_hash
from acbuild.options import Choice, Required, describe, normalize, parse_declarations

FILE = JobFile("ab" * 32, "first-abababababab", "x.txt")


def norm(decl: object, value: Any = ...) -> Any:
    specs = parse_declarations("m", {"x": decl})
    return normalize("m", specs, {} if value is ... else {"x": value})["x"]


def refused(decl: object, value: Any = ...) -> str:
    with pytest.raises(OptionError) as exc:
        norm(decl, value)
    return str(exc.value)


# --- Choice, the Accelerator's OptionEnum ------------------------------------------


def test_one_string_of_names_is_split_as_the_accelerator_does() -> None:
    assert Choice("a b,c").values == ("a", "b", "c")
    assert Choice(["i", "j"]).values == ("i", "j")
    assert Choice(chr(n) for n in range(101, 103)).values == ("e", "f")
    assert Choice("a").values == ("a",)
    assert Choice("a", "b c").values == ("a", "b c")  # several values: taken as they are
    assert Choice(["a b"]).values == ("a b",) and Choice(["a b"])["a b"].values == ("a b",)


def test_wildcard_takes_any_str_that_starts_so() -> None:
    decl = Choice("m n* o p", default="m")
    assert norm(decl, "nah") == "nah"
    assert norm(decl, "n") == "n"
    assert norm(decl, "n*") == "n*"
    assert norm(decl, "p") == "p"
    assert norm(Choice("q* r* s t")["quu"], "really good value\n") == "really good value\n"
    assert "expects one of 'm', 'n*', 'o', 'p'" in refused(decl, "moo")
    assert "('n*': any str starting with 'n')" in refused(decl, "moo")
    assert "got None" in refused(decl, None)
    assert "got int 1" in refused(Choice("n*"), 1)


def test_members_are_the_choice_with_that_default() -> None:
    efgh = Choice("e f g h")
    assert norm(efgh.g) == "g"
    assert norm(efgh["h"]) == "h"
    assert norm(Choice("q* s")["quu"]) == "quu"
    with pytest.raises(KeyError):
        efgh["x"]
    with pytest.raises(AttributeError):
        efgh.x  # noqa: B018


def test_none_ok() -> None:
    # without a default: None is the default and a value, unless none_ok=False (required)
    assert norm(Choice("a b")) is None
    assert norm(Choice("a b", none_ok=True), None) is None
    specs = parse_declarations("m", {"x": Choice("a b", none_ok=False)})
    with pytest.raises(OptionError, match="option 'x' is required"):
        normalize("m", specs, {})
    assert "got None" in refused(Choice("a b", none_ok=False), None)
    # with a default: None only with none_ok=True
    assert norm(Choice("a b", none_ok=True).a, None) is None
    assert norm(Choice("a b", none_ok=True).a) == "a"
    assert "got None" in refused(Choice("a b").a, None)
    assert describe(parse_declarations("m", {"x": Choice("a b", none_ok=True).b})["x"]) == (
        "one of 'a', 'b' or None (default 'b')")


def test_required_none_ok() -> None:
    assert norm(Required(int, none_ok=True), None) is None
    assert norm(Required(int, none_ok=True), 3) == 3
    specs = parse_declarations("m", {"x": Required(int, none_ok=True)})
    with pytest.raises(OptionError, match="option 'x' is required"):
        normalize("m", specs, {})
    assert "got None" in refused(Required(int), None)
    assert describe(specs["x"]) == "required int or None"
    assert "none_ok is True or False" in str(
        pytest.raises(OptionError, parse_declarations, "m", {"x": Required(int, none_ok=2)})
        .value)


def test_declaration_records_keep_none_ok_and_jobwithfile() -> None:
    values = {"options": {"a": Choice("m n*", default="nope", none_ok=True),
                          "b": Required(str, none_ok=True), "c": Choice("x y", none_ok=False),
                          "d": JobWithFile, "e": Required(JobWithFile)}}
    text = record.encode(values, ("synthesis",), "source")
    assert text is not None
    decoded = record.decode(text)
    assert decoded is not None
    back = decoded[0]["options"]
    assert back["a"].values == ("m", "n*") and back["a"].default == "nope"
    assert back["a"].none_ok is True and back["c"].none_ok is False
    assert back["b"] == Required(str, none_ok=True)
    assert back["d"] is JobWithFile and back["e"] == Required(JobWithFile)


# --- JobWithFile: a file of another job -----------------------------------------------


def test_jobwithfile_option_takes_only_a_job_file() -> None:
    assert norm(JobWithFile, FILE) == FILE
    assert norm(JobWithFile) is None
    assert norm(None, {"cfg": [FILE]}) == {"cfg": [FILE]}  # free-form options take one too
    assert "expects a file of a job (handle.withfile(name)), got str 'x.txt'" in refused(
        JobWithFile, "x.txt")
    assert "JobWithFile" in refused(Required(JobWithFile), None)


def test_job_file_encoding_is_its_job_name_and_slicing() -> None:
    other = JobFile("cd" * 32, FILE.id, FILE.name)
    assert encode(FILE) != encode(other)  # the job's hash is identity
    assert encode(FILE) != encode(JobFile(FILE.job, FILE.id, "y.txt"))
    assert encode(FILE) != encode(JobFile(FILE.job, FILE.id, FILE.name, True))
    assert encode(FILE) != encode(FILE.name) and encode(FILE) != encode([FILE.job, FILE.name])
    assert from_json(to_json({"f": FILE})) == {"f": FILE}


# --- list inputs: a list in identity, single inputs as before ------------------------------

HASHES = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


def test_single_input_ids_are_unchanged() -> None:
    # pinned: a job with a single input (and one without) hashes as before list inputs
    record_ = identity_record("m", "c" * 64, {"n": 1}, {"a": "ab" * 32, "b": None}, 2)
    assert job_hash(record_) == job_hash(record_)
    assert encode(record_["inputs"]) == (
        b"dict 2:str 1:astr 64:" + b"ab" * 32 + b"str 1:bnone 0:")


@given(st.lists(st.one_of(st.none(), HASHES), max_size=6), st.one_of(st.none(), HASHES))
def test_a_list_input_never_encodes_as_a_single_one(many: list[str | None],
                                                    one: str | None) -> None:
    as_list = encode({"x": tuple(many)})
    assert as_list == encode({"x": list(many)})  # tuple or list: one encoding
    assert as_list != encode({"x": one})
    if len(many) > 1 and many != many[::-1]:
        assert as_list != encode({"x": tuple(reversed(many))})  # order is identity
