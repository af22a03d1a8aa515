"""A job reading an input that another run rebuilds in place meanwhile is not current.

Run A builds ``y`` from its input ``x`` (cached); while ``y`` runs, having read ``x``'s
result, run B forces ``x`` (``force=True``: rebuilt in place, same id, a new result).
``y`` finishes after the new ``x`` is published: by the order of publication it is
younger than its input, so every later run reuses it — holding the OLD ``x``'s result
next to the new ``x``, for ever (a wrong result). The promise (README, "A job rebuilt in
place"): a job built from an earlier build of its input is not current.

The engine compares each input's post.json as the job started with what is there when it
ends: one rebuilt meanwhile fails the job ("its input x was built again while it ran"),
and the next run builds it from the new x.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from conftest import SRC, Project

X = '''
import random

def synthesis():
    return random.random()
'''

Y = '''
import os
import time

options = {"marks": ""}
jobs = ("x",)

def synthesis(jobs, options):
    value = jobs.x.load()
    open(os.path.join(options.marks, "read"), "w").close()
    deadline = time.monotonic() + 60
    while not os.path.exists(os.path.join(options.marks, "release")):
        if time.monotonic() > deadline:
            raise RuntimeError("never released")
        time.sleep(0.02)
    return value
'''


def values(text: str) -> tuple[str, str]:
    [(x, y)] = re.findall(r"^X (\S+) Y (\S+)$", text, re.M)
    return x, y


def test_a_job_built_from_an_input_rebuilt_meanwhile_is_not_current(
        project: Project, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    project.method("x", X)
    project.method("y", Y)
    project.script(f'''
        def main(urd):
            x = urd.build("x")
            y = urd.build("y", x=x, marks={str(marks)!r})
            print("X", x.load(), "Y", y.load())
    ''')
    project.script('def main(urd):\n    urd.build("x")\n', name="only_x.py")
    project.script('def main(urd):\n    urd.build("x", force=True)\n', name="force.py")
    project.acbuild("run", "only_x.py")
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC)}
    first = subprocess.Popen([sys.executable, "-m", "acbuild", "run"], cwd=project.root,
                             env=env, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (marks / "read").exists():
            assert time.monotonic() < deadline and first.poll() is None, first.communicate()
            time.sleep(0.02)
        project.acbuild("run", "force.py")  # x rebuilt in place while y holds its old result
        (marks / "release").touch()
        first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    again = project.acbuild("run")
    x, y = values(again.stdout + again.stderr)
    assert x == y, "y is reused with the result of an earlier build of its input x"
