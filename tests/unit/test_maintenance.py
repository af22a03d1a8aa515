"""The pure parts of gc: ages, and which runs the keep-rule counts."""

from __future__ import annotations

import pytest

from acbuild.dbruns import RunRow
from acbuild.maintenance import _recent_runs, parse_age


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("12h", 43200),
                                               ("7d", 604800), ("2w", 1209600), ("1.5h", 5400)])
def test_parse_age(text: str, seconds: float) -> None:
    assert parse_age(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "d", "7 days", "-1d", "soon"])
def test_parse_age_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="not an age"):
        parse_age(text)


def run(number: int, script: str, status: str = "ok") -> RunRow:
    return RunRow(number, script, float(number), float(number), status, 0, 0, 0)


def test_recent_runs_per_script_and_failures_never_push_out_a_success() -> None:
    runs = [run(1, "a"), run(2, "a"), run(3, "b"), run(4, "a", "failed"),
            run(5, "a", "failed"), run(6, "b")]
    assert [r.run for r in _recent_runs(runs, 1)] == [6, 5, 4, 2]
    assert [r.run for r in _recent_runs(runs, 2)] == [6, 5, 4, 3, 2, 1]
    assert _recent_runs(runs, 0) == []
