"""The board serves no file outside the work directories, even through ``.failed/``.

A JOB on the board may name a failed attempt (a method with no finished job, or an id
that only ``.failed/`` holds). A link kept in ``.failed/`` under an attempt's name (gc
removes such a link as a link: it is no attempt acbuild made) was taken for the attempt:
the board resolved it and served any file of the directory it leads to — its files, its
"source" and its "log" — a directory anywhere on the machine. The promise: a link there
is no failed attempt, and nothing beyond it is served.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from board_helpers import board_client

from conftest import Project

pytest.importorskip("starlette")
pytest.importorskip("httpx")

SECRET = "TOP-SECRET-4242"


def test_a_link_in_failed_is_not_served(project: Project, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    project.method("boom", '''
        def synthesis(job):
            with job.open("out.txt", "w") as f:
                f.write("partial")
            print("a line of log")
            raise ValueError("boom")
    ''')
    project.script("def main(urd):\n    urd.build('boom')\n")
    project.acbuild("run", check=1)
    [attempt] = list((project.workdir / ".failed").iterdir())
    job_id = attempt.name.split(".")[0]
    # Elsewhere on the machine: a directory holding what an attempt holds, and more.
    outside = tmp_path / "private" / attempt.name
    shutil.copytree(attempt, outside)
    for name in ("secret.txt", "out.txt", "stdout.log", "source/methods/boom.py"):
        target = outside / name
        if target.exists():
            target.unlink()  # (a read-only hard link of the source store's)
        target.write_text(SECRET + "\n")
    shutil.rmtree(attempt)
    os.symlink(outside, attempt)

    with board_client(project, monkeypatch) as client:
        for spec in ("boom", job_id):
            for url in (f"/job/{spec}/file/secret.txt", f"/job/{spec}/file/out.txt",
                        f"/job/{spec}/source/methods/boom.py", f"/job/{spec}/log",
                        f"/job/{spec}/log?format=json", f"/job/{spec}?format=json",
                        f"/job/{spec}"):
                answer = client.get(url)
                assert SECRET not in answer.text, (url, answer.status_code)
    # and the command line's show does not read it either
    for spec in ("boom", job_id):
        shown = project.acbuild("show", spec, "--log", check=None)
        assert SECRET not in shown.stdout + shown.stderr, spec
