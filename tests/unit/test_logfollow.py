"""Following a job's logs: new complete lines per look, markers left out, the rest at the end."""

from __future__ import annotations

from pathlib import Path

from acbuild.logfollow import LogFollower


def test_new_lines_each_look_and_the_unfinished_one_at_the_end(tmp_path: Path) -> None:
    follower = LogFollower(tmp_path)
    assert follower.poll() == []  # no logs yet
    out = tmp_path / "stdout.log"
    out.write_text("--- acbuild: synthesis ---\nfirst\nsec")
    (tmp_path / "stderr.log").write_text("warn\n")
    assert follower.poll() == [("stdout", "first"), ("stderr", "warn")]
    with open(out, "a") as f:
        f.write("ond\nthird")
    assert follower.poll() == [("stdout", "second")]
    assert follower.poll(final=True) == [("stdout", "third")]
    assert follower.poll(final=True) == []


def test_a_large_burst_is_read_in_pieces_and_whole_at_the_end(tmp_path: Path) -> None:
    lines = [f"line {i:06d}" for i in range(20000)]
    (tmp_path / "stdout.log").write_text("\n".join(lines) + "\n")
    follower = LogFollower(tmp_path)
    first = follower.poll()
    assert 0 < len(first) < len(lines)
    assert [text for _, text in first + follower.poll(final=True)] == lines


def test_each_slices_own_log_is_followed_too(tmp_path: Path) -> None:
    follower = LogFollower(tmp_path)
    (tmp_path / "stdout.log").write_text("--- acbuild: analysis ---\n")
    assert follower.poll() == []
    (tmp_path / "slice-logs").mkdir()
    (tmp_path / "slice-logs" / "1.stdout.log").write_text(
        "--- acbuild: analysis slice 1 ---\none\n")
    (tmp_path / "slice-logs" / "0.stderr.log").write_text("zero\npart")
    assert follower.poll() == [("stdout", "one"), ("stderr", "zero")]
    with open(tmp_path / "slice-logs" / "1.stdout.log", "a") as f:
        f.write("two\n")
    assert follower.poll(final=True) == [("stdout", "two"), ("stderr", "part")]
