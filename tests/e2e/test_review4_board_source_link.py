"""A link a method leaves in its ``source/`` is not a source file: nothing beyond it is read.

The board's ``/job/JOB/source/PATH`` (and ``explain``'s diff) read a job's ``source/``
tree and followed a symbolic link in it to any file of the machine: a method that left
``source/evil.py -> ~/.ssh/id_rsa`` (or a user who did) had the board serve that file as
a "source file". The promise (README, the board): no file outside the job directory is
served, a link leading out is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from board_helpers import board_client

from conftest import Project

pytest.importorskip("starlette")
pytest.importorskip("httpx")

SECRET = "SECRET-KEY-4242"


def test_a_link_in_source_is_not_served(project: Project, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "private" / "id_rsa"
    secret.parent.mkdir()
    secret.write_text(SECRET + "\n")
    project.method("evil", f'''
        import os

        def synthesis(job):
            os.symlink({str(secret)!r}, os.path.join(job.path, "source", "evil.py"))
            os.symlink({str(secret)!r}, os.path.join(job.path, "source", "methods", "x.py"))
            return 1
    ''')
    project.script("def main(urd):\n    urd.build('evil')\n")
    project.acbuild("run", check=None)
    with board_client(project, monkeypatch) as client:
        for url in ("/job/evil/source/evil.py", "/job/evil/source/methods/x.py",
                    "/job/evil/source/evil.py?format=json", "/job/evil",
                    "/job/evil?format=json", "/job/evil/explain?format=json"):
            answer = client.get(url)
            assert SECRET not in answer.text, (url, answer.status_code)
        # the method's own source is still served
        assert "os.symlink" in client.get("/job/evil/source/methods/evil.py").text
    shown = project.acbuild("explain", "evil", check=None)
    assert SECRET not in shown.stdout + shown.stderr
