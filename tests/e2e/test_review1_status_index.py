"""Review (issue 12): `status` checks a job's files from its index (job_files) instead of
reading post.json. Whatever happens to a job's files or records, what it says is what
reading post.json says: the same state and reason with the index, without it (the rows
deleted, or the table dropped, as in an older database), and with the index it rewrote."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from conftest import Project

METHOD = '''
options = {"n": 0}

def synthesis(options, job):
    with job.open("out.txt", "w") as f:
        f.write(f"hello-{options.n}\\n")
'''


def _same_size_content(job: Path) -> None:
    (job / "out.txt").write_text("HELLO-0\n")


def _truncated(job: Path) -> None:
    os.truncate(job / "out.txt", 0)


def _link(job: Path) -> None:
    copy = job.parent.parent / "copy.txt"
    shutil.copy2(job / "out.txt", copy)
    (job / "out.txt").unlink()
    (job / "out.txt").symlink_to(copy)


def _directory(job: Path) -> None:
    (job / "out.txt").unlink()
    (job / "out.txt").mkdir()


def _removed(job: Path) -> None:
    (job / "out.txt").unlink()


def _setup_removed(job: Path) -> None:
    (job / "setup.json").unlink()


def _setup_link(job: Path) -> None:
    shutil.copy2(job / "setup.json", job.parent.parent / "setup-copy.json")
    (job / "setup.json").unlink()
    (job / "setup.json").symlink_to(job.parent.parent / "setup-copy.json")


def _post_same_size(job: Path) -> None:
    post = job / "post.json"
    text = post.read_text()
    new = text.replace('"size": 8,', '"size": 9,')  # as many characters
    assert new != text and len(new) == len(text)
    post.write_text(new)


def _post_failed(job: Path) -> None:
    post = job / "post.json"
    record = json.loads(post.read_text())
    record["status"] = "failed"
    post.write_text(json.dumps(record))


MUTATIONS = [_same_size_content, _truncated, _link, _directory, _removed, _setup_removed,
             _setup_link, _post_same_size, _post_failed, None]


def _said(project: Project) -> dict[str, Any]:
    report = project.status_json()
    return {j["id"]: (j["state"], j["reason"], j.get("cause")) for j in report["jobs"]}


def _index(project: Project, sql: str) -> None:
    with sqlite3.connect(project.workdir / "acbuild.db") as db:
        db.execute(sql)


def test_status_by_the_index_says_what_reading_post_json_says(project: Project) -> None:
    project.method("w", METHOD)
    project.script("def main(urd):\n"
                   f"    for n in range({len(MUTATIONS)}):\n        urd.build('w', n=n)\n")
    ids = [j["id"] for j in project.run_json()["jobs"]]
    with sqlite3.connect(project.workdir / "acbuild.db") as db:
        assert db.execute("SELECT count(*) FROM job_files").fetchone()[0] == len(ids)
    before = _said(project)
    for job_id, mutate in zip(ids, MUTATIONS):
        if mutate is not None:
            mutate(project.workdir / job_id)
    indexed = _said(project)  # the index written when the jobs were built
    again = _said(project)  # the index as this status rewrote it
    _index(project, "DELETE FROM job_files")
    read = _said(project)  # every post.json read
    _index(project, "DROP TABLE job_files")
    old = _said(project)  # a database without the table
    assert indexed == again == read == old
    assert indexed[ids[-1]] == before[ids[-1]]  # untouched: as it was
    for job_id, mutate in zip(ids[:-1], MUTATIONS):
        if mutate is not _link:  # (a link to the same bytes and mtime is the same file)
            assert indexed[job_id] != before[job_id], mutate
    with sqlite3.connect(project.workdir / "acbuild.db") as db:  # a writer added it again
        assert db.execute("SELECT count(*) FROM job_files").fetchone()[0] >= 1


def test_post_json_rewritten_with_its_size_and_mtime_kept(project: Project) -> None:
    """post.json changed with its size and mtime put back (os.utime): what status says
    of the job's files is still what the new post.json says."""
    project.method("w", METHOD)
    project.script("def main(urd):\n    urd.build('w', n=0)\n")
    (job_id,) = [j["id"] for j in project.run_json()["jobs"]]
    post = project.workdir / job_id / "post.json"
    st = post.stat()
    _post_same_size(post.parent)
    os.utime(post, ns=(st.st_atime_ns, st.st_mtime_ns))
    indexed = _said(project)
    _index(project, "DELETE FROM job_files")
    assert indexed == _said(project)
