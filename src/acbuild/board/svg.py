"""A graph drawn on the server as SVG: a layered layout written here, for a few hundred
nodes at most, and the ways to stay under that budget on a large graph — a job's
neighbourhood, or the method-level graph.

Layout: each node's layer is its longest path from a node without inputs (top to bottom);
within a layer nodes are ordered by the mean position of their inputs (two sweeps down, one
up), which keeps chains straight and fans readable. Linear in nodes and edges: a 10,000-job
graph never reaches here whole (``BUDGET``). Standard library only.
"""

from __future__ import annotations

import html
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BUDGET = 300  # nodes drawn at most; past it, a neighbourhood or the method-level graph
FILL = {"cached": "#c8e6c9", "stale": "#fff3c4", "built": "#bbdefb", "reused": "#c8e6c9",
        "failed": "#ffcdd2", "mixed": "#e1bee7", "focus": "#ffffff"}
WIDTH, HEIGHT, GAP_X, GAP_Y = 190, 40, 24, 34


@dataclass(frozen=True)
class Node:
    key: str
    title: str  # first line
    note: str  # second line (a label, a count)
    state: str
    href: str | None = None


def neighbourhood(edges: Iterable[tuple[str, str]], centre: str, hops: int,
                  budget: int = BUDGET) -> set[str]:
    """The nodes within ``hops`` edges of ``centre`` (either direction), nearest first, no
    more than ``budget``."""
    around: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        around[a].append(b)
        around[b].append(a)
    seen, queue = {centre}, deque([(centre, 0)])
    while queue and len(seen) < budget:
        key, depth = queue.popleft()
        if depth == hops:
            continue
        for other in around[key]:
            if other not in seen and len(seen) < budget:
                seen.add(other)
                queue.append((other, depth + 1))
    return seen


def layout(nodes: Sequence[Node], edges: Sequence[tuple[str, str]]
           ) -> dict[str, tuple[float, float]]:
    """Each node's top-left corner."""
    keys = [n.key for n in nodes]
    inputs: dict[str, list[str]] = {k: [] for k in keys}
    outputs: dict[str, list[str]] = {k: [] for k in keys}
    for a, b in edges:
        if a in inputs and b in inputs and a != b:
            inputs[b].append(a)
            outputs[a].append(b)
    layer = _layers(keys, inputs, outputs)
    rows: dict[int, list[str]] = defaultdict(list)
    for k in keys:
        rows[layer[k]].append(k)
    order = [rows[i] for i in sorted(rows)]
    for sweep in (inputs, inputs, outputs):
        _reorder(order if sweep is inputs else order[::-1], sweep)
    return {k: (x * (WIDTH + GAP_X) + GAP_X, y * (HEIGHT + GAP_Y) + GAP_Y)
            for y, row in enumerate(order) for x, k in enumerate(row)}


def _layers(keys: list[str], inputs: dict[str, list[str]], outputs: dict[str, list[str]]
            ) -> dict[str, int]:
    """Longest path from a node without inputs, by Kahn's order (a cycle's rest: layer 0)."""
    waiting = {k: len(inputs[k]) for k in keys}
    ready = deque(k for k in keys if not waiting[k])
    layer = dict.fromkeys(keys, 0)
    while ready:
        k = ready.popleft()
        for out in outputs[k]:
            layer[out] = max(layer[out], layer[k] + 1)
            waiting[out] -= 1
            if not waiting[out]:
                ready.append(out)
    return layer


def _reorder(rows: list[list[str]], towards: dict[str, list[str]]) -> None:
    """Order each row by the mean place of the nodes it connects to in the row before."""
    place: dict[str, int] = {}
    for row in rows:
        before = {k: i for i, k in enumerate(row)}  # a list being sorted reads as empty

        def key(k: str, before: dict[str, int] = before, place: dict[str, int] = place
                ) -> float:
            near = [place[o] for o in towards[k] if o in place]
            return sum(near) / len(near) if near else float(before[k])

        row.sort(key=key)
        place = {k: i for i, k in enumerate(row)}


def draw(nodes: Sequence[Node], edges: Sequence[tuple[str, str]],
         focus: str | None = None) -> str:
    """The SVG of the graph (nodes as links where they have one)."""
    where = layout(nodes, edges)
    width = max((x for x, _ in where.values()), default=0) + WIDTH + GAP_X
    height = max((y for _, y in where.values()), default=0) + HEIGHT + GAP_Y
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width:.0f}" '
             f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
             'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             '<path d="M 0 0 L 10 5 L 0 10 z" fill="#888"/></marker></defs>']
    for a, b in edges:
        if a in where and b in where and a != b:
            parts.append(_edge(where[a], where[b]))
    for node in nodes:
        parts.append(_node(node, *where[node.key], node.key == focus))
    parts.append("</svg>")
    return "\n".join(parts)


def _edge(a: tuple[float, float], b: tuple[float, float]) -> str:
    x1, y1 = a[0] + WIDTH / 2, a[1] + HEIGHT
    x2, y2 = b[0] + WIDTH / 2, b[1]
    mid = (y1 + y2) / 2
    return (f'<path d="M {x1:.0f} {y1:.0f} C {x1:.0f} {mid:.0f}, {x2:.0f} {mid:.0f}, '
            f'{x2:.0f} {y2:.0f}" fill="none" stroke="#888" marker-end="url(#arrow)"/>')


def _node(node: Node, x: float, y: float, focused: bool) -> str:
    fill = FILL.get(node.state, "#eeeeee")
    stroke = ' stroke="#000" stroke-width="3"' if focused else ' stroke="#666"'
    title = html.escape(f"{node.title} — {node.state}" + (f" — {node.note}" if node.note else ""))
    box = (f'<g class="node {html.escape(node.state)}"><title>{title}</title>'
           f'<rect x="{x:.0f}" y="{y:.0f}" rx="6" width="{WIDTH}" height="{HEIGHT}" '
           f'fill="{fill}"{stroke}/>'
           f'<text x="{x + 8:.0f}" y="{y + 16:.0f}" font-size="12" font-weight="bold">'
           f'{html.escape(_cut(node.title, 26))}</text>'
           f'<text x="{x + 8:.0f}" y="{y + 32:.0f}" font-size="11" fill="#444">'
           f'{html.escape(_cut(node.note or node.state, 30))}</text></g>')
    if node.href:
        return f'<a href="{html.escape(node.href)}">{box}</a>'
    return box


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
