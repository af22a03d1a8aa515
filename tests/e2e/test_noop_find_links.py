"""find lists only a work directory's names that are no real directory (issue 12).

A no-op run lstats each job's post.json; what that lstat cannot tell is a job's name that
is a link to a directory holding the very same post.json (the job moved elsewhere, with its
times, and linked back): the listing of non-directories does. A job whose directory is gone
fails the lstat and is said to be removed, as before. The promise checked: such a job is
never reused as it is; it is built again and its dependent reads the new result.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from conftest import Project

SCRIPT = """
def main(urd):
    five = urd.build("make", n=5)
    urd.build("use", src=five)
"""


@pytest.fixture
def built(project: Project) -> Project:
    project.method("make", '''
        options = {"n": 0}

        def synthesis(options):
            return options.n
    ''')
    project.method("use", '''
        jobs = ("src",)

        def synthesis(jobs):
            return jobs.src.load() + 1
    ''')
    project.script(SCRIPT)
    project.acbuild("run")
    return project


def _job(project: Project, method: str) -> Path:
    return next(p for p in sorted(project.workdir.iterdir()) if p.name.startswith(f"{method}-"))


def _states(report: dict) -> dict[str, tuple[str, str]]:
    return {j["id"]: (j["state"], j["reason"]) for j in report["jobs"]}


def test_a_job_moved_away_and_linked_back_is_built_again(built: Project,
                                                         tmp_path: Path) -> None:
    make = _job(built, "make")
    post = make / "post.json"
    before = os.stat(post)
    moved = tmp_path / "elsewhere" / make.name
    moved.parent.mkdir()
    os.rename(make, moved)  # the same file system: the same post.json, size and mtime
    os.symlink(moved, make)
    assert os.lstat(post).st_mtime_ns == before.st_mtime_ns  # the lstat sees nothing wrong

    link = f"its directory is damaged: it is a link (to {moved})"
    status = _states(built.status_json())
    assert status[make.name][0] == "stale" and status[make.name][1].startswith(link)
    states = _states(built.run_json())
    assert states[make.name][0] == "built" and states[make.name][1].startswith(link)
    use = _job(built, "use")
    assert states[use.name][0] == "built"
    assert make.is_dir() and not make.is_symlink()
    with open(use / "result.pickle", "rb") as f:
        assert pickle.load(f) == 6
    # Nothing was deleted: the link is kept in .failed/, the moved job is whole.
    kept = [p for p in (built.workdir / ".failed").iterdir() if p.name.startswith(make.name)]
    assert len(kept) == 1 and kept[0].is_symlink()
    assert json.loads((moved / "post.json").read_text())["status"] != "failed"
    assert (moved / "result.pickle").is_file()


def test_a_job_whose_directory_is_gone_is_said_removed_and_built_again(
        built: Project) -> None:
    make = _job(built, "make")
    os.rename(make, built.root / "moved-out")
    status = _states(built.status_json())
    assert status[make.name] == ("stale", f"its directory was removed ({make})")
    states = _states(built.run_json())
    assert states[make.name] == ("built", f"its directory was removed ({make})")
    assert (make / "post.json").is_file()


def test_a_job_published_by_the_run_is_found_by_a_later_read_in_it(built: Project) -> None:
    """A name that was a link when the run listed it, built again by the run: the script's
    later read of it reads the new directory, and the link is gone from the job's place."""
    built.script(SCRIPT + """
    print("READ", urd.build("make", n=5).load())
""")
    make = _job(built, "make")
    target = built.root / "elsewhere"
    os.rename(make, target)
    os.symlink(target, make)
    proc = built.acbuild("run")
    assert "READ 5" in proc.stdout + proc.stderr
    assert make.is_dir() and not make.is_symlink()
