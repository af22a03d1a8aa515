"""Which graph a graph page draws, within the node budget: the whole script's graph, a
job's neighbourhood, or (past the budget) the graph of methods with links to
neighbourhoods. Never the whole of a large graph: a page stays fast and readable.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from acbuild.board import pages, svg
from acbuild.errors import JobSpecError


def drawing(view: dict[str, Any], script: str, focus: str | None, hops: int
             ) -> tuple[str, str]:
    """The SVG and a line saying what it shows: the whole graph within the budget, a job's
    neighbourhood, or (past the budget) the method-level graph."""
    edges = [(e["from"], e["to"]) for e in view["edges"]]
    counts = f"{len(view['jobs'])} jobs: {view['counts']['cached']} cached, " \
             f"{view['counts']['stale']} stale"
    if view.get("stopped_at"):  # the jobs after a result not built yet are unknown
        counts += f" ({pages.escape(view['stopped_at'])})"
    if focus is not None:
        ids = {j["id"] for j in view["jobs"]}
        match = [i for i in ids if i == focus] or [i for i in ids if i.startswith(focus)]
        if len(match) != 1:
            raise JobSpecError(f"{focus!r} names no single job of {script}")
        keep = svg.neighbourhood(edges, match[0], hops)
        nodes = pages.graph_nodes(view, keep, script)
        return (svg.draw(nodes, edges, focus=match[0]),
                f"{counts}; the neighbourhood of {pages.escape(match[0])}: {len(nodes)} "
                f"jobs within {hops} hops")
    if len(view["jobs"]) <= svg.BUDGET:
        return svg.draw(pages.graph_nodes(view, None, script), edges), counts
    return method_level(view, script, counts)


def method_level(view: dict[str, Any], script: str, counts: str) -> tuple[str, str]:
    method_of = {j["id"]: j["method"] for j in view["jobs"]}
    states: dict[str, list[str]] = {}
    for j in view["jobs"]:
        states.setdefault(j["method"], []).append(j["state"])
    nodes = [svg.Node(m, m, f"{len(s)} jobs: {s.count('cached')} cached, "
                      f"{s.count('stale')} stale",
                      s[0] if len(set(s)) == 1 else "mixed", f"/method/{quote(m)}")
             for m, s in states.items()]
    edges = sorted({(method_of[e["from"]], method_of[e["to"]]) for e in view["edges"]})
    first, last = view["jobs"][0]["id"], view["jobs"][-1]["id"]
    stale = next((j["id"] for j in view["jobs"] if j["state"] == "stale"), None)
    near = " · ".join(pages.link("/graph?" + urlencode({"script": script, "job": i}), f"{what} ({i})")
                      for what, i in (("the first job", first), ("the first stale job", stale),
                                      ("the last job", last)) if i)
    return (svg.draw(nodes, edges),
            f"{counts} — more than {svg.BUDGET} to draw: the graph of methods. "
            f"A job's neighbourhood: {near}, or name one below.")
