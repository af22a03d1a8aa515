"""A script that reads a result after each job it declares plans each job once, not once per
read: a 1,000-step chain of ``load()`` calls decides about as many jobs as it has (it
decided half a million, and took seconds, before the plan of one evaluation was kept), in
a cold run, a no-op run and ``status``. What a build changes is still seen: a ``load()``
after an ancestor is forced anew in the same evaluation reads the new result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

from conftest import SRC, Project

# Runs the command's own library code (run_script / status_script, as `acbuild run` and
# `acbuild status` do) and prints how many jobs the reads of results had decided.
COUNTING = '''
import json, sys
from pathlib import Path
from acbuild import evalplan, events
from acbuild.config import load_project
from acbuild.session import Session, run_script, status_script

with Session(load_project()) as session:
    if sys.argv[1] == "run":
        run_script(session, Path("build.py"), events.NullReporter(), 2)
    else:
        print(status_script(session, Path("build.py")).stopped_text, file=sys.stderr)
print(json.dumps(evalplan.COUNTS))
'''


def chain_project(project: Project, steps: int) -> Project:
    project.method("step", '''
        """One step of a chain: its number plus what the step before it made."""
        options = {"i": 0}
        jobs = ("prev",)

        def synthesis(options, jobs):
            return options.i + (jobs.prev.load() if jobs.prev else 0)
    ''')
    project.write("n.txt", f"{steps}\n")
    project.script('''
        N = int(open("n.txt").read())

        def main(urd):
            step = None
            for i in range(N):
                step = urd.build("step", i=i, prev=step)
                total = step.load()  # each step's result, read as soon as it is declared
            open("total.txt", "w").write(f"{total}\\n")
    ''')
    return project


def counted(project: Project, command: str) -> tuple[dict[str, int], float]:
    began = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", COUNTING, command], cwd=project.root,
                          env={**os.environ, "PYTHONPATH": str(SRC), "ACBUILD_PLAIN": "1"},
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1]), time.monotonic() - began


def test_a_chain_of_loads_decides_each_job_about_once(project: Project) -> None:
    chain_project(project, 100)
    cold, _ = counted(project, "run")
    assert (project.root / "total.txt").read_text() == f"{sum(range(100))}\n"
    # each read decides the job it reads: the steps before it were built by this run
    assert cold == {"reads": 100, "decided": 100}
    noop100, seconds100 = counted(project, "run")
    assert noop100 == {"reads": 100, "decided": 100}

    project.write("n.txt", "1000\n")
    counted(project, "run")  # builds steps 100 to 999
    assert (project.root / "total.txt").read_text() == f"{sum(range(1000))}\n"
    noop, seconds = counted(project, "run")
    assert noop == {"reads": 1000, "decided": 1000}  # deciding every ancestor: 500,500
    looked, _ = counted(project, "status")
    assert looked == {"reads": 1000, "decided": 1000}
    # and in time, with room for a busy machine: ten times the steps, not a hundred times
    # the time (it took 5 s, 15 times the 100 steps' no-op run)
    assert seconds < 10 * max(seconds100, 0.5), (seconds, seconds100)
    report = project.run_json()
    assert {j["state"] for j in report["jobs"]} == {"reused"} and len(report["jobs"]) == 1000


def test_a_load_after_an_ancestor_is_forced_anew_reads_the_new_result(project: Project) -> None:
    project.write("ext.txt", "v1")
    project.method("src", '''
        import os

        def synthesis():
            return open(os.path.join(os.environ["PROJECT"], "ext.txt")).read()
    ''')
    project.method("mid", '''
        jobs = ("src",)

        def synthesis(jobs):
            return jobs.src.load() + "+mid"
    ''')
    project.method("top", '''
        jobs = ("mid",)

        def synthesis(jobs):
            return jobs.mid.load() + "+top"
    ''')
    project.script('''
        def main(urd):
            src = urd.build("src")
            mid = urd.build("mid", src=src)
            top = urd.build("top", mid=mid)
            seen = [top.load(), mid.load()]  # all settled: read, planned, reused
            again = urd.build("src", force=True)  # ext.txt is no part of its identity
            mid = urd.build("mid", src=again)  # the same jobs as before, new handles
            top = urd.build("top", mid=mid)
            seen += [top.load(), mid.load(), again.load()]
            open("seen.txt", "w").write(repr(seen))
    ''')
    env = {"PROJECT": str(project.root)}
    project.acbuild("run", "-q", env=env)
    first = eval((project.root / "seen.txt").read_text())
    # the first run built src once: forcing it again in the same run reuses that build
    assert first == ["v1+mid+top", "v1+mid", "v1+mid+top", "v1+mid", "v1"]

    project.write("ext.txt", "v2")
    report: dict[str, Any] = json.loads(project.acbuild("run", "--json", env=env).stdout)
    seen = eval((project.root / "seen.txt").read_text())
    assert seen == ["v1+mid+top", "v1+mid", "v2+mid+top", "v2+mid", "v2"]
    assert sorted(j["method"] for j in report["jobs"] if j["state"] == "built") == \
        ["mid", "src", "top"]


def test_a_job_read_earlier_then_changed_on_disk_is_built_again_before_a_new_job_reads_it(
        project: Project) -> None:
    project.method("src", '''
        def synthesis(job):
            with job.open("out.txt", "w") as f:
                f.write("made by src")
    ''')
    project.method("reader", '''
        jobs = ("src",)

        def synthesis(jobs):
            return jobs.src.open("out.txt").read()
    ''')
    project.write("tamper.txt", "")
    project.script('''
        def main(urd):
            src = urd.build("src")
            src.load()  # read: planned, and (in a later run) reused and settled
            if open("tamper.txt").read():
                with open(src.filename("out.txt"), "a") as f:
                    f.write(" and changed since")
            reader = urd.build("reader", src=src)
            open("seen.txt", "w").write(reader.load())
    ''')
    project.acbuild("run", "-q")
    assert (project.root / "seen.txt").read_text() == "made by src"
    project.write("tamper.txt", "yes")
    project.write("methods/reader.py", (project.root / "methods/reader.py").read_text()
                  + "\n\ndef prepare():\n    pass\n")  # a new reader: it is built now
    report = project.run_json()
    # src's files changed after the run had reused it: the new job does not read them
    assert (project.root / "seen.txt").read_text() == "made by src"
    assert sorted(j["method"] for j in report["jobs"] if j["state"] == "built") == \
        ["reader", "src"]
