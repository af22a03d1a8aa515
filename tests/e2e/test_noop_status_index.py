"""`status` checks each cached job's files from the index of their files (issue 12, "looking
is free"): a stat of setup.json and of each file, no post.json read. The index is kept under
the size and mtime of the post.json it was read from, so it is only used while that is the
post.json the job's row records; what it lacks (an older database, a job recorded by a
later run's recheck or by doctor) is read from post.json, and indexed then."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from conftest import Project

SCRIPT = """
def main(urd):
    urd.build("make", n=5)
    urd.build("make", n=6)
"""


@pytest.fixture
def built(project: Project) -> Project:
    project.method("make", '''
        options = {"n": 0}

        def synthesis(job, options):
            with job.open("out.txt", "w") as f:
                f.write(str(options.n))
            return options.n
    ''')
    project.script(SCRIPT)
    project.acbuild("run")
    return project


def make_dir(project: Project, n: int) -> Path:
    for path in sorted(project.workdir.glob("make-*")):
        if json.loads((path / "setup.json").read_text())["options"]["n"] == n:
            return path
    raise AssertionError(f"no make(n={n})")


def index(project: Project) -> dict[str, tuple[int, int, dict[str, object]]]:
    """job id -> (post size, post mtime_ns, files) as the index holds them."""
    conn = sqlite3.connect(project.workdir / "acbuild.db")
    try:
        rows = conn.execute("SELECT j.id, f.post_size, f.post_mtime_ns, f.files FROM job_files f "
                            "JOIN jobs j ON j.hash = f.hash").fetchall()
    finally:
        conn.close()
    return {job_id: (size, mtime, json.loads(files)) for job_id, size, mtime, files in rows}


def sql(project: Project, statement: str) -> None:
    conn = sqlite3.connect(project.workdir / "acbuild.db")
    with conn:
        conn.execute(statement)
    conn.close()


def reasons(project: Project) -> dict[str, tuple[str, str]]:
    return {j["id"]: (j["state"], j["reason"]) for j in project.status_json()["jobs"]}


def test_a_run_indexes_each_built_jobs_files_as_its_post_json_lists_them(built: Project) -> None:
    five = make_dir(built, 5)
    post = five / "post.json"
    size, mtime, files = index(built)[five.name]
    assert (size, mtime) == (post.stat().st_size, post.stat().st_mtime_ns)
    assert files == json.loads(post.read_text())["files"]
    assert set(files) == {"out.txt", "result.pickle"}


def test_status_checks_the_files_from_the_index_and_sees_a_changed_one(built: Project) -> None:
    five, six = make_dir(built, 5), make_dir(built, 6)
    (five / "out.txt").write_text("9")  # same size, other content
    assert reasons(built)[five.name] == (
        "cached", "cached, but its files changed since it was built: out.txt")
    assert reasons(built)[six.name] == ("cached", "cached")
    # The index is what status reads: an entry naming another file is what it checks
    # (post.json, unchanged, is not read while its stat is the one recorded).
    sql(built, "UPDATE job_files SET files = '{\"gone.txt\": {\"size\": 1}}' WHERE hash = "
               f"(SELECT hash FROM jobs WHERE id = '{six.name}')")
    assert reasons(built)[six.name] == (
        "cached", "cached, but its files changed since it was built: gone.txt (missing)")


def test_a_rewritten_post_json_is_read_again_not_taken_from_the_index(built: Project) -> None:
    six = make_dir(built, 6)
    sql(built, "UPDATE job_files SET files = '{\"gone.txt\": {\"size\": 1}}' WHERE hash = "
               f"(SELECT hash FROM jobs WHERE id = '{six.name}')")
    post = six / "post.json"
    later = time.time() + 5
    os.utime(post, (later, later))  # the same bytes, another stat: the row is re-read
    assert reasons(built)[six.name] == ("cached", "cached")
    size, mtime, files = index(built)[six.name]
    assert (size, mtime) == (post.stat().st_size, post.stat().st_mtime_ns)
    assert set(files) == {"out.txt", "result.pickle"}  # rewritten from post.json


def test_a_damaged_directory_is_said_as_before_with_the_index(built: Project) -> None:
    five = make_dir(built, 5)
    (five / "setup.json").unlink()
    assert reasons(built)[five.name] == (
        "cached", "cached, but its directory is damaged: setup.json missing")


def test_a_database_without_the_index_is_read_from_post_json_and_indexed(
        built: Project) -> None:
    five, six = make_dir(built, 5), make_dir(built, 6)
    sql(built, "DROP TABLE job_files")  # as an acbuild before the index left it
    (five / "out.txt").write_text("7")
    conn = sqlite3.connect(f"file:{built.workdir / 'acbuild.db'}?mode=ro", uri=True)
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'job_files'"
                        ).fetchone() == (0,)
    conn.close()
    assert reasons(built)[five.name] == (
        "cached", "cached, but its files changed since it was built: out.txt")
    assert reasons(built)[six.name] == ("cached", "cached")
    # The table is back, and status filled it from the post.json files it read.
    assert set(index(built)) == {five.name, six.name}
    assert reasons(built)[five.name] == (
        "cached", "cached, but its files changed since it was built: out.txt")


def test_a_job_recorded_without_its_index_entry_is_indexed_by_status(built: Project) -> None:
    """As after a run killed between publishing a job and writing its batch of rows: the
    next run records the directory (recheck), without an index entry; status reads its
    post.json once, indexes it, and still sees a changed file."""
    five = make_dir(built, 5)
    sql(built, f"DELETE FROM job_files WHERE hash = (SELECT hash FROM jobs WHERE id = "
               f"'{five.name}')")
    sql(built, f"DELETE FROM jobs WHERE id = '{five.name}'")
    report = built.run_json()
    assert {j["id"]: j["state"] for j in report["jobs"]}[five.name] == "reused"
    assert five.name not in index(built)
    assert reasons(built)[five.name] == ("cached", "cached")
    assert set(index(built)[five.name][2]) == {"out.txt", "result.pickle"}
    (five / "out.txt").write_text("8")
    assert reasons(built)[five.name] == (
        "cached", "cached, but its files changed since it was built: out.txt")
