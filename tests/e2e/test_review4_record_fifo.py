"""A job's records replaced by a FIFO or a link: no command waits forever, none reads beyond.

A method can remove its ``setup.json`` and leave a FIFO (or a link) in its place. Every
command that read it — ``show``, ``verify``, ``compare``, ``gc`` (even ``--dry-run``) —
opened it as a file and waited forever for a writer: a work directory nobody could
clean up. The promise: each says what is wrong (a damaged job) and ends; a run that
reads the job's result builds it again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Project

EVIL = '''
import os

options = {"how": "fifo"}

def synthesis(job, options):
    setup = os.path.join(job.path, "setup.json")
    os.unlink(setup)
    if options.how == "fifo":
        os.mkfifo(setup)
    else:
        os.symlink(%r, setup)
    return 1
'''


@pytest.mark.parametrize("how", ["fifo", "link"])
def test_no_command_hangs_on_a_record_that_is_no_file(project: Project, tmp_path: Path,
                                                      how: str) -> None:
    secret = tmp_path / "elsewhere.json"
    secret.write_text('{"format": 1, "id": "SECRET-4242", "method": "evil"}\n')
    project.method("evil", EVIL % str(secret))
    project.script(f"def main(urd):\n    urd.build('evil', how={how!r})\n")
    project.acbuild("run", check=None)
    for args in (("show", "evil"), ("show", "evil", "--json"), ("verify",), ("doctor",),
                 ("compare", "evil"), ("gc", "--dry-run"), ("jobs",), ("status",),
                 ("explain", "evil")):
        proc = project.acbuild(*args, check=None, timeout=60)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        assert "SECRET-4242" not in proc.stdout + proc.stderr, args
    project.script(f"def main(urd):\n    print('GOT', urd.build('evil', how={how!r}).load())\n")
    run = project.acbuild("run", "--json", timeout=60)
    assert "GOT 1" in run.stderr
    # (built again, it damages itself again: the method does so each time)
    assert [j["state"] for j in json.loads(run.stdout)["jobs"]] == ["built"]


@pytest.mark.xfail(strict=True, reason="engine's finish path (another helper's, not changed "
                   "here) publishes a job whose method replaced its setup.json: it should "
                   "check, before the rename, that setup.json is still the regular file it "
                   "wrote (one lstat) and fail the job otherwise")
def test_a_job_that_replaced_its_setup_json_fails(project: Project, tmp_path: Path) -> None:
    project.method("evil", EVIL % str(tmp_path / "none.json"))
    project.script("def main(urd):\n    urd.build('evil')\n")
    report = project.run_json(check=None)
    assert [j["state"] for j in report["jobs"]] == ["failed"]
