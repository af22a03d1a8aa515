"""graph: list inputs in a spec — identity, edges, and the graph's checks."""

from __future__ import annotations

import pytest

from acbuild import graph
from acbuild.errors import GraphError


def spec(method: str, n: int = 0, **inputs: object) -> graph.JobSpec:
    return graph.make_spec(method, "0" * 64, {"n": n}, inputs, None)  # type: ignore[arg-type]


def test_list_input_ids_follow_order_and_entries() -> None:
    a, b = spec("a", 1), spec("a", 2)
    ids = {spec("m", many=(a, b)).id, spec("m", many=(b, a)).id, spec("m", many=(a, None, b)).id,
           spec("m", many=()).id, spec("m", many=None).id, spec("m", many=a).id}
    assert len(ids) == 6
    assert spec("m", many=(a, b)) == spec("m", many=(a, b))


def test_single_inputs_hash_as_before() -> None:
    # pinned before list inputs existed: a single input's job id did not change with them
    a = spec("a", 1)
    assert a.id == graph.make_spec("a", "0" * 64, {"n": 1}, {}, None).id
    one = spec("m", one=a)
    assert one.inputs == (("one", a.hash),)
    assert one.hash == graph.job_hash(graph.identity_record("m", "0" * 64, {"n": 0},
                                                           {"one": a.hash}, None))


def test_edges_and_input_hashes_name_each_element() -> None:
    a, b = spec("a", 1), spec("a", 2)
    m = spec("m", many=(a, None, b), one=a)
    assert graph.edges(m.inputs) == [("many[0]", a.hash), ("many[2]", b.hash), ("one", a.hash)]
    assert m.input_hashes == [a.hash, b.hash, a.hash]
    assert dict(m.input_ids)["many"] == (a.id, None, b.id)


def test_graph_orders_and_checks_list_elements() -> None:
    a, b = spec("a", 1), spec("a", 2)
    g = graph.Graph()
    g.add(a)
    with pytest.raises(GraphError, match="not part of this graph"):
        g.add(spec("m", many=(a, b)))
    g.add(b)
    m = g.add(spec("m", many=(b, a)))
    assert [s.id for s in graph.topological_order([m, b, a])][-1] == m.id
    assert g.dependents()[a.hash] == [m.hash]
    assert [s.id for s in g.ancestors(m)] == [a.id, b.id, m.id]
