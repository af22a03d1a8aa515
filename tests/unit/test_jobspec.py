"""jobspec.parse: each JOB-argument form split into its base and steps, and bad ones refused."""

from __future__ import annotations

import pytest

from acbuild.errors import JobSpecError
from acbuild.jobspec import Parsed, Step, parse


@pytest.mark.parametrize("text, expected", [
    ("clean-3f9a", Parsed("clean-3f9a", ())),
    ("train", Parsed("train", ())),
    ("train~", Parsed("train", (Step("~", 1),))),
    ("train~3", Parsed("train", (Step("~", 3),))),
    ("train~~", Parsed("train", (Step("~", 1), Step("~", 1)))),
    ("train^", Parsed("train", (Step("^", 1),))),
    ("train^2", Parsed("train", (Step("^", 2),))),
    ("train.data", Parsed("train", (Step(".", name="data"),))),
    ("train~1^.raw", Parsed("train", (Step("~", 1), Step("^", 1), Step(".", name="raw")))),
    (":sales/daily:report", Parsed("sales/daily", (), "report")),
    (":sales/daily/2024-01-01:report", Parsed("sales/daily/2024-01-01", (), "report")),
    (":sales/daily:", Parsed("sales/daily", (), "")),
    (":sales/daily:report^.data", Parsed("sales/daily", (Step("^", 1), Step(".", name="data")),
                                         "report")),
])
def test_forms(text: str, expected: Parsed) -> None:
    assert parse(text) == expected


def test_a_list_job_name_that_looks_like_steps_is_a_name_when_the_entry_has_it() -> None:
    assert parse(":runs:model.v2", names=["model.v2"]) == Parsed("runs", (), "model.v2")
    assert parse(":runs:model.v2") == Parsed("runs", (Step(".", name="v2"),), "model")


@pytest.mark.parametrize("text, words", [
    ("train~x", "after '~' comes a number of jobs back"),
    ("train^^x", "after '^' comes a number"),
    ("train.1", "cannot read '.1'"),
    ("^", "no job before '^'"),
    (":sales", ":LIST:NAME"),
    ("::x", ":LIST:NAME"),
    ("train~²", "cannot read"),
])
def test_bad_forms_are_refused_naming_the_part(text: str, words: str) -> None:
    with pytest.raises(JobSpecError) as e:
        parse(text)
    assert words in e.value.message
