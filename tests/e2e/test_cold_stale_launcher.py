"""The launcher starts as soon as planning has looked the jobs up and one is in no work
directory (such a job is built), before the rest of the planning; a stale job that is
found (forced, say) starts it after the planning, as before; and a run starts one launcher
whichever way, none when it builds nothing.

As in test_stale_launcher: a ``sitecustomize`` on PYTHONPATH writes each Python process's
``sys.orig_argv`` to a marker file; the launcher is the one run as ``-m acbuild.child``.
"""

from __future__ import annotations

import os
from pathlib import Path

from conftest import SRC, Project

HOOK = '''
import os, sys
with open(os.environ["ACBUILD_TEST_STARTS"], "a") as f:
    f.write(" ".join(sys.orig_argv) + "\\n")
'''


def _launchers(project: Project, tmp_path: Path, *args: str) -> int:
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(HOOK)
    marker = tmp_path / "starts.txt"
    marker.write_text("")
    project.acbuild(*args, env={"PYTHONPATH": f"{SRC}{os.pathsep}{hook}",
                                "ACBUILD_TEST_STARTS": str(marker)})
    lines = marker.read_text().splitlines()
    assert lines, "the hook saw no process start: the test would prove nothing"
    return sum("acbuild.child" in line.split() for line in lines)


def _script(project: Project, new: list[int], forced: list[int]) -> None:
    project.script(f'''
        def main(urd):
            for i in range(4):
                urd.build("double", x=i, force=i in {forced!r})
            for i in {new!r}:
                urd.build("double", x=i)
    ''')


def _built(project: Project) -> int:
    report = project.run_json("-j", "1")  # a no-op run now: what the last run left
    assert {j["state"] for j in report["jobs"]} == {"reused"}, [(j["id"], j["state"], j["reason"]) for j in report["jobs"]]
    return len(report["jobs"])


def test_one_launcher_whether_a_stale_job_is_new_or_found(project: Project,
                                                          tmp_path: Path) -> None:
    project.method("double", 'options = {"x": 0}\n\ndef synthesis(options):\n'
                             '    return options.x * 2\n')
    _script(project, new=[], forced=[])
    assert _launchers(project, tmp_path, "run", "-q") == 1  # every job new
    assert _launchers(project, tmp_path, "run", "-q") == 0  # none: a no-op run
    _script(project, new=[10], forced=[])
    assert _launchers(project, tmp_path, "run", "-q") == 1  # one new job: found missing
    assert _built(project) == 5
    _script(project, new=[], forced=[2])
    assert _launchers(project, tmp_path, "run", "-q") == 1  # found, stale: after planning
    _script(project, new=[11], forced=[1])
    assert _launchers(project, tmp_path, "run", "-q") == 1  # both: still one
    _script(project, new=[10, 11], forced=[])
    assert _built(project) == 6  # each built, none since
