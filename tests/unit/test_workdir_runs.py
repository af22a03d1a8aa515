"""workdir: a run's byte of the runs' lock file says it lives, from another process too."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from acbuild.workdir import Workdir


def test_a_held_byte_is_alive_and_a_dead_holders_byte_is_free(tmp_path: Path) -> None:
    workdir = Workdir(tmp_path)
    workdir.ensure()
    assert not workdir.run_alive(12345)  # no run ever held a byte here
    hold, offset = workdir.hold_run()
    other, other_offset = workdir.hold_run()
    assert offset != other_offset
    assert workdir.run_alive(offset) and workdir.run_alive(other_offset)
    assert workdir.run_alive(offset)  # asking does not take it from its holder
    hold.release()
    assert not workdir.run_alive(offset) and workdir.run_alive(other_offset)
    other.release()
    # A process that holds a byte and dies: the kernel frees it.
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover  (the child)
        try:
            _, held = workdir.hold_run()
            os.write(ready_w, held.to_bytes(8, "big"))
            signal.pause()
        finally:
            os._exit(0)
    held = int.from_bytes(os.read(ready_r, 8), "big")
    assert workdir.run_alive(held)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert not workdir.run_alive(held)
