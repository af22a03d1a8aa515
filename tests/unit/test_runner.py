"""The parent's side of the launcher (acbuild.runner), with real processes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from pathlib import Path

import pytest

import acbuild
from acbuild.runner import Exited, Launcher

# The launcher must import the same acbuild as these tests.
ENV = {**os.environ, "PYTHONPATH": str(Path(acbuild.__file__).resolve().parents[1])}


def make_job(root: Path, name: str, source: str, slices: int = 1) -> Path:
    """A method file and a job dir with its setup.json."""
    (root / "methods").mkdir(parents=True, exist_ok=True)
    method_file = root / "methods" / "m.py"
    if not method_file.exists():
        method_file.write_text(source)
    job_dir = root / "jobs" / name
    (job_dir / "source" / "methods").mkdir(parents=True)
    # The job runs its source/ snapshot of the method, as staging writes it.
    source = method_file.read_bytes()
    (job_dir / "source" / "methods" / "m.py").write_bytes(source)
    setup = {"format": 1, "id": name, "method": "m", "method_file": str(method_file),
             "project_root": str(root), "sys_path": [], "options": {}, "inputs": {},
             "slices": slices, "code": {"hash": hashlib.sha256(source).hexdigest(),
                                        "sources": ["methods/m.py"]}}
    (job_dir / "setup.json").write_text(json.dumps(setup))
    return job_dir


def wait_for(launcher: Launcher, count: int, timeout: float = 30) -> list[Exited]:
    exited: list[Exited] = []
    deadline = time.monotonic() + timeout
    while len(exited) < count and time.monotonic() < deadline:
        exited += launcher.wait(deadline - time.monotonic())
    return exited


def gone(pid: int) -> bool:
    """No such process, or only a zombie that our container's init has not reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_for_file(path: Path, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().endswith("\n"):
            return path.read_text()
        time.sleep(0.01)
    raise AssertionError(f"{path} never appeared")


SLEEPER = """
import os, time
def analysis(sliceno, job):
    with open(os.path.join(job.path, "..", f"{job.id}.pid{sliceno}"), "w") as f:
        f.write(f"{os.getppid()} {os.getpid()}\\n")
    time.sleep(120)
"""


def test_wait_times_out_while_a_job_runs_and_kill_ends_it(tmp_path):
    job_dir = make_job(tmp_path, "sleeper", SLEEPER, slices=2)
    with Launcher(ENV) as launcher:
        launcher.start(7, job_dir, 2)
        assert launcher.running == {7}
        began = time.monotonic()
        assert launcher.wait(0.2) == []
        assert 0.15 < time.monotonic() - began < 5
        pids = [int(p) for i in range(2)
                for p in wait_for_file(tmp_path / "jobs" / f"sleeper.pid{i}").split()]
        launcher.kill(7)
        (exited,) = wait_for(launcher, 1, timeout=10)
        assert (exited.token, exited.status) == (7, -signal.SIGKILL)
        assert launcher.running == set()
        # The job and both its slices: killed with its group, and a SIGKILL lands when the
        # kernel gets to it, so the slices may take a moment after the job is reaped.
        deadline = time.monotonic() + 5
        while not all(gone(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert all(gone(pid) for pid in pids)
        launcher.kill(7)  # no longer running: nothing happens


def test_close_with_a_running_job_leaves_no_process(tmp_path):
    job_dir = make_job(tmp_path, "sleeper", SLEEPER, slices=2)
    launcher = Launcher(ENV)
    launcher.start(1, job_dir, 2)
    pids = [int(p) for i in range(2)
            for p in wait_for_file(tmp_path / "jobs" / f"sleeper.pid{i}").split()]
    launcher_pid = launcher._proc.pid
    began = time.monotonic()
    launcher.close()
    assert time.monotonic() - began < 5
    assert launcher.running == set()
    deadline = time.monotonic() + 5
    while not all(gone(pid) for pid in [*pids, launcher_pid]) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(gone(pid) for pid in [*pids, launcher_pid])
    launcher.close()  # twice is fine
    with pytest.raises(RuntimeError, match="closed"):
        launcher.start(2, job_dir, 1)


def test_parallel_jobs_are_each_reported_once(tmp_path):
    source = "import time\ndef prepare(job):\n    time.sleep(0.05)\n    return job.id\n"
    dirs = [make_job(tmp_path, f"j{i}", source) for i in range(8)]
    with Launcher(ENV) as launcher:
        for token, job_dir in enumerate(dirs):
            launcher.start(token, job_dir, 1)
        assert launcher.running == set(range(8))
        exited = wait_for(launcher, 8)
        assert sorted(e.token for e in exited) == list(range(8))
        assert all(e.status == 0 and e.wall > 0 for e in exited)
        assert launcher.running == set()
        launcher.start(100, make_job(tmp_path, "again", source), 1)
        with pytest.raises(ValueError, match="already running"):
            launcher.start(100, dirs[0], 1)


def test_a_failed_job_exits_with_status_1(tmp_path):
    job_dir = make_job(tmp_path, "bad", "def prepare():\n    raise KeyError('x')\n")
    with Launcher(ENV) as launcher:
        launcher.start(3, job_dir, 1)
        (exited,) = wait_for(launcher, 1)
    assert exited.status == 1
    assert json.loads((job_dir / "post.json").read_text())["error"]["type"] == "KeyError"


def test_the_launcher_dying_is_a_clear_error(tmp_path):
    killer = "import os, signal\ndef prepare():\n    os.kill(os.getppid(), signal.SIGKILL)\n"
    job_dir = make_job(tmp_path, "killer", killer)
    with Launcher(ENV) as launcher:
        launcher.start(1, job_dir, 1)
        with pytest.raises(RuntimeError, match="job launcher .* exited with status -9"):
            wait_for(launcher, 1)


def test_many_trivial_jobs(tmp_path, capsys):
    """Launch overhead per job: printed, not asserted (machines differ)."""
    count = 300
    dirs = [make_job(tmp_path, f"t{i}", "def prepare():\n    return 1\n") for i in range(count)]
    with Launcher(ENV) as launcher:
        launcher.start(-1, make_job(tmp_path, "warmup", ""), 1)  # the method's import
        wait_for(launcher, 1)
        began = time.perf_counter()
        for token, job_dir in enumerate(dirs[: count // 2]):
            launcher.start(token, job_dir, 1)
            (exited,) = wait_for(launcher, 1)
            assert exited.status == 0
        sequential = (time.perf_counter() - began) / (count // 2)
        began = time.perf_counter()
        for token, job_dir in enumerate(dirs[count // 2:], start=count):
            launcher.start(token, job_dir, 1)
        assert all(e.status == 0 for e in wait_for(launcher, count - count // 2))
        batch = (time.perf_counter() - began) / (count - count // 2)
    assert all((d / "result.pickle").exists() for d in dirs)
    with capsys.disabled():
        print(f"\n  launch overhead per trivial job: {sequential * 1000:.2f} ms one at a time,"
              f" {batch * 1000:.2f} ms when {count - count // 2} are queued at once")


def test_a_job_that_exits_on_its_own_is_reported_from_its_exit(tmp_path):
    """os._exit skips the job's "done": the launcher learns of the end from the process."""
    job_dir = make_job(tmp_path, "quitter", "import os\ndef prepare():\n    os._exit(5)\n")
    with Launcher(ENV) as launcher:
        launcher.start(1, job_dir, 1)
        (exited,) = wait_for(launcher, 1)
    assert exited.status == 5
    assert not (job_dir / "post.json").exists()


def test_a_token_is_free_again_as_soon_as_its_job_is_reported(tmp_path):
    source = "def prepare(job):\n    return job.id\n"
    with Launcher(ENV) as launcher:
        for i in range(20):  # each reported on its "done", often before its process is reaped
            launcher.start(1, make_job(tmp_path, f"again{i}", source), 1)
            (exited,) = wait_for(launcher, 1)
            assert (exited.token, exited.status) == (1, 0)
            assert exited.cpu > 0 and exited.maxrss_kib > 0
