"""Several work directories: a shared source is reused and never written; a project moves.

Tests here run as root in CI containers, where ``chmod a-w`` stops nothing: so
besides making a source read-only, every test that reuses one compares a
snapshot of it (names, sizes, mtimes, ctimes) before and after.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import SRC, Project, built, states

NOBODY = 65534

CHAIN = """
def main(urd):
    raw = urd.build("ingest", src=urd.file("data/raw.txt"))
    doubled = urd.build("double", pred=raw, factor=2)
    urd.build("total", pred=doubled)
"""


def pipeline(project: Project, target: str = "workdirs/dev", sources: tuple[str, ...] = ()
             ) -> Project:
    listed = ", ".join(json.dumps(s) for s in sources)
    project.write("acbuild.toml", f"""
        methods = ["methods"]
        slices = 2
        [workdirs]
        target = {json.dumps(target)}
        sources = [{listed}]
    """)
    project.write("data/raw.txt", "1 2 3 4\n")
    project.method("_parse", '''
        def numbers(text):
            return [int(x) for x in text.split()]
    ''')
    project.method("ingest", '''
        from _parse import numbers
        options = {"src": ""}

        def synthesis(options):
            return numbers(open(options.src).read())
    ''')
    project.method("double", '''
        options = {"factor": 2}
        jobs = ("pred",)

        def synthesis(options, jobs):
            return [x * options.factor for x in jobs.pred.load()]
    ''')
    project.method("total", '''
        jobs = ("pred",)

        def synthesis(job, jobs):
            with job.open("total.txt", "w") as f:
                f.write(str(sum(jobs.pred.load())))
            return sum(jobs.pred.load())
    ''')
    project.script(CHAIN)
    return project


def snapshot(root: Path) -> dict[str, tuple[int, int, int, int]]:
    """Everything that changes when anything is written: names, modes, sizes, mtimes, ctimes."""
    found = {}
    for path in [root, *sorted(root.rglob("*"))]:
        st = path.lstat()
        found[str(path.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns,
                                              st.st_ctime_ns)
    return found


@contextmanager
def read_only(root: Path) -> Iterator[None]:
    subprocess.run(["chmod", "-R", "a-w", str(root)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(root)], check=True)


def shared_and_second(tmp_path: Path) -> tuple[Project, Project, Path]:
    """Checkout one builds into a shared work directory; checkout two reads it as a source."""
    shared = tmp_path / "shared"
    first = pipeline(Project(tmp_path / "one"), target=str(shared))
    assert built(first.run_json()) == ["double", "ingest", "total"]
    second = pipeline(Project(tmp_path / "two"), sources=(str(shared),))
    return first, second, shared


def test_second_checkout_reuses_a_read_only_shared_workdir_and_writes_nothing(
        tmp_path: Path) -> None:
    _, second, shared = shared_and_second(tmp_path)
    with read_only(shared):
        before = snapshot(shared)
        report = second.run_json()
        assert report["counts"] == {"built": 0, "reused": 3, "failed": 0, "skipped": 0}
        assert all(Path(j["path"]).parent == shared for j in report["jobs"])
        status = second.status_json()
        assert {j["workdir"] for j in status["jobs"]} == {str(shared)}
        assert str(shared) in second.acbuild("status").stdout.replace("\n", "")
        shown = json.loads(second.acbuild("show", "total", "--json").stdout)
        assert (shown["workdir"], shown["workdir_role"]) == (str(shared), "source, read-only")
        second.acbuild("jobs")
        second.acbuild("du")
        # A change builds into the second checkout's own target, reusing the rest.
        second.script(CHAIN.replace("factor=2", "factor=3"))
        assert built(second.run_json()) == ["double", "total"]
        assert snapshot(shared) == before
    assert len(second.job_dirs()) == 2


def test_another_users_process_reuses_a_directory_it_cannot_write(tmp_path: Path) -> None:
    """The real thing: a non-root process, a source it may only read, no -wal/-shm made."""
    python = _python_for_nobody()
    base = Path(tempfile.mkdtemp(prefix="acbuild-nobody-"))
    try:
        os.chmod(base, 0o755)
        _, second, shared = shared_and_second(base)
        shutil.rmtree(second.workdir, ignore_errors=True)
        subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(second.root)], check=True)
        before = snapshot(shared)
        proc = _as_nobody(python, second.root, "run", "--json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["counts"]["reused"] == 3
        assert snapshot(shared) == before
        assert not (shared / "acbuild.db-wal").exists()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_shared_workdir_being_written_is_read_through_its_log(tmp_path: Path) -> None:
    """A writer holding the shared database open leaves rows in its -wal: they are seen."""
    _, second, shared = shared_and_second(tmp_path)
    writer = sqlite3.connect(shared / "acbuild.db", isolation_level=None)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        rows = writer.execute("SELECT * FROM jobs").fetchall()
        writer.execute("DELETE FROM jobs")
        writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file itself has no jobs now,
        marks = ", ".join("?" * len(rows[0]))
        writer.executemany(f"INSERT INTO jobs VALUES ({marks})", rows)  # only the log
        assert (shared / "acbuild.db-wal").stat().st_size > 0
        assert second.run_json()["counts"]["reused"] == 3
    finally:
        writer.close()


def test_source_owned_by_another_user_and_on_another_mount(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("chown needs root")
    _, second, shared = shared_and_second(tmp_path)
    subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(shared)], check=True)
    assert second.run_json()["counts"]["reused"] == 3
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second mount to put a work directory on")
    elsewhere = Path(tempfile.mkdtemp(dir=shm))
    try:
        shutil.copytree(shared, elsewhere / "shared", symlinks=True)
        pipeline(second, sources=(str(elsewhere / "shared"),))
        shutil.rmtree(second.workdir)
        report = second.run_json()
        assert report["counts"]["reused"] == 3
        assert all(j["path"].startswith(str(elsewhere)) for j in report["jobs"])
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)


def test_unusable_sources_are_warnings_not_errors(tmp_path: Path) -> None:
    project = pipeline(Project(tmp_path / "p"), sources=(
        "missing", "a_file", "no_db", "corrupt", "newer"))
    project.write("a_file", "not a directory\n")
    (project.root / "no_db").mkdir()
    project.write("corrupt/acbuild.db", "this is not a database\n" * 100)
    (project.root / "newer").mkdir()
    with sqlite3.connect(project.root / "newer" / "acbuild.db") as db:
        db.execute("PRAGMA user_version = 99")
    proc = project.acbuild("run")
    assert "Traceback" not in proc.stderr
    for name, words in [("missing", "does not exist"), ("a_file", "is not a directory"),
                        ("no_db", "has no database"), ("corrupt", "skipped"),
                        ("newer", "newer than this acbuild")]:
        line = next((ln for ln in proc.stderr.splitlines() if f"/{name}" in ln), "")
        assert words in line, proc.stderr
    status = project.acbuild("status", "--json")
    assert len(json.loads(status.stdout)["warnings"]) == 5
    assert built(project.run_json()) == []


def test_unreadable_source_is_a_warning(tmp_path: Path) -> None:
    python = _python_for_nobody()
    base = Path(tempfile.mkdtemp(prefix="acbuild-nobody-"))
    try:
        os.chmod(base, 0o755)
        first, second, shared = shared_and_second(base)
        shutil.rmtree(second.workdir, ignore_errors=True)
        subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(second.root)], check=True)
        # One job it may not read: built again; and the jobs after it, which hold results
        # of the build it could not read (test_trust_rebuilt_inputs.py).
        ingest = next(p for p in shared.iterdir() if p.name.startswith("ingest-"))
        os.chmod(ingest, 0o700)
        proc = _as_nobody(python, second.root, "run")
        assert proc.returncode == 0, proc.stderr
        assert f"job {ingest.name} in source" in proc.stderr
        assert "3 built, 0 reused" in proc.stdout
        # A whole work directory it may not read.
        os.chmod(shared, 0o700)
        shutil.rmtree(second.workdir)
        proc = _as_nobody(python, second.root, "run")
        assert proc.returncode == 0, proc.stderr
        assert "cannot be read" in proc.stderr and "Traceback" not in proc.stderr
        assert "3 built" in proc.stdout
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_workdir_option_overrides_the_target_and_reads_the_old_one(project: Project) -> None:
    pipeline(project)
    project.run_json()
    other = project.root / "elsewhere"
    report = project.run_json("--workdir", str(other))
    assert report["counts"]["reused"] == 3
    project.script(CHAIN.replace("factor=2", "factor=5"))
    report = project.run_json("--workdir", str(other))
    assert {Path(j["path"]).parent for j in report["jobs"] if j["state"] == "built"} == {other}


def test_a_copied_or_moved_project_rebuilds_nothing(tmp_path: Path) -> None:
    original = pipeline(Project(tmp_path / "orig"))
    original.run_json()
    copy = tmp_path / "somewhere" / "else" / "copy"
    shutil.copytree(original.root, copy, symlinks=True)
    moved = Project(copy)
    report = moved.run_json()
    assert report["counts"] == {"built": 0, "reused": 3, "failed": 0, "skipped": 0}
    assert all(j["path"].startswith(str(copy)) for j in report["jobs"])
    # A new job in the copy reads its inputs from the copy, not from the original.
    shutil.rmtree(original.root)
    moved.script(CHAIN.replace('urd.build("total", pred=doubled)',
                               'urd.build("total", pred=doubled)\n'
                               '    urd.build("double", pred=doubled, factor=10)'))
    report = moved.run_json()
    assert states(report)["double"] == "built"
    assert report["counts"]["built"] == 1


def _python_for_nobody() -> str:
    """An interpreter the unprivileged user may run, with acbuild's dependencies on its path."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to act as another user")
    # It must also start itself again (the job launcher does): a venv's interpreter may be
    # a link into a directory only its owner can enter.
    check = ("import blake3, click, rich, subprocess, sys; "
             "sys.exit(subprocess.call([sys.executable, '-c', '']))")
    for python in (sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"):
        if python and _as_nobody(python, Path("/"), "-c", check, module=False).returncode == 0:
            return python
    pytest.skip("no Python that an unprivileged user can run")


def _as_nobody(python: str, cwd: Path, *args: str, module: bool = True
               ) -> subprocess.CompletedProcess[str]:
    # The dependencies are found where this test's own interpreter has them.
    path = os.pathsep.join([str(SRC), sysconfig.get_paths()["purelib"]])
    env = {"PATH": os.environ.get("PATH", ""), "HOME": "/tmp", "ACBUILD_PLAIN": "1",
           "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
         python, *(["-m", "acbuild"] if module else []), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
