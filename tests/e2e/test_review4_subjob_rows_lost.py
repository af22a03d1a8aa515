"""A parent published without its subjobs' record (a crash between the two) is not current
forever.

A parent is current only while every subjob it recorded would be the same job today: the
database keeps its subjobs, written just after the parent is published. A run killed
between the two left a finished parent with no record (the next run found it without
its row and recorded it as any job), and from then on an edit to its subjobs' method
re-ran nothing: the parent's old result was reused. The moment is made by hand here, as
the fault-injection tests make the moments a kill can split (the rows the crash did not
write are taken out). The promise: the next run records the parent with its subjobs from
their directories (as ``doctor --rebuild`` does), or builds it again when one is gone.
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from sweep_project import FIT, SCRIPT, SWEEP, best

from conftest import Project


def crashed_before_recording(project: Project) -> str:
    """Build the parent, then take out what a crash right after its publication had not
    written: its row and its subjobs' record. Returns the parent's id."""
    project.method("fit", FIT % "0.3")
    project.method("sweep", SWEEP)
    project.script(SCRIPT)
    assert best(project.acbuild("run")) == 0.0
    [parent] = [p.name for p in project.workdir.iterdir() if p.name.startswith("sweep-")]
    with sqlite3.connect(project.workdir / "acbuild.db") as db:
        assert db.execute("SELECT count(*) FROM subjobs").fetchone()[0] == 3
        db.execute("DELETE FROM jobs WHERE id = ?", (parent,))
        db.execute("DELETE FROM subjobs")
    return parent


@pytest.mark.parametrize("repair", ["run", "doctor --fix"])
def test_an_edit_to_the_subjobs_method_reruns_the_parent(project: Project,
                                                         repair: str) -> None:
    crashed_before_recording(project)
    if repair == "run":
        assert best(project.acbuild("run")) == 0.0  # found without its row: recorded, reused
    else:
        project.acbuild(*repair.split())
    project.method("fit", FIT % "0.7")  # the best fit is another one now (loss 0.04)
    run = project.acbuild("run", "--json")
    states = {j["method"]: j["state"] for j in json.loads(run.stdout)["jobs"]}
    assert states["sweep"] == "built", run.stdout
    assert abs(best(run) - 0.04) < 1e-9
    assert abs(best(project.acbuild("run")) - 0.04) < 1e-9


def test_a_parent_whose_subjob_is_gone_is_built_again(project: Project) -> None:
    crashed_before_recording(project)
    for fit in project.workdir.glob("fit-*"):
        shutil.rmtree(fit)
    run = project.acbuild("run", "--json")
    states = {j["method"]: j["state"] for j in json.loads(run.stdout)["jobs"]}
    assert states["sweep"] == "built", run.stdout
    assert len(list(project.workdir.glob("fit-*"))) == 3
    assert best(run) == 0.0
