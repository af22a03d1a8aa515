"""DOT and Mermaid text for a graph view, and the source diff explain shows."""

from __future__ import annotations

from acbuild import render
from acbuild.explain import source_diff

VIEW = {"jobs": [{"id": "a-1", "label": 'say "hi"', "state": "cached", "inputs": {}},
                 {"id": "b-2", "label": None, "state": "stale", "inputs": {"src": "a-1"}}],
        "edges": [{"from": "a-1", "to": "b-2", "input": "src"}]}


def test_dot_quotes_labels() -> None:
    dot = render.graph_dot(VIEW)
    assert '"a-1" [label="a-1\\nsay \\"hi\\"\\ncached", fillcolor="#c8e6c9"];' in dot
    assert '"a-1" -> "b-2" [label="src"];' in dot


def test_mermaid_names_nodes_and_escapes_quotes() -> None:
    mermaid = render.graph_mermaid(VIEW)
    assert '  j0["a-1<br/>say #quot;hi#quot;<br/>cached"]:::cached' in mermaid
    assert "  j0 -->|src| j1" in mermaid


def test_source_diff_file_by_file() -> None:
    old = {"m.py": b"x = 1\n", "gone.py": b"y\n", "same.py": b"z\n", "blob": b"\xff"}
    new = {"m.py": b"x = 2\n", "new.py": b"w", "same.py": b"z\n", "blob": b"\xfe"}
    diff = source_diff(old, new, "m-old", "m-new")
    assert "--- m-old/m.py\n+++ m-new/m.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n" in diff
    assert "--- m-old/gone.py\n+++ /dev/null\n" in diff
    assert "+++ m-new/new.py\n@@ -0,0 +1 @@\n+w\n\\ No newline at end of file\n" in diff
    assert "Binary file blob differs" in diff and "same.py" not in diff
