"""Rows of built jobs are written in batches (issue 12, item 5): a run killed in the moment
between publishing a job and writing its row leaves a finished directory without its row,
and the next run records it and reuses it — the directory is the truth."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from acbuild.db import JobRow
from acbuild.jobrecords import SETUP_FILE
from acbuild.store import JobStore
from conftest import SRC, Project, assert_sound, db_rows, finished_dirs

KILLER = '''
import os, signal
jobs = ("first",)

def synthesis():
    # The engine started this job right after publishing "first", whose row then waits
    # for its batch: the run dies in that moment.
    pid_file = os.path.join(os.environ.get("PERF_TEST_DIR", "/nonexistent"), "run.pid")
    if os.path.exists(pid_file):
        os.kill(int(open(pid_file).read()), signal.SIGKILL)
        time.sleep(30)
    return 2
'''.replace("import os, signal", "import os, signal, time")


def test_a_run_killed_before_the_batch_is_written_is_repaired_by_the_next(
        project: Project) -> None:
    project.method("first", "def synthesis():\n    return 1\n")
    project.method("second", KILLER)
    project.script('def main(urd):\n    urd.build("second", first=urd.build("first"))\n')
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC),
           "PERF_TEST_DIR": str(project.root)}
    proc = subprocess.Popen([sys.executable, "-m", "acbuild", "run", "-j1"], cwd=project.root,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    (project.root / "run.pid").write_text(str(proc.pid))
    try:
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    (first,) = [d for d in finished_dirs(project.workdir) if d.startswith("first-")]
    assert_sound(project.workdir)  # no row without its directory, whatever was written
    (project.root / "run.pid").unlink()
    report = project.run_json()
    states = {j["method"]: (j["id"], j["state"]) for j in report["jobs"]}
    assert states["first"] == (first, "reused")  # not built again: its directory counts
    assert states["second"][1] == "built"
    assert first in db_rows(project.workdir)
    assert_sound(project.workdir)


def test_a_deferred_row_is_a_finished_directory_without_its_row_until_the_batch(
        project: Project, tmp_path: Path) -> None:
    project.method("first", "def synthesis():\n    return 1\n")
    project.script('def main(urd):\n    urd.build("first")\n')
    (job,) = [j for j in project.run_json()["jobs"]]
    row = db_rows(project.workdir)
    import sqlite3

    conn = sqlite3.connect(project.workdir / "acbuild.db")
    full = JobRow(*conn.execute("SELECT * FROM jobs").fetchone())
    with conn:
        conn.execute("DELETE FROM jobs")  # as the store leaves it until its batch is written
    conn.close()
    assert db_rows(project.workdir) == {} and job["id"] in row
    writer, reader = JobStore(project.workdir), JobStore(project.workdir)
    try:
        writer.record(full._replace(post_size=None, post_mtime_ns=None), defer=True)
        assert db_rows(project.workdir) == {}  # deferred: not written yet
        assert reader.find([full.hash]) == {}  # another run does not see it by its row...
        found = reader.recheck(full.hash, full.id).found  # ...but finds it under the lock
        assert found is not None and found.id == full.id
        assert db_rows(project.workdir) == row  # and records it
        writer.flush()  # the batch, later: the same row again
        assert db_rows(project.workdir) == row
        assert (project.workdir / full.id / SETUP_FILE).is_file()
    finally:
        writer.close()
        reader.close()
