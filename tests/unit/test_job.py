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
