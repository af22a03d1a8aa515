"""Only a finished, intact job is reused (issue 11, item 4).

A job directory that was emptied, lost its post.json, says it failed, was replaced by a
file or by a link to another job's directory, or whose output files were edited after it
finished, is never read as it is: `status` says so, and `run` builds it again (the
damaged directory kept in `.failed/`) before any job that reads it is built. The promise
checked is the result: the dependent's result is computed from the job's true output.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Project, assert_sound, db_rows

SCRIPT = """
K = {k}

def main(urd):
    five = urd.build("make", n=5)
    urd.build("make", n=6)
    urd.build("use", src=five, k=K)
"""


@pytest.fixture
def built(project: Project) -> Project:
    """make(n=5) -> use(k), and a sibling make(n=6): all built."""
    project.method("make", '''
        options = {"n": 0}

        def synthesis(job, options):
            with job.open("out.txt", "w") as f:
                f.write(str(options.n))
            return options.n
    ''')
    project.method("use", '''
        options = {"k": 0}
        jobs = ("src",)

        def synthesis(options, jobs):
            with jobs.src.open("out.txt") as f:
                return [jobs.src.load(), f.read(), options.k]
    ''')
    project.script(SCRIPT.format(k=1))
    project.acbuild("run")
    return project


def job_dir(project: Project, method: str, n: int | None = None) -> Path:
    for path in sorted(project.workdir.iterdir()):
        if not path.name.startswith(f"{method}-") or path.name.startswith("."):
            continue
        setup = json.loads((path / "setup.json").read_text())
        if n is None or setup["options"].get("n") == n:
            return path
    raise AssertionError(f"no {method} job with n={n}")


def result(path: Path) -> object:
    with open(path / "result.pickle", "rb") as f:
        return pickle.load(f)


def by_id(report: dict) -> dict[str, dict]:
    return {j["id"]: j for j in report["jobs"]}


def empty(path: Path) -> None:
    for entry in path.iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def lose_post(path: Path) -> None:
    (path / "post.json").unlink()


def say_failed(path: Path) -> None:
    post = json.loads((path / "post.json").read_text())
    post["status"] = "failed"
    (path / "post.json").write_text(json.dumps(post))


def say_failed_keeping_size_and_mtime(path: Path) -> None:
    """As a sync from another copy or `touch -r` leaves it: only the ctime tells."""
    post = path / "post.json"
    before = post.stat()
    record = json.loads(post.read_text())
    record["status"] = "failed"
    text = json.dumps(record, separators=(",", ":"))
    assert len(text) <= before.st_size
    post.write_text(text.ljust(before.st_size))  # JSON allows the trailing blanks
    os.utime(post, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = post.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def replace_by_file(path: Path) -> None:
    shutil.rmtree(path)
    path.write_text("not a job\n")


def link_to_sibling(path: Path) -> None:
    sibling = job_dir_of_sibling(path)
    shutil.rmtree(path)
    os.symlink(sibling, path)


def job_dir_of_sibling(path: Path) -> Path:
    """The make(n=6) job beside make(n=5)."""
    for other in path.parent.iterdir():
        if other.name.startswith("make-") and other != path:
            return other
    raise AssertionError("no sibling")


DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "emptied": (empty, "its directory is damaged: it is empty"),
    "post.json missing": (lose_post, "its directory is damaged: post.json missing"),
    "setup.json missing": (lambda path: (path / "setup.json").unlink(),
                           "its directory is damaged: setup.json missing"),
    "post.json says failed": (say_failed,
                              "its directory is damaged: post.json says the job failed"),
    "post.json says failed, its size and mtime put back": (
        say_failed_keeping_size_and_mtime,
        "its directory is damaged: post.json says the job failed"),
    "replaced by a file": (replace_by_file,
                           "its directory is damaged: it is a file, not a directory"),
    "a link to another job": (link_to_sibling, "its directory is damaged: it is a link"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_job_is_rebuilt_before_its_dependent_is_built_on_it(
        built: Project, damage: str) -> None:
    make5 = job_dir(built, "make", 5)
    make6 = job_dir(built, "make", 6)
    sibling_files = sorted(p.name for p in make6.iterdir())
    hurt, reason = DAMAGES[damage]
    hurt(make5)

    built.script(SCRIPT.format(k=2))  # the dependent must be built now
    status = by_id(built.status_json())
    assert status[make5.name]["state"] == "stale"
    assert status[make5.name]["reason"].startswith(reason)
    assert status[make6.name]["state"] == "cached"
    report = built.run_json()
    jobs = by_id(report)
    assert jobs[make5.name]["state"] == "built"
    assert jobs[make5.name]["reason"].startswith(reason)
    assert jobs[make6.name]["state"] == "reused"
    use = job_dir(built, "use")
    assert [j["state"] for j in report["jobs"] if j["method"] == "use"] == ["built"]
    # The promise: the dependent read make(n=5)'s true result and file, not the damage.
    uses = [p for p in built.workdir.iterdir() if p.name.startswith("use-")]
    new_use = next(p for p in uses
                   if json.loads((p / "setup.json").read_text())["options"]["k"] == 2)
    assert result(new_use) == [5, "5", 2]
    assert result(make5) == 5 and make5.is_dir() and not make5.is_symlink()
    # Nothing was deleted: the damaged entry is in .failed/ as it was; the sibling is whole.
    kept = [p for p in (built.workdir / ".failed").iterdir() if p.name.startswith(make5.name)]
    assert len(kept) == 1
    if damage == "a link to another job":
        assert kept[0].is_symlink() and Path(os.readlink(kept[0])) == make6
    if damage == "replaced by a file":
        assert kept[0].read_text() == "not a job\n"
    assert sorted(p.name for p in make6.iterdir()) == sibling_files
    assert result(make6) == 6
    assert use.exists()
    assert_sound(built.workdir)
    assert built.run_json()["counts"]["built"] == 0  # and it is reused from now on


def test_a_damaged_job_is_rebuilt_even_when_nothing_reads_it(built: Project) -> None:
    make5 = job_dir(built, "make", 5)
    for _ in range(2):  # a damaged directory kept in .failed/ is no failed attempt
        lose_post(make5)
        report = by_id(built.run_json())
        assert report[make5.name]["state"] == "built"
        assert report[make5.name]["reason"] == "its directory is damaged: post.json missing"
        assert result(make5) == 5 and (make5 / "post.json").is_file()
    assert json.loads(built.acbuild("doctor", "--json").stdout)["findings"] == []


def test_an_edited_output_is_rebuilt_before_a_dependent_reads_it(built: Project) -> None:
    make5 = job_dir(built, "make", 5)
    (make5 / "out.txt").write_text("9")  # same size, other content
    # Nothing reads it now: status says so; a run would reuse it as it is.
    status = built.status_json()
    assert by_id(status)[make5.name]["state"] == "cached"
    assert by_id(status)[make5.name]["reason"] == (
        "cached, but its files changed since it was built: out.txt")
    assert any(w.startswith(f"{make5.name}: its files changed since it was built: out.txt")
               for w in status["warnings"])
    assert by_id(built.run_json())[make5.name]["state"] == "reused"  # as status said

    built.script(SCRIPT.format(k=2))  # now a job to build reads it
    status = by_id(built.status_json())
    assert status[make5.name]["state"] == "stale"
    assert status[make5.name]["reason"] == "its files changed since it was built: out.txt"
    report = built.run_json()
    jobs = by_id(report)
    assert jobs[make5.name]["state"] == "built"
    assert jobs[make5.name]["reason"] == "its files changed since it was built: out.txt"
    new_use = next(p for p in built.workdir.iterdir() if p.name.startswith("use-")
                   and json.loads((p / "setup.json").read_text())["options"]["k"] == 2)
    assert result(new_use) == [5, "5", 2]
    assert (make5 / "out.txt").read_text() == "5"
    # The edited directory is kept, edit included.
    kept = [p for p in (built.workdir / ".failed").iterdir() if p.name.startswith(make5.name)]
    assert [(p / "out.txt").read_text() for p in kept] == ["9"]
    assert_sound(built.workdir)


def test_an_edited_result_is_not_loaded_by_the_script(built: Project) -> None:
    """The script reads make's result (handle.load()): a changed result.pickle is rebuilt."""
    make5 = job_dir(built, "make", 5)
    (make5 / "result.pickle").write_bytes(pickle.dumps(666))
    built.script("""
        def main(urd):
            five = urd.build("make", n=5)
            urd.build("use", src=five, k=five.load())
    """)
    report = built.run_json()
    jobs = by_id(report)
    assert jobs[make5.name]["state"] == "built"
    assert "result.pickle" in jobs[make5.name]["reason"]
    new_use = next(p for p in built.workdir.iterdir() if p.name.startswith("use-")
                   and json.loads((p / "setup.json").read_text())["options"]["k"] == 5)
    assert result(new_use) == [5, "5", 5]


def test_a_touched_or_copied_output_is_the_same_job(built: Project, tmp_path: Path) -> None:
    """Only content counts: a file whose mtime moved but whose bytes did not is not changed,
    and a row whose post.json stat is out of date (a copied work directory) is re-read."""
    make5 = job_dir(built, "make", 5)
    later = time.time() + 5
    os.utime(make5 / "out.txt", (later, later))
    os.utime(make5 / "post.json", (later, later))
    status = by_id(built.status_json())
    assert {j["state"] for j in status.values()} == {"cached"}
    built.script(SCRIPT.format(k=3))
    report = built.run_json()
    assert by_id(report)[make5.name]["state"] == "reused"
    assert report["counts"]["built"] == 1  # use(k=3) only


def test_an_old_row_is_checked_once_and_completed(built: Project) -> None:
    """A row without post.json's stat (schema 2) is read once; a damaged job behind one is
    still found."""
    make5, make6 = job_dir(built, "make", 5), job_dir(built, "make", 6)
    conn = sqlite3.connect(built.workdir / "acbuild.db")
    with conn:
        conn.execute("UPDATE jobs SET post_size = NULL, post_mtime_ns = NULL")
    conn.close()
    say_failed(make6)
    report = by_id(built.run_json())
    assert report[make5.name]["state"] == "reused"
    assert report[make6.name]["reason"] == ("its directory is damaged: post.json says the "
                                            "job failed")
    conn = sqlite3.connect(built.workdir / "acbuild.db")
    try:
        nulls = conn.execute("SELECT count(*) FROM jobs WHERE post_size IS NULL").fetchone()
    finally:
        conn.close()
    assert nulls == (0,)
    assert set(db_rows(built.workdir)) == {p.name for p in built.workdir.iterdir()
                                           if not p.name.startswith(".")
                                           and p.name != "acbuild.db"
                                           and not p.name.startswith("acbuild.db")}


def test_explain_gives_the_reason_of_a_damaged_or_changed_job(built: Project) -> None:
    make5, make6 = job_dir(built, "make", 5), job_dir(built, "make", 6)
    lose_post(make5)
    (make6 / "out.txt").write_text("66")
    five = json.loads(built.acbuild("explain", make5.name, "--json").stdout)
    assert (five["state"], five["reason"]) == (
        "stale", "its directory is damaged: post.json missing")
    six = json.loads(built.acbuild("explain", make6.name, "--json").stdout)
    assert (six["state"], six["reason"]) == (
        "cached", "cached, but its files changed since it was built: out.txt")
    built.script("def main(urd):\n    pass\n")  # not a job of the script any more
    proc = built.acbuild("explain", make6.name, check=2)
    assert "its files changed since it was built: out.txt" in proc.stdout + proc.stderr


def test_a_post_json_rewritten_with_its_size_and_mtime_put_back_is_read_again(
        built: Project) -> None:
    """A job nothing reads is reused on the lstat of its post.json alone: the row's ctime
    tells a post.json rewritten with its size and mtime put back, which now says failed."""
    make5 = job_dir(built, "make", 5)
    say_failed_keeping_size_and_mtime(make5)
    status = by_id(built.status_json())
    assert status[make5.name]["state"] == "stale"
    report = by_id(built.run_json())
    assert report[make5.name]["state"] == "built"
    assert report[make5.name]["reason"] == ("its directory is damaged: post.json says the "
                                            "job failed")
    assert result(make5) == 5
    assert json.loads((make5 / "post.json").read_text())["status"] == "ok"
    assert built.run_json()["counts"]["built"] == 0
