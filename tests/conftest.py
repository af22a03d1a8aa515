"""Shared test helpers: temporary projects and the real ``acbuild`` command in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


class Project:
    """A temporary acbuild project: write files, run acbuild, look at what it left."""

    def __init__(self, root: Path):
        self.root = root
        self.write("acbuild.toml", 'methods = ["methods"]\nslices = 2\n')

    def write(self, relpath: str, text: str) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    def method(self, name: str, text: str) -> Path:
        return self.write(f"methods/{name}.py", text)

    def script(self, text: str, name: str = "build.py") -> Path:
        return self.write(name, text)

    @property
    def workdir(self) -> Path:
        return self.root / "workdirs" / "dev"

    def acbuild(self, *args: str, check: int | None = 0, timeout: float = 120,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC),
                    "COLUMNS": "200", **(env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "acbuild", *args], cwd=self.root, env=full_env,
            capture_output=True, text=True, timeout=timeout,
        )
        if check is not None and proc.returncode != check:
            raise AssertionError(
                f"acbuild {' '.join(args)} exited {proc.returncode}, expected {check}\n"
                f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
        return proc

    def run_json(self, *args: str, check: int | None = 0) -> dict[str, Any]:
        proc = self.acbuild("run", "--json", *args, check=check)
        return json.loads(proc.stdout)

    def status_json(self, *args: str) -> dict[str, Any]:
        return json.loads(self.acbuild("status", "--json", *args).stdout)

    def job_dirs(self) -> list[str]:
        if not self.workdir.exists():
            return []
        return sorted(p.name for p in self.workdir.iterdir()
                      if p.is_dir() and not p.name.startswith("."))


def states(report: dict[str, Any]) -> dict[str, str]:
    """method or label -> state, from a run/status JSON report (methods used once)."""
    return {job["method"]: job["state"] for job in report["jobs"]}


def built(report: dict[str, Any]) -> list[str]:
    return sorted(j["method"] for j in report["jobs"] if j["state"] == "built")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "proj")


# -- what a work directory holds, read from disk and database (for the reliability tests) -----
def db_rows(workdir: Path) -> dict[str, str]:
    """job id -> hash, for every row of the work directory's job index."""
    import sqlite3

    if not (workdir / "acbuild.db").exists():
        return {}
    conn = sqlite3.connect(workdir / "acbuild.db")
    try:
        return {job_id: h for h, job_id in conn.execute("SELECT hash, id FROM jobs")}
    finally:
        conn.close()


def finished_dirs(workdir: Path) -> set[str]:
    """The published job directories whose post.json says finished."""
    found = set()
    for path in workdir.iterdir() if workdir.exists() else []:
        if path.is_dir() and not path.name.startswith("."):
            try:
                if json.loads((path / "post.json").read_text())["status"] == "ok":
                    found.add(path.name)
            except (OSError, ValueError, KeyError):
                pass
    return found


def assert_sound(workdir: Path) -> None:
    """A job is finished and recorded, or invisible: every row has its finished directory,
    and every directory in the namespace is a finished job (a crash may leave one unrecorded).
    """
    rows = db_rows(workdir)
    finished = finished_dirs(workdir)
    published = {p.name for p in workdir.iterdir()
                 if p.is_dir() and not p.name.startswith(".")} if workdir.exists() else set()
    assert set(rows) <= finished, f"rows without a finished directory: {set(rows) - finished}"
    assert published == finished, f"unfinished directories: {published - finished}"


def staging_leftovers(workdir: Path) -> list[str]:
    tmp = workdir / ".tmp"
    return sorted(p.name for p in tmp.iterdir() if p.is_dir()) if tmp.exists() else []


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (Linux /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stop(process: subprocess.Popen[Any], timeout: float) -> None:
    """End a server or worker a test started: SIGTERM, then SIGKILL after ``timeout``."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    """Wait for ``pids`` to end; the ones still alive after ``timeout``."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = {p for p in pids if alive(p)}
        if not left:
            return set()
        time.sleep(0.02)
    return {p for p in pids if alive(p)}


# Methods whose every run appends its job id to <project>/built.log: a count of builds kept
# outside the job directories, which no crash of acbuild can roll back.
SIDE_EFFECT_METHODS = {
    "_ledger": '''
        import os

        LEDGER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "built.log")

        def note(job):
            with open(LEDGER, "a") as f:
                f.write(job.id + "\\n")
    ''',
    "work": '''
        import time

        import _ledger

        options = {"tag": "", "nap": 0.0}
        jobs = ("a", "b")

        def synthesis(job, options, jobs):
            time.sleep(options.nap)
            with job.open("out.txt", "w") as f:
                f.write(options.tag)
            _ledger.note(job)
            return 1 + sum(j.load() for j in (jobs.a, jobs.b) if j is not None)
    ''',
    "sliced": '''
        import time

        import _ledger

        options = {"tag": "", "nap": 0.0}
        jobs = ("src",)

        def analysis(sliceno, options):
            time.sleep(options.nap)
            return sliceno

        def synthesis(job, analysis_res, jobs):
            _ledger.note(job)
            return sum(analysis_res) + jobs.src.load()
    ''',
}


def side_effect_project(project: Project) -> Project:
    for name, text in SIDE_EFFECT_METHODS.items():
        project.method(name, text)
    return project


def ledger(project: Project) -> list[str]:
    path = project.root / "built.log"
    return path.read_text().split() if path.exists() else []


@pytest.fixture
def small_disk(project: Project) -> Iterator[Path]:
    """The project's work directory on a 1 MiB tmpfs (root, and a kernel that allows it)."""
    project.workdir.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs",
                              str(project.workdir)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root and a kernel that allows "
                    f"it): {mounted.stderr.decode().strip()}")
    try:
        yield project.workdir
    finally:
        subprocess.run(["umount", "-l", str(project.workdir)], check=False)
