"""Which graph a graph page draws: whole within the budget, else the graph of methods; a
job's neighbourhood on request, never more than the budget."""

from __future__ import annotations

import re
from typing import Any

import pytest

from acbuild.board import graphview, svg
from acbuild.errors import JobSpecError


def chain_view(n: int, methods: tuple[str, ...] = ("a",)) -> dict[str, Any]:
    jobs = [{"id": f"{methods[i % len(methods)]}-{i:012x}", "method": methods[i % len(methods)],
             "label": None, "state": "cached" if i % 2 else "stale", "reason": "",
             "inputs": {}} for i in range(n)]
    edges = [{"from": jobs[i]["id"], "to": jobs[i + 1]["id"], "input": "x"}
             for i in range(n - 1)]
    stale = sum(j["state"] == "stale" for j in jobs)
    return {"jobs": jobs, "edges": edges, "counts": {"cached": n - stale, "stale": stale},
            "stopped_at": None}


def boxes(drawing: str) -> int:
    return len(re.findall("<rect ", drawing))


def test_within_the_budget_the_whole_graph() -> None:
    drawing, summary = graphview.drawing(chain_view(10), "build.py", None, 2)
    assert boxes(drawing) == 10 and summary.startswith("10 jobs")


def test_past_the_budget_the_graph_of_methods_with_links_to_neighbourhoods() -> None:
    view = chain_view(svg.BUDGET * 10, ("a", "b", "c"))
    drawing, summary = graphview.drawing(view, "build.py", None, 2)
    assert boxes(drawing) == 3
    assert f"{svg.BUDGET * 10} jobs" in summary and "graph of methods" in summary
    assert "/graph?script=build.py&amp;job=a-000000000000" in summary
    assert svg.FILL["mixed"] in drawing  # each method has cached and stale jobs


def test_a_neighbourhood_is_hops_around_the_job_and_never_past_the_budget() -> None:
    view = chain_view(5000)
    middle = view["jobs"][2500]["id"]
    drawing, _ = graphview.drawing(view, "build.py", middle, 3)
    assert boxes(drawing) == 7 and 'stroke-width="3"' in drawing
    drawing, _ = graphview.drawing(view, "build.py", middle, 10_000)
    assert boxes(drawing) == svg.BUDGET


def test_a_job_not_in_the_graph_is_an_error() -> None:
    with pytest.raises(JobSpecError):
        graphview.drawing(chain_view(3), "build.py", "nope", 2)
