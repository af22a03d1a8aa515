"""decision lists a cached job's inputs without graph.edges' pairs: the same hashes, in the
same order, for every shape of input (single, absent, a list with gaps)."""

from __future__ import annotations

from typing import Any

import pytest

from acbuild.decision import _input_hashes
from acbuild.graph import edges

SHAPES: list[tuple[tuple[str, Any], ...]] = [
    (),
    (("src", "h1"),),
    (("src", None),),
    (("a", "h1"), ("b", None), ("c", ("h2", None, "h3")), ("d", "h1")),
    (("many", ()),),
    (("many", (None, None)),),
]


@pytest.mark.parametrize("inputs", SHAPES)
def test_the_input_hashes_are_those_of_the_graphs_edges(inputs: tuple[tuple[str, Any], ...]
                                                         ) -> None:
    assert _input_hashes(inputs) == [h for _, h in edges(inputs)]
