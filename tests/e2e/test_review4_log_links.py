"""A job's logs are read as the files acbuild wrote, never through a link, never a FIFO.

A method can replace its own ``stdout.log`` by a link (to a user's key, ``/etc/shadow``)
or by a FIFO: acbuild writes the logs through descriptors it opened first, so the job
finishes, and what stays in its directory is the link. ``acbuild show --log``, the
board's ``/job/JOB/log`` and the log tail of ``/job/JOB`` then read whatever the link
led to (the board served a file outside the job directory), and a FIFO made them wait
forever. The promise: no file outside the job directory is read or served, and looking
never hangs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from board_helpers import board_client

from conftest import Project

pytest.importorskip("starlette")
pytest.importorskip("httpx")

SECRET = "SECRET-LOG-4242"


def test_logs_replaced_by_a_link_or_a_fifo_are_not_read(project: Project, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    secret = tmp_path / "private.txt"
    secret.write_text(SECRET + "\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "0.stdout.log").write_text(SECRET + "\n")
    project.method("evil", f'''
        import os

        def analysis(sliceno):
            print("slice", sliceno)

        def synthesis(job):
            os.unlink(os.path.join(job.path, "stdout.log"))
            os.symlink({str(secret)!r}, os.path.join(job.path, "stdout.log"))
            os.unlink(os.path.join(job.path, "stderr.log"))
            os.mkfifo(os.path.join(job.path, "stderr.log"))
            return 1
    ''')
    project.script("def main(urd):\n    urd.build('evil')\n")
    project.acbuild("run", check=None)
    [job] = [p for p in project.workdir.iterdir() if p.name.startswith("evil-")]
    # and the slices' logs: a link to a directory of the user's
    logs = job / "slice-logs"
    for child in logs.iterdir():
        child.unlink()
    logs.rmdir()
    logs.symlink_to(outside)
    for args in (("show", "evil", "--log"), ("show", "evil"), ("show", "evil", "--json")):
        shown = project.acbuild(*args, check=None, timeout=60)
        assert SECRET not in shown.stdout + shown.stderr, args
    with board_client(project, monkeypatch) as client:
        for url in ("/job/evil/log", "/job/evil/log?format=json", "/job/evil",
                    "/job/evil?format=json"):
            answer = client.get(url)
            assert SECRET not in answer.text, (url, answer.status_code)


def test_a_job_that_leaves_a_fifo_for_its_log_and_dies_fails_without_hanging(
        project: Project) -> None:
    """The run reads a dead job's log to say which phase it died in: a FIFO there kept the
    run waiting forever (it never ended, never recorded its end)."""
    project.method("evil", '''
        import os

        def synthesis(job):
            os.unlink(os.path.join(job.path, "stdout.log"))
            os.mkfifo(os.path.join(job.path, "stdout.log"))
            os._exit(3)
    ''')
    project.method("fine", "def synthesis():\n    return 2\n")
    project.script("def main(urd):\n    urd.build('evil')\n    urd.build('fine')\n")
    report = project.run_json("--keep-going", check=1)
    assert {j["method"]: j["state"] for j in report["jobs"]} == {"evil": "failed",
                                                                 "fine": "built"}
    shown = project.acbuild("show", "evil", "--log", check=None, timeout=60)
    assert "Traceback" not in shown.stderr
    assert project.acbuild("log", "--json").returncode == 0
