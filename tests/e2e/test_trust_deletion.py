"""Nothing outside the project is ever deleted (issue 11, item 5).

acbuild deletes in ``.tmp/`` (staging leftovers) and ``.failed/`` (with `gc`): when either
is a link to another directory, every command that would delete there refuses the work
directory, and what the link leads to is untouched. Staging leftovers are recognised by
their exact name, so a method whose name holds a dot cannot make one run delete another
run's live staging directory.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SRC, Project, assert_sound


def precious(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A directory outside the project, holding what a careless link would expose: files, a
    directory named like a staging leftover, and one named like a failed job."""
    outside = tmp_path / "precious"
    contents = {
        "notes.txt": "keep me\n",
        "make-0123456789ab.4242.1234/setup.json": "{}\n",  # a "leftover" by its name
        "make-0123456789ab.20260101-120000.4242/post.json": "{}\n",  # a "failed job"
        "deep/inner/data.bin": "x" * 100,
    }
    for relpath, text in contents.items():
        path = outside / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return outside, contents


def intact(outside: Path, contents: dict[str, str]) -> None:
    found = {p.relative_to(outside).as_posix(): p.read_text()
             for p in outside.rglob("*") if p.is_file()}
    assert found == contents


@pytest.fixture
def built(project: Project) -> Project:
    project.method("make", '''
        options = {"n": 0}

        def synthesis(options):
            if options.n < 0:
                raise ValueError("negative")
            return options.n
    ''')
    project.script("def main(urd):\n    urd.build('make', n=1)\n")
    project.acbuild("run")
    return project


@pytest.mark.parametrize("name", [".tmp", ".failed"])
def test_a_linked_staging_or_failed_directory_is_refused_and_its_target_kept(
        built: Project, tmp_path: Path, name: str) -> None:
    outside, contents = precious(tmp_path)
    linked = built.workdir / name
    os.rename(linked, tmp_path / f"old{name}")
    os.symlink(outside, linked)
    old_time = time.time() - 30 * 86400
    for path in outside.rglob("*"):  # old enough for gc to want every "failed job"
        os.utime(path, (old_time, old_time), follow_symlinks=False)
    built.script("def main(urd):\n    urd.build('make', n=2)\n")  # a run that would build
    commands = [("run",), ("run", "--dry-run"), ("gc",), ("gc", "--dry-run"), ("doctor",),
                ("doctor", "--fix"), ("status",)]
    for command in commands:
        proc = built.acbuild(*command, check=None)
        intact(outside, contents)
        assert "Traceback" not in proc.stderr, (command, proc.stderr)
        if command in (("run",), ("gc",), ("doctor", "--fix")):
            assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
            assert f"{name} is a link to {outside}" in proc.stdout + proc.stderr, command
    assert linked.is_symlink()  # acbuild changed nothing of it either


def test_a_failed_job_kept_as_a_link_is_removed_as_a_link(built: Project,
                                                          tmp_path: Path) -> None:
    """gc removes what .failed/ holds as it is: a link there goes, never what it leads to."""
    outside, contents = precious(tmp_path)
    os.symlink(outside, built.workdir / ".failed" / "make-0123456789ab.20260101-120000.7")
    built.script("def main(urd):\n    urd.build('make', n=-1)\n")
    built.acbuild("run", check=1)  # one real failed job beside it
    old_time = time.time() - 30 * 86400
    for path in (built.workdir / ".failed").iterdir():
        os.utime(path, (old_time, old_time), follow_symlinks=False)
    built.acbuild("gc")
    assert list((built.workdir / ".failed").iterdir()) == []
    intact(outside, contents)


DOTTED = '''
import time

options = {"n": 0, "nap": 0.0}

def synthesis(options):
    time.sleep(options.nap)
    return options.n * 10
'''


def test_a_dotted_method_name_leaves_a_concurrent_runs_staging_alone(
        project: Project) -> None:
    """v1.2's job id is v1.2-<hash>: a second run must not take its staging directory
    (v1.2-<hash>.<pid>.<ns>) for a leftover of a job named "v1" and delete it."""
    project.method("v1.2", DOTTED)
    project.script("def main(urd):\n    urd.build('v1.2', n=1, nap=3.0)\n", name="slow.py")
    project.script("def main(urd):\n    urd.build('v1.2', n=2)\n", name="quick.py")
    project.acbuild("run", "quick.py")  # the work directory exists; this job is built
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC)}
    slow = subprocess.Popen([sys.executable, "-m", "acbuild", "run", "--json", "slow.py"],
                            cwd=project.root, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        staging = project.workdir / ".tmp"
        deadline = time.monotonic() + 60
        while not any(p.is_dir() and p.name.startswith("v1.2-") for p in staging.iterdir()):
            assert time.monotonic() < deadline, "the slow run never started its job"
            assert slow.poll() is None, slow.communicate()
            time.sleep(0.02)
        # A second run now, with a job to build: it clears dead runs' leftovers first.
        project.script("def main(urd):\n    urd.build('v1.2', n=3)\n", name="quick.py")
        second = project.run_json("quick.py")
        assert (second["counts"]["built"], second["counts"]["failed"]) == (1, 0)
        project.acbuild("gc", "--dry-run")  # lists leftovers; must not take the live one
        out, err = slow.communicate(timeout=120)
    finally:
        if slow.poll() is None:
            slow.kill()
            slow.communicate()
    assert slow.returncode == 0, err
    report = json.loads(out)
    assert [j["state"] for j in report["jobs"]] == ["built"]
    job = project.workdir / report["jobs"][0]["id"]
    with open(job / "result.pickle", "rb") as f:
        assert pickle.load(f) == 10
    assert_sound(project.workdir)


def test_a_dead_runs_leftover_of_a_dotted_method_is_still_removed(project: Project) -> None:
    """Exact names cut both ways: the leftover of a dead run of v1.2 is recognised."""
    project.method("v1.2", DOTTED)
    project.script("def main(urd):\n    urd.build('v1.2', n=1)\n")
    project.acbuild("run")
    job_id = project.job_dirs()[0]
    leftover = project.workdir / ".tmp" / f"{job_id}.999999.123456789"
    (leftover / "source").mkdir(parents=True)
    stranger = project.workdir / ".tmp" / "not-acbuilds"  # a name acbuild never gives
    stranger.mkdir()
    project.acbuild("run")
    assert not leftover.exists()
    assert stranger.is_dir()
