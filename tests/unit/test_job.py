"""The Job handle: names stay inside the job directory; only the job being built writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from acbuild.job import Job, contained_path


@pytest.fixture
def job_dir(tmp_path: Path) -> Path:
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "data.txt").write_text("d")
    (tmp_path / "other").mkdir()
    return tmp_path / "job"


@pytest.mark.parametrize("name", ["..", "../other/x", "a/../../x", "/etc/passwd", "",
                                  "/" + "x"])
def test_names_that_leave_are_refused(job_dir: Path, name: str) -> None:
    with pytest.raises(ValueError):
        contained_path(job_dir, name)


def test_links_that_lead_out_are_refused_and_links_inside_are_not(job_dir: Path) -> None:
    os.symlink(job_dir.parent / "other", job_dir / "out")
    os.symlink("data.txt", job_dir / "alias")
    with pytest.raises(ValueError, match="leaves the job directory"):
        contained_path(job_dir, "out/x")
    assert contained_path(job_dir, "alias") == job_dir / "alias"
    assert contained_path(job_dir, "sub/./x") == job_dir / "sub/./x"


def test_only_the_job_being_built_writes(job_dir: Path) -> None:
    finished = Job(job_dir)
    assert finished.open("data.txt").read() == "d"
    for mode in ("w", "a", "r+", "x", "wb"):
        with pytest.raises(PermissionError, match="not the job being built"):
            finished.open("new.txt", mode)
    building = Job(job_dir, writable=True)
    with building.open("new.txt", "w") as f:
        f.write("n")
    assert (job_dir / "new.txt").read_text() == "n"


@pytest.mark.parametrize("name", ["setup.json", "post.json", "./post.json", "stdout.log",
                                  "stderr.log", "source/m.py", "result.pickle"])
def test_its_own_records_are_not_the_methods_to_write(job_dir: Path, name: str) -> None:
    with pytest.raises(PermissionError, match="acbuild's record"):
        Job(job_dir, writable=True).open(name, "w")


def test_a_record_name_deeper_down_is_just_a_name(job_dir: Path) -> None:
    (job_dir / "sub").mkdir()
    with Job(job_dir, writable=True).open("sub/setup.json", "w") as f:
        f.write("{}")


def test_the_job_being_built_writes_through_its_directory_wherever_the_process_is(
        job_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    building = Job(job_dir, writable=True)
    monkeypatch.chdir(tmp_path / "other")
    with building.open("plots/deep/roc.json", "w") as f:  # directories made on the way
        f.write("{}")
    assert (job_dir / "plots" / "deep" / "roc.json").read_text() == "{}"
    assert list((tmp_path / "other").iterdir()) == []
    with building.open("data.txt", "a") as f:
        f.write("+")
    assert building.open("data.txt").read() == "d+"


@pytest.mark.parametrize("make, name", [
    (lambda d: os.symlink(".", d / "self"), "self/post.json"),
    (lambda d: os.symlink(d.parent / "other", d / "out"), "out/x.txt"),
    (lambda d: (os.mkdir(d / "real"), os.symlink("real", d / "inside")), "inside/x.txt"),
    (lambda d: os.symlink(d.parent / "other" / "x.txt", d / "alias.txt"), "alias.txt"),
])
def test_the_job_being_built_never_writes_through_a_link(job_dir: Path, make, name) -> None:
    make(job_dir)
    with pytest.raises(ValueError, match="through the link"):
        Job(job_dir, writable=True).open(name, "w")
    with pytest.raises(ValueError, match="through the link"):
        Job(job_dir, writable=True).filename(name)
    assert list((job_dir.parent / "other").iterdir()) == []
    assert not (job_dir / "post.json").exists()


def test_a_hard_link_or_a_fifo_is_not_the_jobs_to_write(job_dir: Path) -> None:
    (job_dir.parent / "other" / "theirs.txt").write_text("theirs")
    os.link(job_dir.parent / "other" / "theirs.txt", job_dir / "hard.txt")
    os.mkfifo(job_dir / "fifo")
    building = Job(job_dir, writable=True)
    with pytest.raises(ValueError, match="hard link"):
        building.open("hard.txt", "w")
    with pytest.raises((ValueError, OSError)):  # ENXIO: no reader, and no wait for one
        building.open("fifo", "w")
    with pytest.raises(ValueError, match="not a regular file"):
        building.open("fifo", "r+")
    assert (job_dir.parent / "other" / "theirs.txt").read_text() == "theirs"


def test_its_directory_is_the_one_it_was_given_or_none(job_dir: Path, tmp_path: Path) -> None:
    building = Job(job_dir, writable=True)
    os.close(building._dir._fd)  # a method that closes every descriptor
    with building.open("new.txt", "w") as f:  # reopened by its path: the same directory
        f.write("n")
    assert (job_dir / "new.txt").read_text() == "n"
    os.rename(job_dir, tmp_path / "moved")
    os.mkdir(job_dir)  # another directory where it was
    os.close(building._dir._fd)
    with pytest.raises(FileNotFoundError, match="replaced"):
        building.open("new.txt", "w")
    assert list(job_dir.iterdir()) == []


def test_a_pickled_handle_is_read_only(job_dir: Path) -> None:
    import pickle

    copy = pickle.loads(pickle.dumps(Job(job_dir, "job-1", writable=True)))
    assert copy == Job(job_dir, "job-1") and copy.path == job_dir and not copy.writable
    with pytest.raises(PermissionError, match="not the job being built"):
        copy.open("new.txt", "w")


def test_the_job_being_built_names_itself_but_never_writes_itself(job_dir: Path) -> None:
    building = Job(job_dir, writable=True)
    assert building.filename(".") == building.filename("sub/..") == job_dir
    with pytest.raises(ValueError, match="the job directory itself"):
        building.open(".", "w")


def test_namespaces_give_attribute_access_at_every_depth() -> None:
    from collections import OrderedDict

    from acbuild.job import OrderedNamespace, namespaces

    value = namespaces({"cfg": {"inner": {"deep": 1}}, "rows": [{"n": 2}], "pair": ({"a": 3},),
                        "od": OrderedDict([("z", {"q": 4}), ("y", 5)])})
    assert value.cfg.inner.deep == 1 and value["cfg"]["inner"]["deep"] == 1
    assert value.rows[0].n == 2 and value.pair[0].a == 3 and type(value.pair) is tuple
    assert type(value.od) is OrderedNamespace and list(value.od) == ["z", "y"]
    assert value.od.z.q == 4 and value.od == OrderedDict([("z", {"q": 4}), ("y", 5)])
    with pytest.raises(AttributeError, match="no 'nope' here; known: inner"):
        _ = value.cfg.nope
