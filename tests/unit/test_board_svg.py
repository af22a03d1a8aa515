"""The board's graph drawing: layers, order, neighbourhoods within a budget, valid SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from acbuild.board import svg


def chain(n: int) -> tuple[list[svg.Node], list[tuple[str, str]]]:
    nodes = [svg.Node(f"j{i}", f"j{i}", "", "cached", f"/job/j{i}") for i in range(n)]
    return nodes, [(f"j{i}", f"j{i + 1}") for i in range(n - 1)]


def test_a_chain_is_one_column_top_to_bottom() -> None:
    nodes, edges = chain(5)
    where = svg.layout(nodes, edges)
    assert len({x for x, _ in where.values()}) == 1
    assert [where[f"j{i}"][1] for i in range(5)] == sorted(where[f"j{i}"][1] for i in range(5))


def test_a_node_sits_below_all_its_inputs() -> None:
    nodes = [svg.Node(k, k, "", "stale") for k in "abcd"]
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("d", "c")]
    where = svg.layout(nodes, edges)
    assert where["c"][1] > where["b"][1] > where["a"][1]
    assert where["d"][1] == where["a"][1]


def test_a_cycle_does_not_hang_the_layout() -> None:
    nodes = [svg.Node(k, k, "", "stale") for k in "ab"]
    assert set(svg.layout(nodes, [("a", "b"), ("b", "a")])) == {"a", "b"}


def test_neighbourhood_keeps_hops_and_budget() -> None:
    _, edges = chain(1000)
    assert svg.neighbourhood(edges, "j500", 2) == {"j498", "j499", "j500", "j501", "j502"}
    star = [("hub", f"leaf{i}") for i in range(1000)]
    near = svg.neighbourhood(star, "hub", 3, budget=50)
    assert len(near) == 50 and "hub" in near


def test_draw_is_svg_with_a_linked_box_per_node_and_escaped_text() -> None:
    nodes, edges = chain(3)
    nodes.append(svg.Node("x", "<x&y>", "“label”", "failed", "/job/x?a=1&b=2"))
    text = svg.draw(nodes, edges, focus="j1")
    root = ET.fromstring(text)  # well-formed
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f".//{ns}rect")) == 4
    assert len(root.findall(f".//{ns}path")) == 1 + 2  # the arrow's shape, two edges
    assert "&lt;x&amp;y&gt;" in text and "/job/x?a=1&amp;b=2" in text
    assert 'stroke-width="3"' in text  # the focused node
