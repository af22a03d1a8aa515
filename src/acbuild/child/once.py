"""``python -m acbuild.child JOB_DIR CONCURRENCY``: one job, run in this very process.

For an executor that starts a process per job on another machine (``executors/dask``):
the job's parent is whoever started it (a Dask worker), and it dies with that parent.
The method is loaded as the warm launcher loads it (``_Launcher.load``), so a job runs
the same way whichever executor ran it.
"""

from __future__ import annotations

import contextlib
import os
import traceback
from typing import NoReturn

from acbuild.child import process
from acbuild.child.launcher import _Launcher
from acbuild.child.run import line_buffered, run_job


def run_once(job_dir: str, concurrency: int) -> NoReturn:
    """Run the job in ``job_dir`` here and exit with its status (0 ok, 1 failed)."""
    status = 1
    try:
        process._load_libc()
        process._die_with(os.getppid())  # a job never outlives the worker that started it
        with contextlib.suppress(OSError):  # a session leader already leads its group
            os.setpgid(0, 0)  # one group with its slices: a kill takes them all
        process._interruptible()
        line_buffered()
        setup, module = _Launcher(-1, -1).load(job_dir)
        status = run_job(job_dir, concurrency, module, setup)
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        process._end(status)
