"""Job build locks: one holder at a time, across processes, and no file per job."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from acbuild import joblocks
from acbuild.workdir import Workdir


@pytest.fixture
def target(tmp_path: Path) -> Workdir:
    w = Workdir(tmp_path / "dev")
    w.ensure()
    return w


def test_a_job_lock_has_one_holder_until_released(target: Workdir) -> None:
    first = target.lock("clean-3f9a2c1be07d")
    assert first is not None
    assert target.lock("clean-3f9a2c1be07d") is None  # a second holder, same process
    other = target.lock("clean-000000000000")  # another job is not in the way
    assert other is not None
    first.release()
    again = target.lock("clean-3f9a2c1be07d")
    assert again is not None
    for lock in (again, other):
        lock.release()


@pytest.mark.skipif(joblocks.OFD_SETLK is None, reason="per-job lock files on this system")
def test_job_locks_share_one_file(target: Workdir) -> None:
    locks = [target.lock(f"m-{i:012x}") for i in range(50)]
    assert all(locks)
    assert sorted(p.name for p in (target.path / ".tmp").iterdir()) == ["jobs.lock"]
    for lock in locks:
        assert lock is not None
        lock.release()


def test_the_per_job_lock_files_where_ofd_locks_are_missing(target: Workdir) -> None:
    first = target._lock_file("clean-3f9a2c1be07d")
    assert first is not None
    assert target._lock_file("clean-3f9a2c1be07d") is None
    first.release()
    assert (target.path / ".tmp" / "clean-3f9a2c1be07d.lock").exists()
    assert target.remove_stale_locks() == 1
    assert not (target.path / ".tmp" / "clean-3f9a2c1be07d.lock").exists()


def test_another_process_holds_the_lock_until_it_dies(target: Workdir) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from acbuild.workdir import Workdir\n"
         "lock = Workdir(Path(sys.argv[1])).lock('clean-3f9a2c1be07d')\n"
         "print('held' if lock else 'refused', flush=True); time.sleep(60)",
         str(target.path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert target.lock("clean-3f9a2c1be07d") is None
        assert target.remove_stale_locks() == 0  # the shared lock file is never removed
    finally:
        holder.kill()
        holder.wait()
    lock = target.lock("clean-3f9a2c1be07d")
    assert lock is not None
    lock.release()


def test_lock_offsets_stay_inside_a_file_offset() -> None:
    offsets = {joblocks.lock_offset(f"m-{i:012x}") for i in range(1000)}
    assert len(offsets) == 1000
    assert all(0 <= o < 2**62 for o in offsets)
