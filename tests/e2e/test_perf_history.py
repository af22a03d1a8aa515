"""Run history that does not grow without bound (issue 12, item 6): a run that repeats the
job list of the run before keeps a reference to it, and `gc` forgets old run records."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from conftest import Project

METHOD = "options = {'n': 1}\n\ndef synthesis(options):\n    return options.n\n"


def table(workdir: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(workdir / "acbuild.db")
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


def log_jobs(project: Project, run: int) -> list[tuple[str, str]]:
    info = json.loads(project.acbuild("log", str(run), "--json").stdout)
    return sorted((j["id"], j["state"]) for j in info["jobs"])


def test_a_repeated_run_keeps_a_reference_and_log_shows_its_jobs(project: Project) -> None:
    project.method("one", METHOD)
    project.script('def main(urd):\n    urd.build("one", n=1)\n    urd.build("one", n=2)\n')
    ids = sorted(j["id"] for j in project.run_json()["jobs"])
    for _ in range(3):
        project.run_json()  # the same two jobs, reused: runs 2, 3 and 4 list the same
    assert [r for (r,) in table(project.workdir, "SELECT run FROM run_lists")] == [1, 2]
    assert table(project.workdir, "SELECT run, same_as FROM run_same ORDER BY run") == [
        (3, 2), (4, 2)]
    assert log_jobs(project, 1) == [(i, "built") for i in ids]
    for run in (2, 3, 4):
        assert log_jobs(project, run) == [(i, "reused") for i in ids]
    jobs = json.loads(project.acbuild("jobs", "--json").stdout)
    ((newest,),) = table(project.workdir, "SELECT max(started) FROM runs")
    rows = jobs["jobs"] if isinstance(jobs, dict) else jobs
    assert {r["id"]: r["last_used"] for r in rows} == {i: newest for i in ids}


def test_gc_forgets_old_run_records_and_keeps_what_its_rules_read(project: Project) -> None:
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 1\nkeep_runs = 1\n')
    project.method("one", METHOD)
    for n in (1, 2, 3, 3):  # runs 1-4: run 3 builds n=3, run 4 reuses it
        project.script(f'def main(urd):\n    urd.build("one", n={n})\n')
        project.run_json()
    last = sorted(j["id"] for j in project.run_json()["jobs"])  # run 5 refers to run 4's list
    assert table(project.workdir, "SELECT run, same_as FROM run_same") == [(5, 4)]
    dry = json.loads(project.acbuild("gc", "--json", "--keep-history", "1", "--dry-run").stdout)
    assert dry["runs"] == [1, 2, 3, 4]
    assert len(table(project.workdir, "SELECT run FROM runs")) == 5
    report = json.loads(project.acbuild("gc", "--json", "--keep-history", "1").stdout)
    assert report["runs"] == [1, 2, 3, 4]
    runs = json.loads(project.acbuild("log", "--json").stdout)["runs"]
    assert [r["run"] for r in runs] == [5]
    assert log_jobs(project, 5) == [(i, "reused") for i in last]  # its list was adopted
    assert table(project.workdir, "SELECT run FROM run_lists") == [(5,)]
    assert table(project.workdir, "SELECT run FROM run_same") == []
    assert sorted(project.job_dirs()) == last  # keep_runs = 1: only run 6's job stays
    assert project.run_json()["jobs"][0]["state"] == "reused"


def test_gc_keeps_the_records_a_keep_rule_reads(project: Project) -> None:
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 1\nkeep_runs = 2\n')
    project.method("one", METHOD)
    for n in (1, 2, 3):
        project.script(f'def main(urd):\n    urd.build("one", n={n})\n')
        project.run_json()
    report = json.loads(project.acbuild("gc", "--json", "--keep-history", "0").stdout)
    assert report["runs"] == [1]  # runs 2 and 3 are the last 2 successful ones: kept
    assert len(project.job_dirs()) == 2
    report = json.loads(project.acbuild("gc", "--json", "--keep-history", "0",
                                        "--keep-newer", "1d").stdout)
    assert report["runs"] == []  # every run is younger than the age kept
