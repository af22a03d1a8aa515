"""Recording reused jobs in one batch (``events.JobsReused``) keeps what a run says and
records: each reused job's line with -v, in the script's order; the run's outcomes in the
graph's order; the counts of the summary, of ``--json`` and of the run's history."""

from __future__ import annotations

import json

from conftest import Project

SCRIPT = """
import pathlib

EDIT = int(pathlib.Path("edit.txt").read_text())


def main(urd):
    first = [urd.build("step", i=i) for i in range(3)]
    middle = urd.build("step", i=EDIT)
    assert middle.load() == EDIT  # built (or reused) before the script goes on
    for i, job in enumerate(first):
        urd.build("join", x=job, y=middle, k=i)
"""


def make(project: Project, edit: int) -> None:
    project.method("step", '''
        options = {"i": 0}

        def synthesis(options):
            return options.i
    ''')
    project.method("join", '''
        options = {"k": 0}
        jobs = ("x", "y")

        def synthesis(options):
            return options.k
    ''')
    project.write("edit.txt", f"{edit}\n")
    project.script(SCRIPT)


def test_a_no_op_run_says_each_reused_job_in_order_and_records_them(project: Project) -> None:
    make(project, 10)
    first = project.run_json()
    order = [job["id"] for job in first["jobs"]]
    assert len(order) == 7 and {j["state"] for j in first["jobs"]} == {"built"}

    verbose = project.acbuild("run", "-v")
    lines = [line.split()[1] for line in verbose.stdout.splitlines()
             if line.startswith("reused  ")]
    # `middle`, which the script reads (it alone is decided then), first; then the rest of
    # the graph in its order, each once.
    assert lines == [order[3], *order[:3], *order[4:]]
    assert "nothing to build: 7 job(s) reused" in verbose.stdout

    again = project.run_json()
    assert [job["id"] for job in again["jobs"]] == order  # the graph's order
    assert {j["state"] for j in again["jobs"]} == {"reused"}
    assert again["counts"]["reused"] == 7 and again["counts"]["built"] == 0

    runs = json.loads(project.acbuild("log", "--json").stdout)["runs"]
    newest = max(runs, key=lambda run: run["run"])
    assert (newest["built"], newest["reused"], newest["status"]) == (0, 7, "ok")
    jobs = json.loads(project.acbuild("log", str(newest["run"]), "--json").stdout)
    listed = jobs["runs"][0]["jobs"] if "runs" in jobs else jobs["jobs"]
    assert sorted((j["id"], j["state"]) for j in listed) == sorted((i, "reused") for i in order)


def test_a_run_that_builds_some_jobs_says_the_others_reused(project: Project) -> None:
    make(project, 10)
    project.run_json()
    project.write("edit.txt", "11\n")  # `middle` and the three joins that read it change
    verbose = project.acbuild("run", "-v")
    reused = [line.split()[1] for line in verbose.stdout.splitlines()
              if line.startswith("reused  ")]
    built = [line.split()[1] for line in verbose.stdout.splitlines()
             if line.startswith("built   ")]
    assert len(reused) == 3 and all(r.startswith("step-") for r in reused)
    assert len(built) == 4
    report = project.run_json()
    assert [j["state"] for j in report["jobs"]] == ["reused"] * 7
