"""Frictions left from the last review: `project.jobs("typo")` was an empty list, as if the
method had no jobs; compare's table left out when each job was built (its JSON had it)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import SRC, Project

JOBS = """
import acbuild, sys
project = acbuild.open_project(sys.argv[1])
print(len(project.jobs("one")), len(project.jobs("never")), len(project.jobs()))
try:
    project.jobs("onee")
except acbuild.errors.AcbuildError as e:
    print("error:", e)
"""


def test_jobs_of_an_unknown_method_is_an_error(project: Project) -> None:
    project.method("one", "options = {'x': 1}\n\ndef synthesis(options):\n    return options.x\n")
    project.method("never", "def synthesis():\n    return 0\n")
    project.script('def main(urd):\n    urd.build("one", x=1)\n    urd.build("one", x=2)\n')
    project.acbuild("run")
    proc = subprocess.run([sys.executable, "-c", JOBS, str(project.root)],
                          env={"PYTHONPATH": str(SRC)}, capture_output=True, text=True,
                          timeout=60, check=True)
    counts, error = proc.stdout.splitlines()
    assert counts == "2 0 2"  # a known method without jobs: no jobs, no error
    assert error.startswith("error: unknown method 'onee'") and "did you mean 'one'" in error


def test_compare_table_says_when_each_job_was_built(project: Project) -> None:
    project.method("one", "options = {'x': 1}\n\ndef synthesis(options):\n    return options.x\n")
    project.script('def main(urd):\n    urd.build("one", x=1)\n    urd.build("one", x=2)\n')
    project.acbuild("run")
    rows = json.loads(project.acbuild("compare", "one", "--json").stdout)["rows"]
    table = project.acbuild("compare", "one").stdout.splitlines()
    assert table[0].split()[:4] == ["job", "name", "built", "x"]
    for row in rows:
        line = next(line for line in table if line.startswith(row["job"]))
        assert row["built"] in line  # the same time as --json says, as it says it
