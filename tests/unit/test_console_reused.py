"""console: the reporters take a plan's reused jobs as one ``JobsReused`` event: they count
each of them, and with -v say each one, in order, as they say a single ``JobReused``."""

from __future__ import annotations

import io

import pytest

from acbuild import console, events

REUSED = events.JobsReused(("a-1", "b-2"), ("/w/a-1", "/w/b-2"))
ONE = events.JobReused(events.JobRef("c-3", "c", "built by another run"), "/w/c-3")


@pytest.mark.parametrize("verbose", [False, True])
def test_plain_says_each_reused_job_with_verbose_only(verbose: bool) -> None:
    out = io.StringIO()
    reporter = console.PlainReporter(out=out, err=io.StringIO(), verbose=verbose)
    reporter.report(REUSED)
    reporter.report(ONE)
    lines = out.getvalue().splitlines()
    assert lines == (["reused  a-1", "reused  b-2", "reused  c-3"] if verbose else [])


def test_live_counts_each_reused_job_and_says_each_in_order(
        capsys: pytest.CaptureFixture[str]) -> None:
    reporter = console.LiveReporter(verbose=True)
    try:
        reporter.report(events.PlanReady(3, 0, 3))
        reporter.report(REUSED)
        reporter.report(ONE)
        assert reporter.counts["reused"] == 3
    finally:
        reporter.report(events.RunFinished(built=0, reused=3, failed=0, skipped=0,
                                           seconds=0.1))
    out = capsys.readouterr().out
    assert out.index("a-1") < out.index("b-2") < out.index("c-3")
