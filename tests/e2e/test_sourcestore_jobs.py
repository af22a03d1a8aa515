"""The source store in real runs: jobs' source/ files are read-only hard links into
``<workdir>/.sources``; verify names every job a changed store file changed; gc removes
store files no job links; a store on another file system gives copies."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sourcestore_helpers import HELPER, METHOD, store_files

from conftest import Project, assert_sound, built


def inode(path: Path) -> tuple[int, int]:
    st = path.lstat()
    return (st.st_dev, st.st_ino)


def setup_of(project: Project, job_id: str) -> dict[str, Any]:
    return json.loads((project.workdir / job_id / "setup.json").read_text())


def ids(report: dict[str, Any]) -> list[str]:
    return sorted(j["id"] for j in report["jobs"])


def scale_project(project: Project, ns: range, method: str = METHOD) -> dict[str, Any]:
    project.method("_helper", HELPER)
    project.method("scale", method)
    project.script("def main(urd):\n" + "".join(
        f"    urd.build('scale', n={n})\n" for n in ns))
    return project.run_json()


def test_jobs_share_one_read_only_file_per_source(project: Project) -> None:
    report = scale_project(project, range(3))
    jobs = ids(report)
    assert len(jobs) == 3
    stored = store_files(project)
    assert len(stored) == 2  # the method and its helper, once each
    for relpath in ("methods/scale.py", "methods/_helper.py"):
        copies = [project.workdir / j / "source" / relpath for j in jobs]
        digest = setup_of(project, jobs[0])["code"]["files"][relpath]
        in_store = project.workdir / ".sources" / digest[:2] / digest[2:]
        assert {inode(c) for c in copies} == {inode(in_store)}
        assert in_store.stat().st_nlink == 4  # the store's name, and three jobs
        assert stat.S_IMODE(in_store.stat().st_mode) == 0o444
        assert in_store.read_bytes() == (project.root / relpath).read_bytes()
    results = {project.acbuild("show", j, "--json").stdout for j in jobs}
    assert len(results) == 3
    # A new job of the same code adds no file to the store; it runs what was hashed.
    again = scale_project(project, range(4))
    assert built(again) == ["scale"]
    assert store_files(project) == stored
    assert project.acbuild("verify").returncode == 0
    assert_sound(project.workdir)


def test_verify_names_every_job_a_changed_store_file_changed(project: Project) -> None:
    jobs = ids(scale_project(project, range(3)))
    digest = setup_of(project, jobs[0])["code"]["files"]["methods/_helper.py"]
    in_store = project.workdir / ".sources" / digest[:2] / digest[2:]
    in_store.chmod(0o644)
    in_store.write_text("FACTOR = 4\n")  # one write: every job linking it changed
    report = json.loads(project.acbuild("verify", "--json", check=1).stdout)
    assert report["changed"] == 3
    for job in report["jobs"]:
        [change] = job["changes"]
        assert change["file"] == "source/methods/_helper.py" and change["what"] == "changed"
        assert change["shared_by"] == 3
        assert f".sources/{digest[:2]}/{digest[2:]} was modified" in change["detail"]
    [shared] = report["shared_changes"]
    assert shared["jobs"] == jobs and shared["file"].endswith("/source/methods/_helper.py")
    plain = project.acbuild("verify", jobs[0], check=1).stdout
    assert "2 other job(s)" in plain and jobs[1] in plain and jobs[2] in plain
    # The next job of that code gets a store file with the bytes it was hashed from; the
    # jobs that shared the changed one are still reported, and only they.
    new = [j for j in ids(scale_project(project, range(4))) if j not in jobs]
    assert in_store.read_text() == HELPER
    assert (project.workdir / new[0] / "source/methods/_helper.py").read_text() == HELPER
    after = json.loads(project.acbuild("verify", "--json", check=1).stdout)
    assert sorted(j["id"] for j in after["jobs"] if not j["intact"]) == jobs


def test_gc_removes_the_store_files_no_job_links(project: Project) -> None:
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 1\nkeep_runs = 1\n')
    old = ids(scale_project(project, range(2)))
    edited = METHOD.replace("* _helper", "* 1 * _helper")  # new code: new jobs, a new file
    new = ids(scale_project(project, range(2), edited))
    assert not set(old) & set(new)
    assert len(store_files(project)) == 3  # the helper, and both versions of the method
    done = json.loads(project.acbuild("gc", "--json").stdout)
    assert sorted(r["name"] for r in done["removed"] if r["kind"] == "job") == old
    assert done["sources"] == 1
    stored = store_files(project)
    assert sorted(p.read_bytes() for p in stored) == sorted(
        (project.root / "methods" / name).read_bytes() for name in ("_helper.py", "scale.py"))
    assert old[0] not in project.job_dirs()
    assert all(p.stat().st_nlink == 3 for p in stored)
    assert project.acbuild("verify").returncode == 0
    assert built(project.run_json()) == []


def test_a_store_on_another_file_system_gives_read_only_copies(project: Project) -> None:
    if not os.path.isdir("/dev/shm") or \
            os.stat("/dev/shm").st_dev == project.root.stat().st_dev:
        pytest.skip("needs a second file system (/dev/shm)")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as elsewhere:
        project.workdir.mkdir(parents=True)
        (project.workdir / ".sources").symlink_to(elsewhere)  # no hard link can cross
        jobs = ids(scale_project(project, range(2)))
        for job in jobs:
            copy = project.workdir / job / "source" / "methods" / "scale.py"
            assert copy.stat().st_nlink == 1 and stat.S_IMODE(copy.stat().st_mode) == 0o444
            assert copy.read_bytes() == (project.root / "methods" / "scale.py").read_bytes()
        assert project.acbuild("verify").returncode == 0
        assert_sound(project.workdir)


def test_verify_of_an_unshared_source_file_and_of_a_job_that_recorded_none(
        project: Project) -> None:
    jobs = ids(scale_project(project, range(2)))
    old, copied = (project.workdir / j for j in jobs)
    # A job of an acbuild that recorded no digests of its sources: nothing to check them by.
    setup = json.loads((old / "setup.json").read_text())
    del setup["code"]["files"]
    (old / "setup.json").write_text(json.dumps(setup))
    # A job whose source file is its own (a copy): a change to it is its own.
    mine = copied / "source" / "methods" / "scale.py"
    data = mine.read_bytes()
    mine.unlink()
    mine.write_bytes(data + b"\n# edited\n")
    report = json.loads(project.acbuild("verify", "--json", check=1).stdout)
    by_id = {j["id"]: j for j in report["jobs"]}
    assert by_id[old.name]["intact"]
    [change] = by_id[copied.name]["changes"]
    assert change["file"] == "source/methods/scale.py" and change["what"] == "changed"
    assert "shared_by" not in change and "shared" not in change["detail"]
    assert report["shared_changes"] == []
    (copied / "source" / "methods" / "_helper.py").unlink()
    report = json.loads(project.acbuild("verify", copied.name, "--json", check=1).stdout)
    assert {(c["file"], c["what"]) for c in report["jobs"][0]["changes"]} == {
        ("source/methods/scale.py", "changed"), ("source/methods/_helper.py", "missing")}
