"""evalplan: a read of a result decides the jobs the evaluation has not settled — its own
target always — and a build, or a job forced anew, unsettles every reused one."""

from __future__ import annotations

from acbuild import graph
from acbuild.evalplan import Planned


def chain(g: graph.Graph, n: int) -> list[graph.JobSpec]:
    specs: list[graph.JobSpec] = []
    for i in range(n):
        specs.append(g.add(graph.make_spec("m", "c" * 64, {"i": i},
                                           {"prev": specs[-1] if specs else None}, None)))
    return specs


def methods(specs: list[graph.JobSpec]) -> list[object]:
    return [s.options["i"] for s in specs]


def test_the_walk_stops_at_settled_jobs_and_keeps_the_graphs_order() -> None:
    g = graph.Graph()
    states: dict[str, str] = {}
    planned = Planned(g, states.get)
    a = chain(g, 4)
    assert methods(planned.wanted(a[3])[0]) == [0, 1, 2, 3]  # nothing settled: all of it
    states[a[1].hash] = "built"
    assert planned.wanted(a[3]) == ([a[2], a[3]], False)  # built by the run: final
    assert planned.final(a[1]) and not planned.final(a[3])
    planned.note([(a[2], False), (a[3], False)])  # decided cached: reused, settled
    states[a[2].hash] = states[a[3].hash] = "reused"
    more = chain(g, 6)[4:]  # the same first four (one graph node each), and two more
    assert planned.wanted(more[1]) == ([more[0], more[1]], True)  # a reused one left out
    assert planned.wanted(a[3]) == ([a[3]], True)  # the target itself is always decided


def test_a_build_or_a_job_forced_anew_unsettles_the_reused_jobs() -> None:
    g = graph.Graph()
    states: dict[str, str] = {}
    planned = Planned(g, states.get)
    a = chain(g, 3)
    planned.note([(s, False) for s in a])
    assert planned.wanted(a[2]) == ([a[2]], True)
    planned.note([(a[2], True)])  # a plan that builds: what it built may make them stale
    assert methods(planned.wanted(a[2])[0]) == [0, 1, 2]
    planned.note([(s, False) for s in a])
    forced = g.add(a[0]._replace(force=True))
    assert g.specs[a[0].hash] is forced and g.revision == 1
    assert methods(planned.wanted(a[2])[0]) == [0, 1, 2]  # reads what is forced anew
    planned.note([(s, False) for s in a])
    assert methods(planned.wanted(a[1])[0]) == [0, 1]  # forced, not built yet: never settled
    states[a[0].hash] = "built"
    assert planned.wanted(a[2]) == ([a[2]], True)  # a[1] reused, a[0] built by the run
    planned.forget()  # (a fetch)
    assert planned.wanted(a[2]) == ([a[1], a[2]], False)
