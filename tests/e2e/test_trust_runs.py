"""Issue 11, items 7 and 8: a run stopped by a signal is recorded as such, a run whose
process died says so, and a full disk is a full disk — never a damaged database.

SIGTERM (`kill`) and SIGHUP (a closed terminal) stop `acbuild run` as Ctrl-C does: the
running job is stopped and its directory, with its log, kept in `.failed/`; every
finished job is kept and reused; the run is recorded `interrupted`; the exit status is
the shell's (143, 129). A SIGKILLed run shows as `died`. On a full disk every command
says the disk is full (exit 2, one message), and `doctor` never moves the database aside.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import SRC, Project, assert_sound, db_rows, finished_dirs, wait_gone

WAIT = 60.0  # the most a blocked job waits for its gate, or a test for a job to start

QUICK = '''
options = {"tag": ""}

def synthesis(options):
    return options.tag
'''

# A job that says it started (its pid, in <gate>/started) and blocks until <gate>/open
# exists: a test stops the run while it is surely running, without timing guesses.
BLOCK = '''
import os
import time

GATE = {gate!r}
jobs = ("src",)

def synthesis(jobs):
    print("block is waiting for its gate", flush=True)
    with open(os.path.join(GATE, "started"), "w") as f:
        f.write(str(os.getpid()))
    deadline = time.monotonic() + {wait}
    while not os.path.exists(os.path.join(GATE, "open")):
        if time.monotonic() > deadline:
            raise TimeoutError("the gate never opened")
        time.sleep(0.02)
    return jobs.src.load() + "!"
'''

SCRIPT = '''
def main(urd):
    first = urd.build("quick", tag="first")
    urd.build("block", src=first)
'''


@pytest.fixture
def gated(project: Project) -> Project:
    gate = project.root / "gate"
    gate.mkdir(parents=True)
    project.method("quick", QUICK)
    project.method("block", BLOCK.format(gate=str(gate), wait=WAIT))
    project.script(SCRIPT)
    return project


def start_run(project: Project, preexec: Callable[[], None] | None = None
              ) -> subprocess.Popen[str]:
    """`acbuild run` in a session of its own, as a terminal starts a command."""
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC)}
    return subprocess.Popen([sys.executable, "-m", "acbuild", "run"], cwd=project.root,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=preexec)


def wait_blocked(project: Project, proc: subprocess.Popen[str]) -> int:
    """The pid of the blocked job, once it runs."""
    started = project.root / "gate" / "started"
    deadline = time.monotonic() + WAIT
    while not (started.exists() and started.read_text()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the blocking job never started"
        time.sleep(0.02)
    return int(started.read_text())


def runs(project: Project) -> list[dict[str, object]]:
    """`acbuild log --json`: the runs, newest first."""
    return json.loads(project.acbuild("log", "--json").stdout)["runs"]


@pytest.mark.parametrize(("signum", "status", "to_group"), [
    (signal.SIGTERM, 143, False),  # `kill PID`
    (signal.SIGHUP, 129, True),  # a terminal closing: the whole foreground group
], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_stops_the_run_as_ctrl_c_does(gated: Project, signum: int, status: int,
                                               to_group: bool) -> None:
    project = gated
    proc = start_run(project)
    job_pid = wait_blocked(project, proc)
    live = runs(project)[0]
    assert live["status"] == "running" and live["pid"] == proc.pid  # alive is not died
    (os.killpg if to_group else os.kill)(proc.pid, signum)
    out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == status, err
    assert "Traceback" not in err and "interrupted" in out
    assert wait_gone({job_pid}) == set()  # the stopped job does not live on
    # Every finished job kept; the stopped one invisible, its directory and log kept.
    assert_sound(project.workdir)
    finished = finished_dirs(project.workdir)
    assert [j.split("-")[0] for j in finished] == ["quick"] and set(db_rows(
        project.workdir)) == finished
    kept = json.loads(project.acbuild("show", "block", "--json").stdout)
    assert kept["state"] == "failed" and "/.failed/" in kept["path"]
    assert "block is waiting for its gate" in project.acbuild("show", "block", "--log").stdout
    recorded = runs(project)[0]
    assert recorded["status"] == "interrupted" and recorded["built"] == 1
    # The next run reuses what was finished and builds what was stopped.
    (project.root / "gate" / "open").touch()
    report = project.run_json()
    assert {j["method"]: j["state"] for j in report["jobs"]} == {"quick": "reused",
                                                                 "block": "built"}
    assert [r["status"] for r in runs(project)] == ["ok", "interrupted"]


def test_a_run_that_ignores_sighup_goes_on(gated: Project) -> None:
    """`nohup acbuild run`: SIGHUP is ignored, so closing the terminal stops nothing."""
    project = gated
    proc = start_run(project, lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    wait_blocked(project, proc)
    os.killpg(proc.pid, signal.SIGHUP)
    (project.root / "gate" / "open").touch()
    out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0, err
    assert [r["status"] for r in runs(project)] == ["ok"]
    assert len(finished_dirs(project.workdir)) == 2


def test_a_killed_run_shows_as_died(gated: Project) -> None:
    project = gated
    proc = start_run(project)
    job_pid = wait_blocked(project, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # acbuild and its launcher, as a crash would
    proc.communicate(timeout=WAIT)
    assert wait_gone({job_pid}) == set()
    dead = runs(project)[0]
    assert dead["status"] == "died" and dead["pid"] == proc.pid and dead["ended"] is None
    assert "died" in project.acbuild("log").stdout
    assert json.loads(project.acbuild("log", "last", "--json").stdout)["status"] == "died"
    # A new run works, and the dead one stays dead beside it.
    (project.root / "gate" / "open").touch()
    report = project.run_json()
    assert sorted(j["state"] for j in report["jobs"]) == ["built", "reused"]
    assert [r["status"] for r in runs(project)] == ["ok", "died"]


# -- a full disk ------------------------------------------------------------------------------
GOOD = 'options = {"count": 1}\n\ndef synthesis(options):\n    return options.count\n'


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte; the filler file, to remove."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        for size in (1 << 16, 1 << 12, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as e:
                assert e.errno == errno.ENOSPC
    assert os.statvfs(disk).f_bavail == 0
    return filler


def built_twice(project: Project) -> None:
    """Two runs of history and one finished job."""
    project.method("good", GOOD)
    project.script('def main(urd):\n    urd.build("good")\n')
    project.acbuild("run")
    project.acbuild("run")


def says_disk_full(proc: subprocess.CompletedProcess[str], disk: Path) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("error:") == 1
    assert f"{disk}: the disk of the work directory is full" in proc.stderr
    assert "damaged" not in proc.stdout + proc.stderr
    assert "PROBLEM" not in proc.stdout


def intact_after_freeing(project: Project, filler: Path, runs_before: int) -> None:
    """Nothing was lost: the database is the one it was, with every run; the job reused."""
    filler.unlink()
    assert not [p.name for p in project.workdir.iterdir() if ".broken" in p.name]
    assert len(runs(project)) == runs_before
    assert json.loads(project.acbuild("doctor", "--json").stdout)["problems"] == 0
    assert project.run_json()["counts"] == {"built": 0, "reused": 1, "failed": 0,
                                            "skipped": 0}


COMMANDS = [("run",), ("status",), ("log",), ("gc",), ("doctor",), ("doctor", "--fix"),
            ("doctor", "--rebuild"), ("jobs",), ("show", "good"), ("verify",)]


@pytest.mark.parametrize("held_open", [False, True], ids=["closed", "held-open"])
def test_every_command_on_a_full_disk_says_the_disk_is_full(project: Project,
                                                            small_disk: Path,
                                                            held_open: bool) -> None:
    """``closed``: SQLite cannot even make its -shm file (an I/O error). ``held-open``:
    another process has the database open, so it opens, and a write finds the disk full
    (SQLITE_FULL)."""
    built_twice(project)
    holder = sqlite3.connect(project.workdir / "acbuild.db") if held_open else None
    if holder is not None:
        holder.execute("SELECT count(*) FROM runs").fetchone()
    filler = fill(small_disk)
    try:
        for args in COMMANDS:
            proc = project.acbuild(*args, check=None)
            if held_open and proc.returncode == 0:
                # The database opens, and this command had nothing to write: it works.
                assert args[0] != "run" and args[-1] != "--rebuild", proc
                assert "Traceback" not in proc.stderr and "PROBLEM" not in proc.stdout
            else:
                says_disk_full(proc, small_disk)
    finally:
        if holder is not None:
            holder.close()
    intact_after_freeing(project, filler, runs_before=2)


def test_doctor_on_a_full_disk_keeps_a_healthy_database_and_its_history(
        project: Project, small_disk: Path) -> None:
    built_twice(project)
    database = (project.workdir / "acbuild.db").read_bytes()
    filler = fill(small_disk)
    says_disk_full(project.acbuild("doctor", check=None), small_disk)
    says_disk_full(project.acbuild("doctor", "--rebuild", check=None), small_disk)
    assert (project.workdir / "acbuild.db").read_bytes() == database
    intact_after_freeing(project, filler, runs_before=2)
