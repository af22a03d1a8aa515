"""The board's graph page: states coloured, each job a link; and on a 10,000-job script it
answers within a second with the method-level graph or a readable neighbourhood, never the
whole graph (nothing is built: planning alone makes the graph)."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from board_helpers import board_client  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from acbuild.board import svg  # noqa: E402
from acbuild.board.app import create_app  # noqa: E402
from acbuild.config import load_project  # noqa: E402

NOOP = '''
"""Nothing, with an input."""
options = {"i": 0}
jobs = ("a",)


def synthesis():
    return None
'''
CHAIN = '''
def main(urd):
    a = None
    for i in range(COUNT):
        a = urd.build("noop", i=i, a=a)
    urd.build("last", a=a)
'''
LAST = '''
"""The end of the chain."""
jobs = ("a",)


def synthesis():
    return None
'''


def svg_of(page: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg.*</svg>", page, re.S)[0])


def nodes_in(page: str) -> list[str]:
    ns = "{http://www.w3.org/2000/svg}"
    return [t.text or "" for t in svg_of(page).iter(f"{ns}title")]


def fastest(client: TestClient, url: str, tries: int = 3) -> tuple[float, str]:
    """The least CPU time (this process's: the server runs in it) of a few answers. CPU, not
    wall-clock time: the machine is shared, and a busy neighbour slows the clock, not us."""
    best, text = float("inf"), ""
    for _ in range(tries):
        began = time.process_time()
        answer = client.get(url)
        assert answer.status_code == 200, url
        best, text = min(best, time.process_time() - began), answer.text
    return best, text


def test_a_small_graph_is_drawn_whole_with_states_and_links(project: Any,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    project.method("noop", NOOP)
    project.method("last", LAST)
    project.script(CHAIN.replace("COUNT", "3").replace('    urd.build("last", a=a)\n', ""))
    project.run_json()
    project.script(CHAIN.replace("COUNT", "3"))  # "last" is new: stale
    with board_client(project, monkeypatch) as client:
        page = client.get("/graph").text
    titles = nodes_in(page)
    assert len(titles) == 4
    assert sum("— cached" in t for t in titles) == 3 and sum("— stale" in t for t in titles) == 1
    assert svg.FILL["stale"] in page and svg.FILL["cached"] in page
    cached = re.findall(r'<a href="(/job/noop-[0-9a-f]+)">', page)
    assert len(cached) == 3
    stale = re.search(r'<a href="(/job/last-[0-9a-f]+/explain\?script=build.py)">', page)
    assert stale
    with TestClient(create_app(load_project())) as client:
        why = client.get(stale[1])
        assert why.status_code == 200 and "never built" in why.text


def test_a_script_that_stops_for_a_result_says_so(project: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    project.method("last", LAST.replace("return None", "return 1"))
    project.method("noop", NOOP)
    project.script('''
    def main(urd):
        a = urd.build("last", a=None)
        if a.load() == 1:
            urd.build("noop", a=a)
    ''')
    with board_client(project, monkeypatch) as client:
        page = client.get("/graph").text
        assert "the script stops at" in page and len(nodes_in(page)) == 1
        assert client.get("/graph?format=json").json()["stopped_at"]


def test_a_10000_job_graph_answers_within_a_second(project: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    project.method("noop", NOOP)
    project.method("last", LAST)
    project.script(CHAIN.replace("COUNT", "10000"))
    with board_client(project, monkeypatch) as client:
        client.get("/graph")  # the first planning reads the methods' declarations
        seconds, page = fastest(client, "/graph")
        assert seconds < 1.0, f"{seconds:.2f}s"
        assert "10001 jobs" in page and "the graph of methods" in page
        assert sorted(t.split(" — ")[0] for t in nodes_in(page)) == ["last", "noop"]
        mid = re.findall(r"job=(noop-[0-9a-f]+)", page)[0]  # the first job's neighbourhood
        view = client.get("/graph?format=json").json()
        middle = view["jobs"][5000]["id"]
        seconds, near = fastest(client, f"/graph?job={middle}&hops=2")
        assert seconds < 1.0, f"{seconds:.2f}s"
        around = [t.split(" — ")[0] for t in nodes_in(near)]
        assert around == [view["jobs"][i]["id"] for i in range(4998, 5003)]
        assert len(nodes_in(client.get(f"/graph?job={mid}&hops=50").text)) == 51
        assert len(nodes_in(client.get(f"/graph?job={middle}&hops=50").text)) == 101
