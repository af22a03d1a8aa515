"""Graph.add_declared (urd.build's fast path) does what ``add`` does for a spec with no
label whose inputs are in the graph: the first spec of a job back, a forced one anew."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from acbuild import graph


def spec(n: int, force: bool = False, **inputs: graph.JobSpec | None) -> graph.JobSpec:
    return graph.make_spec("m", "0" * 64, {"n": n}, inputs, None, force=force)


@given(st.lists(st.tuples(st.integers(0, 3), st.booleans(), st.integers(-1, 3)),
                max_size=12))
def test_add_declared_is_add_for_a_spec_whose_inputs_are_in_the_graph(
        calls: list[tuple[int, bool, int]]) -> None:
    by_add, by_declared = graph.Graph(), graph.Graph()
    for n, force, pred in calls:
        # an input: a job asked for before (its spec as that graph holds it), or none
        inputs_a = {"pred": list(by_add.specs.values())[pred]} \
            if 0 <= pred < len(by_add) else {}
        inputs_d = {"pred": list(by_declared.specs.values())[pred]} \
            if 0 <= pred < len(by_declared) else {}
        a = by_add.add(spec(n, force, **inputs_a))
        d = by_declared.add_declared(spec(n, force, **inputs_d))
        assert tuple(a) == tuple(d)  # every field, force and where too
        assert a is by_add.specs[a.hash] and d is by_declared.specs[d.hash]
    assert [tuple(s) for s in by_add] == [tuple(s) for s in by_declared]
    assert by_add.revision == by_declared.revision


def test_add_declared_gives_the_first_spec_back_and_a_forced_one_replaces_it() -> None:
    g = graph.Graph()
    first = g.add_declared(spec(1))
    assert g.add_declared(spec(1)) is first and len(g) == 1 and g.revision == 0
    forced = spec(1, force=True)
    assert g.add_declared(forced) is forced and g.specs[forced.hash] is forced
    assert g.revision == 1
    assert g.add_declared(spec(1)) is forced and g.add_declared(spec(1, True)) is forced
    assert g.revision == 1
