"""Review (issue 12): one job writing through its source/ link changes the helper module
of every job sharing the store file -- and a job of another method that imports that
helper from its own source/ while the write stands computes with the changed code. That
job must not be published (its identity names the helper's real bytes): it fails, and a
later run builds it from the real helper."""

from __future__ import annotations

import json

from conftest import Project

HELPER = "FACTOR = 3\n"
WRITER = '''
import os, time
import _helper

def synthesis(job):
    path = os.path.join(str(job.path), "source", "methods", "_helper.py")
    with open(path, "w") as f:  # (root ignores the mode)
        f.write("FACTOR = 1000\\n")
    open(FLAGS + "/x-wrote", "w").close()
    end = time.monotonic() + 60
    while not os.path.exists(FLAGS + "/y-read") and time.monotonic() < end:
        time.sleep(0.02)
    return _helper.FACTOR
'''
READER = '''
import glob, os, time

def synthesis():
    end = time.monotonic() + 60
    while not os.path.exists(FLAGS + "/x-wrote") and time.monotonic() < end:
        time.sleep(0.02)
    try:
        import _helper  # inside the phase: from this job's source/, as the writer left it
    finally:
        open(FLAGS + "/y-read", "w").close()
    # ends after the writer has ended and its parent has looked at it (published or kept)
    work = os.path.join(os.path.dirname(FLAGS), "workdirs", "dev")
    while time.monotonic() < end and not (
            glob.glob(work + "/writer-*/post.json") or glob.glob(work + "/.failed/writer-*")):
        time.sleep(0.02)
    time.sleep(0.2)
    return _helper.FACTOR * 2
'''


def test_a_job_reading_a_helper_another_job_wrote_through_is_not_published(
        project: Project) -> None:
    flags = project.root / "flags"
    flags.mkdir()
    project.method("_helper", HELPER)
    project.method("writer", f"FLAGS = {str(flags)!r}\n" + WRITER)
    project.method("reader", f"FLAGS = {str(flags)!r}\n" + READER)
    project.script("import os\n\ndef main(urd):\n    urd.build('reader')\n"
                   "    if os.path.exists('bad'):\n        urd.build('writer')\n")
    project.write("bad", "")
    report = project.run_json("-j", "2", check=None)
    by_method = {j["method"]: j for j in report["jobs"]}
    # the two ran at once, the write before the read
    assert (flags / "x-wrote").exists() and (flags / "y-read").exists()
    reader = by_method["reader"]
    # (the writer fails, unless the reader ended first: then the reader's end gave the file
    # its bytes back, and the writer's result came from what it imported before writing)
    if reader["state"] == "built":
        result = json.loads(project.acbuild("show", reader["id"], "--json").stdout)
        assert result.get("result") == 6, result
    (project.root / "bad").unlink()
    again = project.run_json()
    (job,) = again["jobs"]
    shown = json.loads(project.acbuild("show", job["id"], "--json").stdout)
    assert shown.get("result") == 6, shown
