"""A job's logs: each part read back on its own, the whole log in order, its tail."""

from __future__ import annotations

from pathlib import Path

import pytest

from acbuild import joblog


def write_job(job_dir: Path, synthesis: str = "done\n") -> Path:
    (job_dir / "slice-logs").mkdir(parents=True)
    (job_dir / "stdout.log").write_text(
        "--- acbuild: load ---\nimported\n--- acbuild: prepare ---\nready\n"
        f"--- acbuild: analysis ---\n--- acbuild: synthesis ---\n{synthesis}")
    (job_dir / "stderr.log").write_text("--- acbuild: prepare ---\nwarned\n")
    for n in (0, 1, 10):  # slice 10 sorts after 1 by number, not by name
        (job_dir / "slice-logs" / f"{n}.stdout.log").write_text(
            f"--- acbuild: analysis slice {n} ---\nslice {n}\n")
    (job_dir / "slice-logs" / "1.stderr.log").write_text(
        "--- acbuild: analysis slice 1 ---\noops 1\n")
    return job_dir


def test_each_part_is_read_back_on_its_own(tmp_path: Path) -> None:
    job = write_job(tmp_path)
    assert joblog.read_output(job, "load") == "imported\n"
    assert joblog.read_output(job, "prepare") == "ready\n"
    assert joblog.read_output(job, 1) == "slice 1\n"
    assert joblog.read_output(job, 1, "stderr") == "oops 1\n"
    assert joblog.read_output(job, 2) == ""  # printed nothing (or no such slice)
    assert joblog.read_output(job, "analysis") == "slice 0\nslice 1\nslice 10\n"
    assert joblog.read_output(job, "synthesis") == "done\n"
    assert joblog.read_output(job) == "imported\nready\nslice 0\nslice 1\nslice 10\ndone\n"
    assert joblog.read_output(job, "prepare", "stderr") == "warned\n"
    for bad in ("finish", True):
        with pytest.raises(ValueError, match="no part"):
            joblog.read_output(job, bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no stream"):
        joblog.read_output(job, None, "stdin")


def test_the_whole_log_has_the_slices_in_their_place(tmp_path: Path) -> None:
    job = write_job(tmp_path)
    whole = joblog.read_log(job).decode()
    assert whole.index("ready") < whole.index("--- acbuild: analysis ---") \
        < whole.index("slice 0\n") < whole.index("slice 1\n") < whole.index("slice 10\n") \
        < whole.index("--- acbuild: synthesis ---")
    assert joblog.tail(job, lines=3) == ["slice 10", "--- acbuild: synthesis ---", "done"]
    assert joblog.tail(job, "stderr", lines=2) == ["--- acbuild: analysis slice 1 ---",
                                                   "oops 1"]


def test_a_long_log_is_found_in_pieces_and_its_tail_read_from_the_end(tmp_path: Path) -> None:
    long = "".join(f"line {i}\n" for i in range(300_000))  # the marker beyond the first MiB
    (tmp_path / "stdout.log").write_text(f"--- acbuild: prepare ---\n{long}"
                                         "--- acbuild: analysis ---\nafter\n")
    (tmp_path / "slice-logs").mkdir()
    (tmp_path / "slice-logs" / "0.stdout.log").write_text("slice 0\n")
    whole = joblog.read_log(tmp_path).decode()
    assert whole.endswith("--- acbuild: analysis ---\nslice 0\nafter\n")
    assert joblog.tail(tmp_path, lines=2, limit=100) == ["slice 0", "after"]
    assert joblog.read_output(tmp_path, "prepare") == long


def test_a_job_killed_before_its_analysis_marker_keeps_its_slices_logs(tmp_path: Path) -> None:
    (tmp_path / "stdout.log").write_text("--- acbuild: prepare ---\nready\n")
    (tmp_path / "slice-logs").mkdir()
    (tmp_path / "slice-logs" / "0.stdout.log").write_text("slice 0\n")
    assert joblog.read_log(tmp_path) == b"--- acbuild: prepare ---\nready\nslice 0\n"
    assert joblog.read_output(tmp_path / "missing") == ""


def test_the_slices_find_their_place_after_an_unfinished_line(tmp_path: Path) -> None:
    (tmp_path / "stdout.log").write_text("--- acbuild: prepare ---\nno newline"
                                         "--- acbuild: analysis ---\n--- acbuild: synthesis ---\n")
    (tmp_path / "slice-logs").mkdir()
    (tmp_path / "slice-logs" / "0.stdout.log").write_text("slice 0\n")
    assert joblog.read_log(tmp_path).endswith(b"slice 0\n--- acbuild: synthesis ---\n")
