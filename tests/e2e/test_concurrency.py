"""Concurrent runs on one work directory: they share the work, and the database stays sound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

from conftest import SRC, Project, assert_sound, db_rows, ledger, side_effect_project

# Four scripts over one pool of 24 jobs; each wants 14 of them, every job is wanted by 2-4
# scripts, and the shared jobs sit at every depth (leaves, middles, the sliced layer).
SCRIPT = '''
WANT = {want}

def main(urd):
    leaves = [urd.build("work", tag=f"leaf{{i}}", nap=0.05) for i in range(6)]
    mids = [urd.build("work", tag=f"mid{{i}}", nap=0.1, a=leaves[i], b=leaves[(i + 1) % 6])
            for i in range(6) if i in WANT]
    for m in mids:
        urd.build("sliced", tag=f"sl{{m.id}}", nap=0.05, src=m)
'''
WANTS = [{0, 1, 2, 3}, {2, 3, 4, 5}, {0, 2, 4}, {1, 3, 5, 0}]


def test_four_runs_at_once_build_every_job_exactly_once(project: Project) -> None:
    side_effect_project(project)
    for n, want in enumerate(WANTS):
        project.script(SCRIPT.format(want=sorted(want)), name=f"build{n}.py")
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC)}
    procs = [subprocess.Popen([sys.executable, "-m", "acbuild", "run", "--json", "-j", "2",
                               f"build{n}.py"], cwd=project.root, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for n in range(len(WANTS))]
    results = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_, err) in zip(procs, results):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    reports = [json.loads(out) for out, _ in results]
    wanted = {j["id"] for r in reports for j in r["jobs"]}
    assert len(wanted) == 6 + 6 + 6
    built = Counter(j["id"] for r in reports for j in r["jobs"] if j["state"] == "built")
    assert set(built) == wanted and set(built.values()) == {1}  # the runs' own word
    assert Counter(ledger(project)) == Counter(wanted)  # and the ledger's: each built once
    for report in reports:
        assert report["counts"]["failed"] == 0
    assert set(db_rows(project.workdir)) == wanted
    assert_sound(project.workdir)
    project.acbuild("verify")
    assert json.loads(project.acbuild("doctor", "--json").stdout)["findings"] == []
    runs = project.workdir / "acbuild.db"
    import sqlite3

    conn = sqlite3.connect(runs)
    try:
        statuses = [s for (s,) in conn.execute("SELECT status FROM runs")]
    finally:
        conn.close()
    assert statuses == ["ok"] * 4


def test_a_run_waits_for_the_job_another_is_building(project: Project) -> None:
    side_effect_project(project)
    project.script('def main(urd):\n    urd.build("work", tag="one", nap=1.5)\n')
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC)}
    first = subprocess.Popen([sys.executable, "-m", "acbuild", "run"], cwd=project.root,
                             env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not (project.workdir / ".tmp").exists() or not any(
                p.is_dir() for p in (project.workdir / ".tmp").iterdir()):
            pass  # until the first run is building
        second = project.acbuild("run")
    finally:
        first.communicate(timeout=60)
    assert first.returncode == 0
    assert "waiting" in second.stdout and "another acbuild run is building it" in second.stdout
    assert "nothing to build: 1 job(s) reused" in second.stdout
    assert ledger(project) == [project.job_dirs()[0]]
