"""The launcher starts as soon as a run knows it builds a job (its interpreter starts while
the run records the reused jobs), and never in a run that builds nothing.

A ``sitecustomize`` module on PYTHONPATH writes one line to a marker file for each Python
process that starts: its ``sys.orig_argv``. The launcher is the one run as
``-m acbuild.child``, so the marker says how many launchers each command started.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

from conftest import SRC, Project

HOOK = '''
import os, sys
with open(os.environ["ACBUILD_TEST_STARTS"], "a") as f:
    f.write(" ".join(sys.orig_argv) + "\\n")
'''


def _launchers(project: Project, tmp_path: Path, *args: str, check: int = 0) -> int:
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(HOOK)
    marker = tmp_path / "starts.txt"
    marker.write_text("")
    project.acbuild(*args, check=check, env={
        "PYTHONPATH": f"{SRC}{os.pathsep}{hook}", "ACBUILD_TEST_STARTS": str(marker)})
    lines = marker.read_text().splitlines()
    assert lines, "the hook saw no process start: the test would prove nothing"
    return sum("acbuild.child" in line.split() for line in lines)


def _project(project: Project, value: int) -> None:
    project.method("double", '''
        options = {"x": 0}

        def synthesis(options):
            return options.x * 2
    ''')
    project.script(f'''
        def main(urd):
            jobs = [urd.build("double", x=i) for i in range(5)]
            jobs.append(urd.build("double", x={value}))
            urd.result = [j.load() for j in jobs]
    ''')


def test_a_run_with_one_stale_job_starts_one_launcher_and_builds_it(project: Project,
                                                                     tmp_path: Path) -> None:
    _project(project, 10)
    assert _launchers(project, tmp_path, "run", "-q") == 1
    _project(project, 21)
    assert _launchers(project, tmp_path, "run", "-q") == 1
    report = project.run_json()
    assert sorted(j["state"] for j in report["jobs"]) == ["reused"] * 6
    job_id = next(j["id"] for j in report["jobs"]
                  if '"x": 21' in (project.workdir / j["id"] / "setup.json").read_text())
    assert (project.workdir / job_id / "result.pickle").exists()
    # found in a thread while the run planned: what setup.json records is this machine's
    versions = json.loads((project.workdir / job_id / "setup.json").read_text())["versions"]
    assert versions["platform"] == platform.platform()
    assert versions["host"] == platform.node()
    assert versions["python"] == sys.version.split()[0]


def test_a_no_op_run_starts_no_launcher(project: Project, tmp_path: Path) -> None:
    _project(project, 10)
    project.acbuild("run", "-q")
    assert _launchers(project, tmp_path, "run", "-q") == 0
    assert _launchers(project, tmp_path, "status") == 0


def test_a_script_that_fails_before_any_job_starts_no_launcher(project: Project,
                                                               tmp_path: Path) -> None:
    _project(project, 10)
    project.script('''
        def main(urd):
            urd.build("double", x=1)
            raise ValueError("stop")
    ''')
    assert _launchers(project, tmp_path, "run", "-q", check=2) == 0
