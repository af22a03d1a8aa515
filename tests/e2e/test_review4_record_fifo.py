"""A job's records replaced by a FIFO or a link: no command waits forever, none reads beyond.

A method can remove its ``setup.json`` and leave a FIFO (or a link) in its place. Every
command that read it — ``show``, ``verify``, ``compare``, ``gc`` (even ``--dry-run``) —
opened it as a file and waited forever for a writer: a work directory nobody could
clean up. The promise: each says what is wrong (a damaged job) and ends; a run that
reads the job's result builds it again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import Project

EVIL = '''
import os

options = {"how": "fifo"}

def synthesis(job, options):
    setup = os.path.join(job.path, "setup.json")
    if options.how == "rewritten":
        with open(setup, "r+") as f:
            text = f.read()
            f.seek(0)
            f.write(text.replace('"method": "evil"', '"method": "EVIL"'))
        return 1
    os.unlink(setup)
    if options.how == "fifo":
        os.mkfifo(setup)
    else:
        os.symlink(%r, setup)
    return 1
'''

GOOD = '''
options = {"how": "fifo"}

def synthesis(options):
    return 1
'''


@pytest.mark.parametrize("how", ["fifo", "link"])
def test_no_command_hangs_on_a_record_that_is_no_file(project: Project, tmp_path: Path,
                                                      how: str) -> None:
    secret = tmp_path / "elsewhere.json"
    secret.write_text('{"format": 1, "id": "SECRET-4242", "method": "evil"}\n')
    project.method("evil", GOOD)
    project.script(f"def main(urd):\n    urd.build('evil', how={how!r})\n")
    (job_id,) = [j["id"] for j in project.run_json()["jobs"]]
    # Done to the published job from outside (a job's own method cannot: see below).
    setup = project.workdir / job_id / "setup.json"
    setup.unlink()
    if how == "fifo":
        os.mkfifo(setup)
    else:
        setup.symlink_to(secret)
    for args in (("show", "evil"), ("show", "evil", "--json"), ("verify",), ("doctor",),
                 ("compare", "evil"), ("gc", "--dry-run"), ("jobs",), ("status",),
                 ("explain", "evil")):
        proc = project.acbuild(*args, check=None, timeout=60)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        assert "SECRET-4242" not in proc.stdout + proc.stderr, args
    project.script(f"def main(urd):\n    print('GOT', urd.build('evil', how={how!r}).load())\n")
    run = project.acbuild("run", "--json", timeout=60)
    assert "GOT 1" in run.stderr
    assert [j["state"] for j in json.loads(run.stdout)["jobs"]] == ["built"]


@pytest.mark.parametrize("how", ["fifo", "link", "rewritten"])
def test_a_job_that_replaced_its_setup_json_fails(project: Project, tmp_path: Path,
                                                  how: str) -> None:
    """A job's records are acbuild's: one whose method removed, rewrote or replaced its
    setup.json is not published (it would say it is another job, or hang its readers)."""
    project.method("evil", EVIL % str(tmp_path / "none.json"))
    project.script(f"def main(urd):\n    urd.build('evil', how={how!r})\n")
    report = project.run_json(check=None)
    (job,) = report["jobs"]
    assert job["state"] == "failed"
    assert "setup.json was removed, rewritten or replaced" in job["reason"]
    assert project.job_dirs() == []  # kept in .failed/ only
    assert [p.name.split(".")[0] for p in (project.workdir / ".failed").iterdir()] == [job["id"]]


READ_ONLY = '''
import os
import stat

def synthesis(job):
    with job.open("out.txt", "w") as f:
        f.write("kept\\n")
    for root, dirs, files in os.walk(job.path):  # outputs and records made read-only
        for name in files:
            path = os.path.join(root, name)
            os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) & ~0o222)
    return 1
'''


def test_a_job_that_makes_its_files_read_only_is_published(project: Project) -> None:
    """Permissions are not what makes setup.json another file: a method protecting its
    outputs (setup.json included) is built, not failed."""
    project.method("ro", READ_ONLY)
    project.script("def main(urd):\n    urd.build('ro')\n")
    report = project.run_json(check=None)
    assert [j["state"] for j in report["jobs"]] == ["built"], report
    assert project.run_json()["counts"]["reused"] == 1
