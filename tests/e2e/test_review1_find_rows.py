"""Review (issue 12): store.find reads rows as plain tuples (db.locate). A row whose
directory holds another job -- two job directories swapped, their post.json stat kept --
is never reused for the job its row names: the run rebuilds both and each result is its
own; status says so first."""

from __future__ import annotations

import json
import os

from conftest import Project, assert_sound

METHOD = 'options = {"n": 0}\n\ndef synthesis(options):\n    return options.n * 10\n'


def test_two_job_directories_swapped_are_not_reused(project: Project) -> None:
    project.method("m", METHOD)
    project.script("def main(urd):\n    for n in (1, 2):\n        urd.build('m', n=n)\n")
    first = project.run_json()
    a, b = [project.workdir / j["id"] for j in first["jobs"]]
    swap = project.workdir / "swap"
    os.rename(a, swap)
    os.rename(b, a)
    os.rename(swap, b)
    status = project.status_json()
    assert all(j["state"] != "cached" for j in status["jobs"]), status
    report = project.run_json()
    assert sorted(j["state"] for j in report["jobs"]) == ["built", "built"], report
    for job in report["jobs"]:
        shown = json.loads(project.acbuild("show", job["id"], "--json").stdout)
        assert shown["result"] == shown["options"]["n"] * 10
    assert_sound(project.workdir)
