"""The Accelerator's file API on a job handle (acbuild.jobfiles through acbuild.job):
names per slice, save and load, JSON, temporary files, background saves."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from acbuild import jobfiles
from acbuild.early import FinishEarly
from acbuild.job import Job


@pytest.fixture
def job(tmp_path: Path) -> Iterator[Job]:
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "setup.json").write_text(json.dumps(
        {"id": "m-1", "method": "m", "options": {"cfg": {"n": 2}}}))
    yield Job(tmp_path / "job", "m-1", writable=True)
    jobfiles.take_temps()  # this process's bookkeeping: not the next test's


def test_a_slice_number_names_the_file_as_the_accelerator_does() -> None:
    assert jobfiles.sliced_name("a.pickle", None) == "a.pickle"
    assert jobfiles.sliced_name(Path("d/a.pickle"), 3) == "d/a.pickle.3"
    for bad in (-1, True, "1", 1.0):
        with pytest.raises(ValueError, match="sliceno must be a slice number"):
            jobfiles.sliced_name("a", bad)  # type: ignore[arg-type]


def test_save_and_load_per_slice_and_the_handle(job: Job) -> None:
    saved = job.save(defaultdict(list, {"a": [1]}), "x.pickle", sliceno=2)
    assert saved.path == job.path / "x.pickle.2" == job.filename("x.pickle", sliceno=2)
    assert saved.filename == "x.pickle.2"
    assert saved.load() == {"a": [1]} and type(saved.load()) is dict
    assert job.load("x.pickle", sliceno=2) == Job(job.path).load("x.pickle.2") == {"a": [1]}
    j = job.json_save({"b": 1, "a": [2]}, "y.json")
    assert (job.path / "y.json").read_text() == '{\n    "a": [\n        2\n    ],\n    "b": 1\n}\n'
    assert j.load() == job.json_load("y.json") == {"a": [2], "b": 1}


def test_a_missing_file_is_an_error_unless_a_default_is_given(job: Job) -> None:
    reader = Job(job.path)
    assert reader.load() is None  # no result: None, as before
    with pytest.raises(FileNotFoundError):
        reader.load("nothing.pickle")
    with pytest.raises(FileNotFoundError):
        reader.json_load()
    assert reader.load("nothing.pickle", default=3) == 3
    assert reader.json_load("nothing.json", sliceno=1, default=None) is None
    assert reader.load(default="none") == "none"


def test_only_the_job_being_built_saves_and_never_onto_acbuilds_records(job: Job) -> None:
    with pytest.raises(PermissionError, match="not the job being built"):
        Job(job.path).save(1, "x.pickle")
    for record in ("result.pickle", "post.json", "setup.json"):
        with pytest.raises(PermissionError, match="acbuild's record"):
            job.save(1, record)
    with pytest.raises(ValueError, match="leaves the job directory"):
        job.save(1, "../x.pickle", background=True)  # refused here, not in the background


def test_temporary_files_are_removed_at_the_end(job: Job) -> None:
    job.save(1, "t.pickle", temp=True)
    with job.open("t.txt", "w", temp=True) as f:
        f.write("t")
    job.save(2, "kept.pickle")
    job.json_save([], "gone.json", sliceno=0, temp=True)
    os.unlink(job.path / "t.txt")  # removed by the method already: fine
    jobfiles.remove_temps(job)
    assert sorted(os.listdir(job.path)) == ["kept.pickle", "setup.json"]
    assert jobfiles.take_temps() == []


def test_background_saves_are_waited_for_and_a_failed_one_is_named(job: Job) -> None:
    data = list(range(100_000))
    saved = job.save(data, "big.pickle", background=True)
    data.append("after")  # the fork saved the object as it was
    assert saved.load() == list(range(100_000))
    job.save(lambda: 1, "bad.pickle", background=True)
    with pytest.raises(RuntimeError, match="background save of 'bad.pickle' failed"):
        jobfiles.wait_background()
    jobfiles.wait_background()  # nothing left to wait for


def test_register_file_checks_the_file_is_there(job: Job) -> None:
    job.save(1, "r.pickle")
    job.register_file("r.pickle")
    with pytest.raises(FileNotFoundError, match="no such file in m-1"):
        job.register_file("nope")


def test_params_and_finish_early(job: Job) -> None:
    assert job.params.options.cfg.n == 2 and Job(job.path).params.method == "m"
    with pytest.raises(FinishEarly) as caught:
        job.finish_early({"r": 1})
    assert caught.value.result == {"r": 1}
    assert not isinstance(caught.value, Exception)  # a method's `except Exception` lets it by
    with pytest.raises(PermissionError):
        Job(job.path).finish_early()


def test_a_refused_temporary_name_is_not_remembered(job: Job) -> None:
    with pytest.raises(PermissionError):
        job.open("post.json", "w", temp=True)
    with pytest.raises(ValueError):
        job.save(1, "../up.pickle", temp=True)
    assert jobfiles.take_temps() == []


def test_registering_a_temporary_file_keeps_it_and_register_files_lists(job: Job) -> None:
    with job.open("t.txt", "w", temp=True) as f:
        f.write("t")
    with job.open("kept temp.txt", "w", temp=True) as f:
        f.write("k")
    (job.path / "sub" / "deep").mkdir(parents=True)
    (job.path / "sub" / "deep" / "f.txt").write_text("f")
    (job.path / "plain.txt").write_text("p")
    job.register_file("kept temp.txt")
    assert job.register_files("*.txt") == {"plain.txt", "kept temp.txt"}
    assert job.register_files() == {"plain.txt", "kept temp.txt", "sub/deep/f.txt"}
    jobfiles.remove_temps(job)
    assert (job.path / "kept temp.txt").exists() and not (job.path / "t.txt").exists()


def test_wait_on_a_saved_handle(job: Job) -> None:
    saved = job.json_save({"a": 1}, "w.json", sliceno=0, background=True)
    saved.wait()
    saved.wait()  # again, or in another phase: nothing to wait for
    assert (saved.base, saved.sliceno, saved.name) == ("w.json", 0, "w.json.0")
    assert json.loads((job.path / "w.json.0").read_text()) == {"a": 1}
