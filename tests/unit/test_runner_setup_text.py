"""runner: a job's setup given as setup.json's text (encoded once) reaches the launcher as
the same value as the dict would (issue 12, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

from test_runner import ENV, make_job, wait_for

from acbuild.jobrecords import setup_text
from acbuild.runner import Launcher


def test_the_setup_text_is_sent_as_one_line_of_the_same_json(tmp_path: Path) -> None:
    job_dir = make_job(tmp_path, "j", "def synthesis():\n    return 1\n")
    setup = json.loads((job_dir / "setup.json").read_text())
    setup["options"] = {"text": "two\nlines", "quote": '"}\\n'}  # escapes inside strings
    text = setup_text(setup)
    assert "\n " in text and json.loads(text) == setup
    (job_dir / "setup.json").write_text(text)
    launcher = Launcher(env=ENV)
    sent: list[str] = []
    send_line = launcher._send_line
    launcher._send_line = lambda line: (sent.append(line), send_line(line))  # type: ignore
    try:
        launcher.start(1, job_dir, 1, text)
        (line,) = sent
        assert "\n" not in line
        assert json.loads(line) == {"op": "start", "token": 1, "job_dir": str(job_dir),
                                    "concurrency": 1, "setup": setup}
        (exited,) = wait_for(launcher, 1)
        assert exited.status == 0
    finally:
        launcher.close()
    assert json.loads((job_dir / "post.json").read_text())["status"] == "ok"
