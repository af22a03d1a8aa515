"""`acbuild gc`, `jobs` and `du` on real work directories."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from acbuild.workdir import Workdir
from conftest import Project, built

SCRIPT = """
def main(urd):
    base = urd.build("base", n=3)
    urd.build("scaled", pred=base, factor={factor})
"""


def scaled_project(project: Project, keep_runs: int = 1) -> Project:
    project.write("acbuild.toml", f'methods = ["methods"]\nslices = 1\nkeep_runs = {keep_runs}\n')
    project.method("base", '''
        options = {"n": 2}

        def synthesis(job, options):
            with job.open("data.bin", "wb") as f:
                f.write(b"x" * 100_000)
            return list(range(options.n))
    ''')
    project.method("scaled", '''
        options = {"factor": 1}
        jobs = ("pred",)

        def synthesis(options, jobs):
            return [x * options.factor for x in jobs.pred.load()]
    ''')
    return project


def run_factor(project: Project, factor: int, script: str = "build.py") -> dict[str, Any]:
    project.script(SCRIPT.format(factor=factor), name=script)
    return project.run_json(script)


def ids(report: dict[str, Any]) -> dict[str, str]:
    return {j["method"]: j["id"] for j in report["jobs"]}


def gc_json(project: Project, *args: str, check: int = 0) -> dict[str, Any]:
    return json.loads(project.acbuild("gc", "--json", *args, check=check).stdout)


def removed(report: dict[str, Any], kind: str = "job") -> list[str]:
    return sorted(r["name"] for r in report["removed"] if r["kind"] == kind)


def test_gc_removes_exactly_the_jobs_outside_the_keep_rules(project: Project) -> None:
    scaled_project(project, keep_runs=1)
    old = ids(run_factor(project, 2))
    new = ids(run_factor(project, 3))
    assert old["base"] == new["base"]
    dry = gc_json(project, "--dry-run")
    assert dry["dry_run"] and removed(dry) == [old["scaled"]]
    assert dry["freed"] == sum(r["size"] for r in dry["removed"]) > 0
    assert old["scaled"] in project.job_dirs()  # a dry run removes nothing
    plain = project.acbuild("gc", "--dry-run").stdout
    assert f"would remove  {old['scaled']}" in plain and "would free" in plain

    done = gc_json(project)
    assert removed(done) == [old["scaled"]] and done["freed"] == dry["freed"]
    assert sorted(project.job_dirs()) == sorted(new.values())
    with sqlite3.connect(project.workdir / "acbuild.db") as db:
        rows = {r[0] for r in db.execute("SELECT id FROM jobs")}
    assert rows == set(new.values())
    # The latest script still reuses everything it needs; the old option is built again.
    assert built(run_factor(project, 3)) == []
    assert built(run_factor(project, 2)) == ["scaled"]


def test_keep_rules(project: Project) -> None:
    scaled_project(project, keep_runs=1)
    old = ids(run_factor(project, 2))
    ids(run_factor(project, 3))
    assert removed(gc_json(project, "-n", "--keep", old["scaled"])) == []
    assert removed(gc_json(project, "-n", "--keep-newer", "1h")) == []
    assert removed(gc_json(project, "-n", "--keep-runs", "2")) == []
    assert removed(gc_json(project, "-n")) == [old["scaled"]]
    # Each script has its own last runs: another script's jobs are kept by its own.
    run_factor(project, 7, script="other.py")
    run_factor(project, 3)
    assert removed(gc_json(project, "-n")) == [old["scaled"]]
    # keep_runs = 0 keeps nothing but what the other rules keep: the jobs the current
    # scripts use (both of them), unless --no-scripts.
    assert removed(gc_json(project, "-n", "--keep-runs", "0")) == [old["scaled"]]
    report = gc_json(project, "-n", "--keep-runs", "0", "--no-scripts")
    assert len(removed(report)) == 4
    proc = project.acbuild("gc", "--keep-newer", "soon", check=2)
    assert "not an age" in proc.stderr


def test_keeping_a_job_keeps_the_jobs_it_was_built_from(project: Project) -> None:
    scaled_project(project, keep_runs=1)
    old = ids(run_factor(project, 2))
    project.write("build.py", 'def main(urd):\n    urd.build("base", n=9)\n')
    project.run_json()
    report = gc_json(project, "-n", "--keep", old["scaled"])
    assert removed(report) == []
    assert report["kept"]["input of a kept job"] == 1


def test_failed_jobs_and_dead_leftovers_go_too(project: Project) -> None:
    scaled_project(project)
    project.method("broken", "def synthesis():\n    raise ValueError('no')\n")
    project.script('def main(urd):\n    urd.build("broken")\n')
    project.acbuild("run", check=1)
    failed = list((project.workdir / ".failed").iterdir())
    assert len(failed) == 1
    dead = project.workdir / ".tmp" / "base-0123456789ab.1.2"
    live = project.workdir / ".tmp" / "base-ba9876543210.1.2"
    for leftover in (dead, live):
        leftover.mkdir()
        (leftover / "setup.json").write_text("{}")
    with held_job_lock(project.workdir, "base-ba9876543210"):
        report = gc_json(project)
    assert removed(report, "failed") == [failed[0].name]
    assert removed(report, "leftover") == [dead.name]
    assert not failed[0].exists() and not dead.exists() and live.exists()


def test_gc_never_removes_a_job_another_process_uses_or_builds(project: Project) -> None:
    scaled_project(project, keep_runs=1)
    old = ids(run_factor(project, 2))
    run_factor(project, 3)
    # Another acbuild process uses the work directory: gc removes nothing and says why.
    with held_lock(project.workdir / ".tmp" / "in-use.lock", fcntl.LOCK_SH):
        proc = project.acbuild("gc", check=1)
        assert "another acbuild process is using" in proc.stderr
        assert removed(gc_json(project, "--dry-run")) == [old["scaled"]]
    assert old["scaled"] in project.job_dirs()
    # Another process holds the job's own lock (it is building it): that job stays.
    with held_job_lock(project.workdir, old["scaled"]):
        report = gc_json(project)
    assert removed(report) == [] and [s["name"] for s in report["skipped"]] == [old["scaled"]]
    assert old["scaled"] in project.job_dirs()
    assert removed(gc_json(project)) == [old["scaled"]]


def test_gc_collects_only_the_target(tmp_path: Path) -> None:
    shared = scaled_project(Project(tmp_path / "shared"), keep_runs=0)
    run_factor(shared, 2)
    mine = scaled_project(Project(tmp_path / "mine"), keep_runs=0)
    mine.write("acbuild.toml", 'methods = ["methods"]\nslices = 1\nkeep_runs = 0\n'
                               f'[workdirs]\nsources = ["{shared.workdir}"]\n')
    assert built(run_factor(mine, 5)) == ["scaled"]
    assert removed(gc_json(mine, "-n")) == []  # the script uses it
    report = gc_json(mine, "--no-scripts")
    assert len(removed(report)) == 1 and mine.job_dirs() == []
    assert len(shared.job_dirs()) == 2


def test_jobs_and_du_show_sizes_and_last_use(project: Project) -> None:
    scaled_project(project)
    first = ids(run_factor(project, 2))
    run_factor(project, 3)
    listing = json.loads(project.acbuild("jobs", "--json").stdout)
    by_id = {j["id"]: j for j in listing["jobs"]}
    assert len(by_id) == 3 and listing["size"] == sum(j["size"] for j in by_id.values())
    assert by_id[first["base"]]["size"] > 100_000 > by_id[first["scaled"]]["size"] > 0
    assert by_id[first["base"]]["last_used"] > by_id[first["scaled"]]["last_used"]
    assert {j["workdir"] for j in by_id.values()} == {str(project.workdir)}
    only = json.loads(project.acbuild("jobs", "scaled", "--json").stdout)
    assert {j["method"] for j in only["jobs"]} == {"scaled"}
    assert "job(s)" in project.acbuild("jobs").stdout

    space = json.loads(project.acbuild("du", "--json").stdout)
    (target,) = space["workdirs"]
    assert target["role"] == "target" and target["jobs"] == 3
    assert target["jobs_size"] == listing["size"]
    assert target["total"] >= target["jobs_size"] + target["db_size"]
    methods = {m["method"]: m for m in space["methods"]}
    assert methods["base"]["jobs"] == 1 and methods["scaled"]["jobs"] == 2
    assert sum(m["size"] for m in methods.values()) == listing["size"]
    assert "scaled" in project.acbuild("du").stdout


@contextlib.contextmanager
def held_job_lock(workdir: Path, job_id: str) -> Iterator[None]:
    """Hold a job's build lock, as another acbuild process building it would."""
    lock = Workdir(workdir).lock(job_id)
    assert lock is not None
    try:
        yield
    finally:
        lock.release()


class held_lock:
    """Hold a lock file as another process would (flock is per open file)."""

    def __init__(self, path: Path, how: int):
        self.path, self.how = path, how

    def __enter__(self) -> None:
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(self.fd, self.how)

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)
