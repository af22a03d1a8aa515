"""A --scheduler-file that never appears is an error after the connect timeout (exit 2,
naming the file), not a run that waits forever as Dask's Client does (review-user)."""

from __future__ import annotations

import time

import pytest

from conftest import Project

pytest.importorskip("distributed")


def test_missing_scheduler_file_is_an_error(project: Project) -> None:
    project.method("one", "def synthesis():\n    return 1\n")
    project.script('def main(urd):\n    urd.build("one")\n')
    missing = project.root / "nowhere" / "scheduler.json"
    started = time.monotonic()
    proc = project.acbuild("run", "--executor", "dask", "--scheduler-file", str(missing),
                           check=2, timeout=120)
    assert time.monotonic() - started < 100
    assert f"the Dask scheduler file {missing} does not exist" in proc.stderr
    assert "dask scheduler --scheduler-file" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert project.job_dirs() == []
