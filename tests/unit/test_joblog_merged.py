"""The merged log tail `show` prints: both streams in one, each marker once, in order."""

from __future__ import annotations

from pathlib import Path

from test_joblog import write_job

from acbuild import joblog


def test_the_merged_tail_has_each_marker_once_and_stderr_marked(tmp_path: Path) -> None:
    job = write_job(tmp_path)
    assert joblog.merged_tail(job) == [
        "--- acbuild: load ---", "imported",
        "--- acbuild: prepare ---", "ready", "[stderr] warned",
        "--- acbuild: analysis ---",
        "--- acbuild: analysis slice 0 ---", "slice 0",
        "--- acbuild: analysis slice 1 ---", "slice 1", "[stderr] oops 1",
        "--- acbuild: analysis slice 10 ---", "slice 10",
        "--- acbuild: synthesis ---", "done"]
    assert joblog.merged_tail(job, lines=2) == ["--- acbuild: synthesis ---", "done"]


def test_a_tail_starting_mid_part_keeps_its_lines_first(tmp_path: Path) -> None:
    (tmp_path / "stdout.log").write_text(
        "--- acbuild: synthesis ---\n" + "".join(f"line {i}\n" for i in range(50)))
    (tmp_path / "stderr.log").write_text("--- acbuild: synthesis ---\nlate warning\n")
    tail = joblog.merged_tail(tmp_path, lines=5)
    assert tail == ["line 47", "line 48", "line 49", "--- acbuild: synthesis ---",
                    "[stderr] late warning"]
