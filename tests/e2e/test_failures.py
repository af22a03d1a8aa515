"""Failing jobs: how they fail, what is kept, what is said, and what runs on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import (
    SRC,
    Project,
    assert_sound,
    descendants,
    finished_dirs,
    ledger,
    side_effect_project,
    wait_gone,
)

# How a job's synthesis (or a slice) ends, and what the run must say about it.
ENDINGS = {
    "raises": ('raise ValueError("bad row 7")', "ValueError: bad row 7"),
    "sys.exit": ("sys.exit(3)", "SystemExit: 3"),
    "os._exit": ("os._exit(5)", "exited with status 5 without finishing"),
    "SIGKILL": ("os.kill(os.getpid(), signal.SIGKILL)", "killed by SIGKILL"),
}


def failing_method(project: Project, body: str) -> None:
    project.method("bad", "import os, signal, sys\n\n"
                          f"def synthesis():\n    print('about to fail')\n    {body}\n")
    project.script('def main(urd):\n    urd.build("bad")\n')


def failed_dir(project: Project) -> Path:
    kept = list((project.workdir / ".failed").iterdir())
    assert len(kept) == 1
    return kept[0]


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_a_failing_job_says_what_where_and_keeps_its_directory(project: Project,
                                                               ending: str) -> None:
    body, message = ENDINGS[ending]
    failing_method(project, body)
    proc = project.acbuild("run", check=1)
    assert message in proc.stderr
    assert "FAILED  bad-" in proc.stderr and " in synthesis: " in proc.stderr
    kept = failed_dir(project)
    assert f"kept in {kept}" in proc.stderr and f"acbuild show {kept}" in proc.stderr
    assert "about to fail" in (kept / "stdout.log").read_text()
    assert project.job_dirs() == [] and (project.workdir / ".tmp").exists()
    if ending in ("raises", "sys.exit"):
        assert "Traceback" in (kept / "stderr.log").read_text()
        assert "Traceback" in proc.stderr  # the job's, printed as the failure's story
    shown = json.loads(project.acbuild("show", kept.name.split(".")[0], "--json").stdout)
    assert shown["state"] == "failed" and shown["path"] == str(kept)


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_a_dying_slice_fails_its_job_and_its_siblings_are_stopped(project: Project,
                                                                  ending: str) -> None:
    body, message = ENDINGS[ending]
    project.method("bad", f'''
        import os, signal, sys, time

        def analysis(sliceno, job):
            # written whole, then renamed: slice 1 must never see an empty pid file
            pid_file = os.path.join({str(project.root)!r}, f"slice{{sliceno}}.pid")
            with open(pid_file + ".tmp", "w") as f:
                f.write(str(os.getpid()))
            os.replace(pid_file + ".tmp", pid_file)
            if sliceno == 1:
                while not os.path.exists(os.path.join({str(project.root)!r}, "slice0.pid")):
                    time.sleep(0.01)
                {body}
            time.sleep(60)

        def synthesis():
            pass
    ''')
    project.script('def main(urd):\n    urd.build("bad")\n')
    proc = project.acbuild("run", "-j", "2", check=1, timeout=30)
    assert " in analysis slice 1: " in proc.stderr
    assert message.split(" without")[0].replace("exited", "") in proc.stderr
    sibling = int((project.root / "slice0.pid").read_text())
    assert wait_gone({sibling}) == set()
    assert "analysis slice 1" in project.acbuild("show", "--log", str(failed_dir(project))).stdout


def test_keep_going_builds_all_that_does_not_depend_on_the_failure(project: Project) -> None:
    side_effect_project(project)
    project.method("bad", 'jobs = ("a",)\n\ndef synthesis():\n    raise RuntimeError("no")\n')
    project.script('''
        def main(urd):
            a = urd.build("work", tag="a")
            bad = urd.build("bad", a=a)
            urd.build("work", tag="after", a=bad)
            urd.build("work", tag="later", a=urd.build("work", tag="after-after", a=bad))
            b = urd.build("work", tag="b", a=a)
            urd.build("work", tag="c", a=b)
    ''')
    report = project.run_json("--keep-going", check=1)
    states = {j["id"]: j["state"] for j in report["jobs"]}
    assert report["counts"] == {"built": 3, "reused": 0, "failed": 1, "skipped": 3}
    assert sorted(ledger(project)) == sorted(i for i, s in states.items() if s == "built")
    skipped = [j for j in report["jobs"] if j["state"] == "skipped"]
    assert all("failed" in j["reason"] for j in skipped)
    assert_sound(project.workdir)


def test_without_keep_going_running_jobs_finish_and_nothing_new_starts(project: Project) -> None:
    """As ninja does: a failure starts nothing new, and the jobs already running are waited
    for and kept (their work is done; stopping them would only lose it)."""
    side_effect_project(project)
    project.method("bad", "def synthesis():\n    raise RuntimeError('no')\n")
    # It ends only after the failure was handled (the failed job is in .failed/): it is
    # running when the other fails, however slow the machine is.
    project.method("patient", f'''
        import os
        import time

        import _ledger

        def synthesis(job):
            failed = {str(project.workdir / ".failed")!r}
            deadline = time.monotonic() + 60
            while not os.listdir(failed) and time.monotonic() < deadline:
                time.sleep(0.01)
            _ledger.note(job)
    ''')
    project.script('''
        def main(urd):
            urd.build("bad")
            urd.build("patient")
            urd.build("work", tag="queued")
    ''')
    report = project.run_json("-j", "2", check=1)
    states = {j["method"] + ":" + j["id"]: j["state"] for j in report["jobs"]}
    assert sorted(states.values()) == ["built", "failed", "skipped"]
    assert [k.split(":")[0] for k, v in states.items() if v == "built"] == ["patient"]
    assert len(ledger(project)) == 1  # the running one finished; the queued one never ran
    skipped = next(j for j in report["jobs"] if j["state"] == "skipped")
    assert skipped["reason"] == "the run stopped after a failure"


def test_a_killed_launcher_fails_its_jobs_and_leaves_no_process(project: Project) -> None:
    side_effect_project(project)
    project.method("slow", '''
        import os, time

        def synthesis():
            open(os.path.join(os.path.dirname(__file__), "..", "started"), "w").close()
            time.sleep(60)
    ''')
    project.script('def main(urd):\n    urd.build("work", tag="quick")\n'
                   '    urd.build("slow")\n')
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen([sys.executable, "-m", "acbuild", "run", "-j", "1"],
                            cwd=project.root, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not (project.root / "started").exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    below = descendants(proc.pid)
    # acbuild's own child; the jobs forked from it carry the same command line.
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    launcher = next(int(p) for p in children
                    if b"acbuild.child" in Path(f"/proc/{p}/cmdline").read_bytes())
    os.kill(launcher, signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    assert "the job launcher died while the job ran" in err and "in synthesis" in err
    assert "Traceback" not in err
    assert wait_gone(below) == set()  # its job died with it
    assert_sound(project.workdir)
    assert {d.split("-")[0] for d in finished_dirs(project.workdir)} == {"work"}
    project.method("slow", "def synthesis():\n    return 1\n")
    assert project.run_json()["counts"] == {"built": 1, "reused": 1, "failed": 0, "skipped": 0}
