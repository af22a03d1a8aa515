"""A directory of the user's in the work directory, not named as a job, is not acbuild's.

``doctor`` leaves a file of another name than a job's alone (a note the user keeps
there), but a *directory* of any name was "not a finished job": ``doctor --fix`` moved it
to ``.failed/`` and the next ``gc`` deleted it with everything in it. Only a name of a
job's shape (``<method>-<12 hex digits>``) can hold a job; the promise: doctor, doctor
--fix and gc leave any other directory, and its files, as they are.
"""

from __future__ import annotations

import json

from conftest import Project


def test_doctor_and_gc_leave_a_directory_not_named_as_a_job(project: Project) -> None:
    project.method("make", "def synthesis():\n    return 1\n")
    project.script("def main(urd):\n    urd.build('make')\n")
    project.acbuild("run")
    notes = project.workdir / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("important\n")
    report = json.loads(project.acbuild("doctor", "--json").stdout)
    assert not [f for f in report.get("findings", []) if "notes" in json.dumps(f)], report
    project.acbuild("doctor", "--fix")
    project.acbuild("gc", "--keep-newer", "0s")
    project.acbuild("doctor", "--rebuild")
    project.acbuild("gc", "--keep-newer", "0s", "--no-scripts")
    assert (notes / "todo.txt").read_text() == "important\n"
    assert list((project.workdir / ".failed").iterdir()) == []
    assert [j["state"] for j in project.status_json()["jobs"]] == ["cached"]
