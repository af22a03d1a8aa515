"""Review (issue 12): a job's source/ files are hard links to one store file per content,
so a method that writes into its own source/ with a plain open() (root ignores the mode;
an owner may chmod) changes the source record of every finished job sharing that file. The
run must not leave them changed: the shared file gets its bytes back and the job that
wrote it fails, naming the file."""

from __future__ import annotations

import json
from pathlib import Path

from test_review3_source_write_then_remove import assert_sources_unchanged, two_built_then_bad

from conftest import Project, assert_sound

METHOD = '''
import os
options = {"n": 0}

def synthesis(options, job):
    if options.n == 99:
        path = os.path.join(str(job.path), "source", "methods", "scale.py")
        os.chmod(path, 0o644)  # (root needs no chmod; an owner does)
        with open(path, "a") as f:
            f.write("# written by the job\\n")
    return options.n
'''


def test_a_job_writing_its_shared_source_changes_no_other_job(project: Project) -> None:
    project.method("scale", METHOD)
    source, finished = two_built_then_bad(project)
    report = project.run_json(check=1)
    failed = [j for j in report["jobs"] if j["state"] == "failed"]
    assert len(failed) == 1, report
    assert "methods/scale.py" in json.dumps(failed[0])
    assert_sources_unchanged(project, finished, source)
    assert all(p.read_bytes() == source for p in (project.workdir / ".sources").rglob("*")
               if p.is_file())
    assert project.acbuild("verify").returncode == 0
    assert_sound(project.workdir)
    # Without the writing job, the next run reuses the two, whose records are whole.
    Path(project.root / "bad").unlink()
    again = project.run_json()
    assert sorted(j["state"] for j in again["jobs"]) == ["reused", "reused"]
