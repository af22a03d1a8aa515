"""`acbuild.open_project` on a path that is not there is an AcbuildError naming it, not an
empty project that answers every question with nothing (review-user)."""

from __future__ import annotations

import subprocess
import sys

from conftest import SRC, Project

CHECK = """
import acbuild, sys
try:
    acbuild.open_project(sys.argv[1])
except acbuild.errors.AcbuildError as e:
    print("error:", e)
else:
    print("opened")
print([j.id for j in acbuild.open_project(sys.argv[2]).jobs("one")])
"""


def test_open_project_on_a_missing_path(project: Project) -> None:
    project.method("one", "def synthesis():\n    return 1\n")
    project.script('def main(urd):\n    urd.build("one")\n')
    project.acbuild("run")
    missing = project.root / "typo"
    proc = subprocess.run([sys.executable, "-c", CHECK, str(missing), str(project.root)],
                          env={"PYTHONPATH": str(SRC)}, capture_output=True, text=True,
                          timeout=60, check=True)
    first, second = proc.stdout.splitlines()
    assert first == f"error: no project at {missing}: there is no such directory"
    assert second.startswith("['one-") and not missing.exists()


FAILED = """
import acbuild, sys
job = acbuild.open_project(sys.argv[1]).job("boom")
try:
    job.load()
except acbuild.errors.AcbuildError as e:
    print("error:", str(e).splitlines()[0])
"""


def test_loading_a_failed_job_says_it_failed(project: Project) -> None:
    project.method("boom", "def synthesis():\n    raise ValueError('no way')\n")
    project.script('def main(urd):\n    urd.build("boom")\n')
    project.acbuild("run", check=1)
    proc = subprocess.run([sys.executable, "-c", FAILED, str(project.root)],
                          env={"PYTHONPATH": str(SRC)}, capture_output=True, text=True,
                          timeout=60, check=True)
    assert proc.stdout.startswith("error: job boom-")
    assert "failed in synthesis: ValueError: no way; it has no result" in proc.stdout
