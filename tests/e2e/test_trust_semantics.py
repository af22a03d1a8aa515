"""A job computes what its identity says (issue 11, items 3, 9, 10 and 11).

What runs is the job's source/ snapshot, not the live files edited during the run; a
method receives options in the canonical order setup.json records (an OrderedDict's order
is identity); the module globals ``options`` and ``jobs`` are the job's values while it
runs; defaultdict results and results of classes defined in the method just work.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import SRC, Project, built

# A job that says it has started (<flags>/<name>.started) and waits until the test says go
# (<flags>/<name>.go): the test edits the sources in between.
GATE = '''
import os, time

def wait(flags, name):
    open(os.path.join(flags, name + ".started"), "w").close()
    deadline = time.monotonic() + 60
    while not os.path.exists(os.path.join(flags, name + ".go")):
        if time.monotonic() > deadline:
            raise TimeoutError("the test never said go")
        time.sleep(0.01)
'''

METHOD = '''
import _gate
import _helper

VERSION = 1
options = {"n": 0, "flags": ""}
jobs = ("after",)

def synthesis(options):
    if options.flags:
        _gate.wait(options.flags, "m%d" % options.n)
    return VERSION, _helper.VALUE, options.n
'''

SCRIPT = '''
def main(urd):
    flags = {flags!r}
    gate = urd.build("gate", flags=flags)
    first = urd.build("m", n=1, flags=flags, after=gate)
    urd.build("m", n=2, after=first)
'''


def background(project: Project, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC), "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "acbuild", *args], cwd=project.root,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, run: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if run.poll() is not None:
            raise AssertionError(f"acbuild ended first:\n{run.communicate()}")
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


def results(project: Project, report: dict[str, Any]) -> dict[str, Any]:
    """job id -> its result, loaded from the job directory."""
    return {job["id"]: pickle.loads((Path(job["path"]) / "result.pickle").read_bytes())
            for job in report["jobs"] if job["method"] == "m"}


@pytest.mark.parametrize("edited", ["methods/m.py", "methods/_helper.py"])
def test_an_edit_during_the_run_runs_nowhere_under_the_old_id(project: Project,
                                                             edited: str) -> None:
    flags = project.root / "flags"
    flags.mkdir(parents=True)
    project.write("methods/_gate.py", GATE)
    project.method("gate", "import _gate\noptions = {'flags': ''}\n\n"
                           "def synthesis(options):\n    _gate.wait(options.flags, 'gate')\n")
    project.method("m", METHOD)
    project.write("methods/_helper.py", "VALUE = 1\n")
    project.script(SCRIPT.format(flags=str(flags)))
    original = (project.root / edited).read_text()

    def edit(version: int) -> None:
        text = original.replace("VERSION = 1", f"VERSION = {version}").replace(
            "VALUE = 1", f"VALUE = {version}")
        (project.root / edited).write_text(text)

    planned = {j["id"] for j in project.status_json()["jobs"] if j["method"] == "m"}
    run = background(project, "run", "--json", "-j", "1")
    # The run has planned (and hashed) every job; the method's jobs start after the gate.
    wait_for(flags / "gate.started", run)
    edit(2)  # before the first job of m is imported
    (flags / "gate.go").touch()
    wait_for(flags / "m1.started", run)
    edit(3)  # while the first job of m runs: the second starts after
    (flags / "m1.go").touch()
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    report = json.loads(out)
    got = results(project, report)
    assert set(got) == planned
    assert sorted(got.values()) == [(1, 1, 1), (1, 1, 2)], "each job ran the code it was hashed from"
    for job in report["jobs"]:
        if job["method"] == "m":
            assert (Path(job["path"]) / "source" / edited).read_text() == original

    # The code as it is now is another job; going back to the first code reuses the first
    # jobs, whose results are that code's.
    for name in ("gate.go", "m1.go"):
        (flags / name).touch()
    report = project.run_json()
    assert built(report) == ["m", "m"]
    now = [(3, 1, 1), (3, 1, 2)] if edited == "methods/m.py" else [(1, 3, 1), (1, 3, 2)]
    assert sorted(results(project, report).values()) == now
    (project.root / edited).write_text(original)
    report = project.run_json()
    assert built(report) == []
    assert sorted(results(project, report).values()) == [(1, 1, 1), (1, 1, 2)]
