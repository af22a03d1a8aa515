"""List inputs and withfile inputs on the board: the job page links each element of a
list input in order ("-" where the script gave None), names a withfile option's input,
draws them all around the job, and each input lists the job as a dependent; the graph
page's neighbourhood holds them too."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from board_helpers import board_client  # noqa: E402

PART = '''
options = {"n": 0}


def synthesis(job, options):
    with job.open("part.txt", "w") as f:
        f.write(str(options.n))
    return options.n
'''
MERGE = '''
jobs = ("one", ["many"])
options = {"table": None}


def synthesis(jobs, options):
    return [j.load() if j else None for j in jobs.many] + [options.table.open().read()]
'''
SCRIPT = '''
def main(urd):
    parts = [urd.build("part", n=n) for n in range(3)]
    urd.build("merge", one=parts[0], many=[parts[2], None, parts[1]],
              table=parts[1].withfile("part.txt"))
'''


def svg_links(page: str) -> set[str]:
    """The job pages the SVG drawing links to."""
    drawn = page[page.index("<svg"):page.index("</svg>")]
    return set(re.findall(r'href="/job/([^"/?]+)"', drawn))


def test_list_and_withfile_inputs_on_the_job_page_and_graph(
        project: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    project.method("part", PART)
    project.method("merge", MERGE)
    project.script(SCRIPT)
    report = project.run_json()
    parts = [j["id"] for j in report["jobs"] if j["method"] == "part"]
    merge = next(j["id"] for j in report["jobs"] if j["method"] == "merge")
    shown = json.loads(project.acbuild("show", merge, "--json").stdout)
    by_n = {json.loads(project.acbuild("show", p, "--json").stdout)["options"]["n"]: p
            for p in parts}
    assert shown["inputs"]["many"] == [by_n[2], None, by_n[1]]
    assert shown["result"] == [2, None, 1, "1"]
    with board_client(project, monkeypatch) as client:
        twin = client.get(f"/job/{merge}?format=json").json()
        assert twin["inputs"] == shown["inputs"]
        page = client.get(f"/job/{merge}")
        assert page.status_code == 200
        inputs = page.text.split("<h3>Inputs</h3>")[1].split("<h3>")[0]
        many = inputs.split("<td>many</td>")[1].split("</tr>")[0]
        link = '<a href="/job/{0}">{0}</a>'.format
        assert many == f"<td>[{link(by_n[2])}, -, {link(by_n[1])}]</td>"  # in order, None "-"
        assert "withfile:table" in inputs
        assert f'href="/job/{by_n[1]}"' in inputs.split("withfile:table")[1]
        assert svg_links(page.text) == {by_n[0], by_n[1], by_n[2]}  # every input drawn
        # a drawn input says which inputs of the job it is
        assert f"{by_n[1]} — cached — many, withfile:table" in page.text
        assert f"{by_n[0]} — cached — one<" in page.text
        for n in range(3):  # each element lists merge as its dependent, and draws it
            part_page = client.get(f"/job/{by_n[n]}").text
            assert f'href="/job/{merge}"' in part_page.split("<h3>Dependents</h3>")[1]
            assert merge in svg_links(part_page)
        near = client.get("/graph", params={"job": merge, "hops": "1"})
        assert near.status_code == 200
        assert svg_links(near.text) >= {by_n[0], by_n[1], by_n[2]}
        whole = client.get("/graph?format=json").json()
        assert {(e["from"], e["input"]) for e in whole["edges"] if e["to"] == merge} >= {
            (by_n[2], "many[0]"), (by_n[1], "many[2]"), (by_n[0], "one")}
