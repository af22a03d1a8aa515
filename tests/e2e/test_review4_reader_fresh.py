"""``open_project`` on a project nothing was built in yet answers with an acbuild error.

``project.job("m")`` (a method name: its job in build.py) on a project without a work
directory raised a bare ``AssertionError`` (no message) from inside the store: a notebook
got a traceback instead of what ``acbuild show m`` says. The promise: an
``acbuild.errors.AcbuildError`` saying what is missing, and still nothing created.
"""

from __future__ import annotations

import subprocess
import sys

from conftest import SRC, Project

PROBE = '''
import acbuild
from acbuild.errors import AcbuildError
project = acbuild.open_project(".")
for spec in ("m", "m~0", "m-0123"):
    try:
        project.job(spec)
        print("FOUND", spec)
    except AcbuildError as e:
        print("ERROR", spec, type(e).__name__, e.message.replace("\\n", " "))
print("JOBS", project.jobs("m"))
'''


def test_a_fresh_project_read_from_python(project: Project) -> None:
    project.method("m", "options = {'n': 1}\n\ndef synthesis(options):\n    return options.n\n")
    project.script("def main(urd):\n    urd.build('m')\n")
    before = sorted(p.name for p in project.root.iterdir())
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=project.root, text=True,
                          capture_output=True, timeout=120,
                          env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split()[:2] for line in lines[:3]] == [["ERROR", "m"], ["ERROR", "m~0"],
                                                         ["ERROR", "m-0123"]], proc.stdout
    assert all(len(line.split()) > 3 for line in lines[:3]), proc.stdout  # says something
    assert lines[3] == "JOBS []"
    assert sorted(p.name for p in project.root.iterdir()) == before  # nothing created
