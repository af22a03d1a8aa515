"""The graph: dedupe, labels, ancestors, and topological order (property-tested)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acbuild import graph
from acbuild.errors import GraphError


def spec(method: str, n: int = 0, **inputs: graph.JobSpec | None) -> graph.JobSpec:
    return graph.make_spec(method, "0" * 64, {"n": n}, inputs, None)


def test_same_job_twice_is_one_node() -> None:
    g = graph.Graph()
    a = g.add(spec("a"))
    assert g.add(spec("a")) is a
    assert len(g) == 1


def test_label_naming_two_jobs_is_an_error() -> None:
    g = graph.Graph()
    g.add(graph.make_spec("a", "0" * 64, {}, {}, None, label="x"))
    with pytest.raises(GraphError, match="label 'x'"):
        g.add(graph.make_spec("b", "0" * 64, {}, {}, None, label="x"))


def test_input_outside_the_graph_is_refused() -> None:
    with pytest.raises(GraphError):
        graph.Graph().add(spec("b", pred=spec("a")))


def test_ancestors_in_order() -> None:
    g = graph.Graph()
    a = g.add(spec("a"))
    b = g.add(spec("b", pred=a))
    c = g.add(spec("c", pred=a))
    d = g.add(spec("d", pred=b))
    assert [s.method for s in g.ancestors(d)] == ["a", "b", "d"]
    assert g.dependents()[a.hash] == [b.hash, c.hash]


@st.composite
def dags(draw: st.DrawFn) -> list[graph.JobSpec]:
    count = draw(st.integers(min_value=1, max_value=25))
    specs: list[graph.JobSpec] = []
    for i in range(count):
        picks = draw(st.lists(st.integers(0, max(0, i - 1)), max_size=3)) if i else []
        inputs = {f"in{k}": specs[p] for k, p in enumerate(picks)}
        specs.append(spec(f"m{i}", i, **inputs))
    return specs


@given(dags(), st.randoms())
def test_topological_order_puts_inputs_first(specs: list[graph.JobSpec], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(specs)
    rnd.shuffle(shuffled)
    order = graph.topological_order(shuffled)
    assert sorted(s.hash for s in order) == sorted(s.hash for s in specs)
    position = {s.hash: i for i, s in enumerate(order)}
    for s in order:
        for h in s.input_hashes:
            assert position[h] < position[s.hash]
