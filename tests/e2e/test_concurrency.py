"""Concurrent runs on one work directory: they share the work, and the database stays sound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter

from conftest import (
    SRC,
    Project,
    assert_sound,
    db_rows,
    ledger,
    side_effect_project,
    staging_leftovers,
)

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
    gate = project.root / "gate"
    # The job holds until the test opens the gate: the second run finds it being built
    # however slow the machine is.
    project.method("gated", f'''
        import os
        import time

        import _ledger

        options = {{"tag": ""}}

        def synthesis(job):
            deadline = time.monotonic() + 120
            while not os.path.exists({str(gate)!r}) and time.monotonic() < deadline:
                time.sleep(0.01)
            _ledger.note(job)
    ''')
    project.script('def main(urd):\n    urd.build("gated", tag="one")\n')
    runs: list[subprocess.Popen[str]] = []
    try:
        start_two_runs(project, runs)
        assert runs[1].stdout is not None
        waiting = runs[1].stdout.readline()  # its first line: it found the job locked
    finally:
        gate.write_text("")
        results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    assert waiting.startswith("waiting ") and "another acbuild run is building it" in waiting
    assert "nothing to build: 1 job(s) reused" in results[1][0]
    assert ledger(project) == [project.job_dirs()[0]]  # built once, by the first run


def start_two_runs(project: Project, runs: list[subprocess.Popen[str]]) -> None:
    """Two `acbuild run`s of the project's script, appended to ``runs`` (the caller ends
    them, whatever happens here): the second once the first is building its job."""
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC)}
    for _ in range(2):
        if runs:
            deadline = time.monotonic() + 120
            while not staging_leftovers(project.workdir):  # until the first run is building
                assert time.monotonic() < deadline, "the first run never started its job"
                time.sleep(0.01)
        runs.append(subprocess.Popen([sys.executable, "-m", "acbuild", "run"],
                                     cwd=project.root, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE))
