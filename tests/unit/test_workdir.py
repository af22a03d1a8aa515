"""workdir: exact names in .tmp/ and .failed/, removal that never follows a link, and the
checks that tell an intact job directory from a damaged one."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from acbuild.errors import StorageError
from acbuild.hashing import hash_file
from acbuild.intact import changed_files, finished_record, job_damage, post_stat
from acbuild.workdir import Workdir, failed_attempt, failed_job_id, remove_entry, staged_job_id

DOTTED = "v1.2-0123456789ab"


@pytest.mark.parametrize(("name", "job_id"), [
    (f"{DOTTED}.4242.123456789", DOTTED),
    (f"{DOTTED}.replaced.123456789", DOTTED),
    (f"{DOTTED}.removed.4242.123456789", DOTTED),
    ("a-0123456789ab-fedcba987654.1.2", "a-0123456789ab-fedcba987654"),
    ("clean-3f9a2c1be07d.1.2", "clean-3f9a2c1be07d"),
    ("clean-3f9a2c1be07d", None),  # a job's name, not a staging one
    ("v1.4242.1", None),  # no job id in it
    ("clean-3f9a2c1be07d.1.2.3", None),
    ("notes", None),
    ("jobs.lock", None),
])
def test_staging_names_are_parsed_exactly(name: str, job_id: str | None) -> None:
    assert staged_job_id(name) == job_id


def test_failed_names_are_parsed_exactly() -> None:
    assert failed_job_id(f"{DOTTED}.20260101-120000.4242") == DOTTED
    assert failed_job_id(f"{DOTTED}.20260101-120000.4242.3") == DOTTED
    assert failed_job_id(f"{DOTTED}.20260101-120000.4242.damaged.3") == DOTTED
    assert failed_attempt(f"{DOTTED}.20260101-120000.4242.3") == DOTTED
    assert failed_attempt(f"{DOTTED}.20260101-120000.4242.damaged") is None
    assert failed_job_id(f"{DOTTED}.4242.1") is None
    assert failed_job_id("stray.20260101-120000.4242") is None


def test_remove_entry_removes_a_link_never_what_it_leads_to(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "sub" / "keep.txt").write_text("keep")
    link = tmp_path / "link"
    link.symlink_to(outside)
    remove_entry(link)
    assert not os.path.lexists(link)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "inner").symlink_to(outside)
    (tree / "file.txt").write_text("x")
    remove_entry(tree)
    assert not tree.exists()
    assert (outside / "sub" / "keep.txt").read_text() == "keep"
    remove_entry(tmp_path / "absent")  # nothing there: nothing to do


@pytest.mark.parametrize("name", [".tmp", ".failed"])
def test_a_linked_staging_or_failed_directory_is_refused(tmp_path: Path, name: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    workdir = Workdir(tmp_path / "dev")
    workdir.path.mkdir()
    (workdir.path / name).symlink_to(outside)
    with pytest.raises(StorageError, match=f"{name} is a link to {outside}"):
        workdir.ensure()


def test_job_ids_are_real_directories_only(tmp_path: Path) -> None:
    workdir = Workdir(tmp_path / "dev")
    workdir.ensure()
    (workdir.path / "a-000000000000").mkdir()
    (workdir.path / "b-000000000000").symlink_to(workdir.path / "a-000000000000")
    (workdir.path / "c-000000000000").write_text("")
    assert workdir.job_ids() == {"a-000000000000"}
    assert workdir.names() == {"a-000000000000", "b-000000000000", "c-000000000000"}


def finished_job(root: Path, job_id: str = "m-000000000000") -> Path:
    job = root / job_id
    job.mkdir(parents=True)
    (job / "out.txt").write_text("12345")
    st = (job / "out.txt").stat()
    (job / "setup.json").write_text(json.dumps({"format": 1, "id": job_id}))
    (job / "post.json").write_text(json.dumps({"status": "ok", "files": {"out.txt": {
        "size": st.st_size, "mtime_ns": st.st_mtime_ns,
        "blake3": hash_file(job / "out.txt")}}}))
    return job


def test_a_finished_job_is_intact_and_each_damage_is_named(tmp_path: Path) -> None:
    job = finished_job(tmp_path)
    assert job_damage(job) is None
    assert finished_record(str(job))[0] == json.loads((job / "post.json").read_text())["files"]
    st = (job / "post.json").stat()
    assert post_stat(str(job)) == (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    (job / "setup.json").unlink()
    assert job_damage(job) == "setup.json missing"
    with pytest.raises(StorageError, match="setup.json missing"):
        finished_record(str(job))
    other = finished_job(tmp_path, "m-111111111111")
    os.replace(other / "setup.json", job / "setup.json")
    assert job_damage(job) == "it holds another job (m-111111111111)"


def test_a_fifo_post_json_is_named_never_waited_on(tmp_path: Path) -> None:
    job = finished_job(tmp_path)
    (job / "post.json").unlink()
    os.mkfifo(job / "post.json")
    assert post_stat(str(job)) is None
    assert job_damage(job) == "post.json is not a regular file"
    with pytest.raises(StorageError, match="post.json is not a regular file"):
        finished_record(str(job))


def test_changed_files_go_by_content_when_the_mtime_moved(tmp_path: Path) -> None:
    job = finished_job(tmp_path)
    files = finished_record(str(job))[0]
    digests: list[Path] = []

    def digest(path: Path) -> str:
        digests.append(path)
        return hash_file(path)

    assert changed_files(str(job), files, digest) == [] and digests == []  # stats only
    later = time.time() + 10
    os.utime(job / "out.txt", (later, later))
    assert changed_files(str(job), files, digest) == []  # touched: the same bytes
    assert digests == [job / "out.txt"]
    (job / "out.txt").write_text("54321")
    assert changed_files(str(job), files, digest) == ["out.txt"]
    (job / "out.txt").write_text("longer")
    assert changed_files(str(job), files, digest) == ["out.txt"]
    (job / "out.txt").unlink()
    assert changed_files(str(job), files, digest) == ["out.txt (missing)"]
