"""`acbuild verify` re-hashes job files; `acbuild doctor` checks the index against the
directories and repairs it from them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from conftest import Project, assert_sound, db_rows


@pytest.fixture
def three(project: Project) -> Project:
    project.method("make", '''
        options = {"n": 0}

        def synthesis(job, options):
            job.filename("sub").mkdir()
            with job.open("data.txt", "w") as f:
                f.write("x" * 100)
            with job.open("sub/deep.txt", "w") as f:
                f.write(str(options.n))
            return options.n
    ''')
    project.script("def main(urd):\n" + "".join(
        f"    urd.build('make', n={n})\n" for n in range(3)))
    project.acbuild("run")
    return project


def ids(project: Project) -> list[str]:
    return sorted(project.job_dirs())


def doctor(project: Project, *args: str, check: int = 0) -> dict:
    return json.loads(project.acbuild("doctor", "--json", *args, check=check).stdout)


def test_verify_reports_every_kind_of_change(three: Project) -> None:
    a, b, c = (three.workdir / i for i in ids(three))
    assert "all 3 job(s) intact (9 file(s) hashed)" in three.acbuild("verify").stdout
    (a / "data.txt").write_text("y" * 100)  # same size, other content
    (b / "sub/deep.txt").write_text("longer")
    (c / "result.pickle").unlink()
    (c / "stray.txt").write_text("")
    out = three.acbuild("verify", check=1).stdout
    assert f"CHANGED  {a.name}/data.txt (content differs (blake3))" in out
    assert f"CHANGED  {b.name}/sub/deep.txt (size 1 → 6)" in out
    assert f"MISSING  {c.name}/result.pickle" in out
    assert f"ADDED    {c.name}/stray.txt" in out
    assert "3 of 3 job(s) changed since they were built" in out
    one = json.loads(three.acbuild("verify", a.name[:10], "--json", check=1).stdout)
    assert [j["id"] for j in one["jobs"]] == [a.name] and one["changed"] == 1
    assert one["jobs"][0]["changes"] == [
        {"file": "data.txt", "what": "changed", "detail": "content differs (blake3)"}]


def test_a_sound_work_directory_has_no_findings(three: Project) -> None:
    report = doctor(three)
    assert report["findings"] == [] and report["problems"] == 0 and report["jobs"] == 3
    assert "no problems: the database and the directories of 3 finished job(s) agree" in \
        three.acbuild("doctor").stdout


def test_doctor_finds_and_fixes_each_disagreement(three: Project) -> None:
    a, b, c = ids(three)
    rows = db_rows(three.workdir)
    conn = sqlite3.connect(three.workdir / "acbuild.db")
    with conn:
        conn.execute("DELETE FROM jobs WHERE id = ?", (a,))  # a directory without its row
        conn.execute("UPDATE jobs SET hash = ? WHERE id = ?", ("f" * 64, b))  # a mismatch
        conn.execute("INSERT INTO jobs (hash, id, method, code_hash, created) "
                     "VALUES (?, ?, 'make', 'x', 0)",
                     ("e" * 64, "make-eeeeeeeeeeee"))  # a row without its directory
    conn.close()
    (three.workdir / c / "post.json").unlink()  # indexed, but not a finished job
    stray = three.workdir / "make-000000000000"  # neither indexed nor a job
    stray.mkdir()
    (stray / "setup.json").write_text("{broken")
    leftover = three.workdir / ".tmp" / f"{a}.99999.1"
    leftover.mkdir()
    report = doctor(three, check=1)
    kinds = sorted((f["kind"], f["name"], f["serious"]) for f in report["findings"])
    assert kinds == sorted([
        ("unindexed", a, False), ("mismatch", b, True), ("not-finished", c, True),
        ("row-without-directory", "make-eeeeeeeeeeee", True),
        ("not-finished", "make-000000000000", True), ("leftover", leftover.name, False)])
    assert report["problems"] == 4
    fixed = doctor(three, "--fix")
    assert fixed["findings"] == [] and fixed["jobs"] == 2
    assert len(fixed["repaired"]) == 6
    assert db_rows(three.workdir) == {a: rows[a], b: rows[b]}
    assert not leftover.exists() and not stray.exists()
    assert sorted(p.name.split(".")[0] for p in (three.workdir / ".failed").iterdir()) == \
        sorted([c, "make-000000000000"])
    assert_sound(three.workdir)
    report = three.run_json()  # what was not a finished job is built again; the rest reused
    assert {j["id"]: j["state"] for j in report["jobs"]} == {a: "reused", b: "reused",
                                                             c: "built"}


def test_rebuild_writes_the_index_from_the_directories(three: Project) -> None:
    rows = db_rows(three.workdir)
    conn = sqlite3.connect(three.workdir / "acbuild.db")
    with conn:
        conn.execute("DELETE FROM jobs")
    conn.close()
    out = three.acbuild("doctor", "--rebuild").stdout
    assert "rebuilt the index from the job directories: 3 job(s)" in out
    assert db_rows(three.workdir) == rows
    assert three.run_json()["counts"]["reused"] == 3


def test_fix_refuses_while_another_process_uses_the_work_directory(three: Project) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
         "fcntl.flock(f, fcntl.LOCK_SH); print('held', flush=True); time.sleep(60)",
         str(three.workdir / ".tmp" / "in-use.lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        proc = three.acbuild("doctor", "--fix", check=1)
        assert "another acbuild process is using this work directory" in proc.stderr
        assert doctor(three)["problems"] == 0  # checking alone shares the directory
    finally:
        holder.kill()
        holder.wait()


def test_doctor_before_anything_was_built(project: Project) -> None:
    project.script("def main(urd):\n    pass\n")
    assert doctor(project) == {"workdir": str(project.workdir), "jobs": 0, "problems": 0,
                               "repaired": [], "findings": []}
    assert not project.workdir.exists()  # a check creates nothing


def test_verify_and_doctor_need_no_method_code(three: Project) -> None:
    for method in (three.root / "methods").iterdir():
        os.remove(method)
    three.acbuild("verify")
    assert doctor(three)["findings"] == []
