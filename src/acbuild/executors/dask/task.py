"""What runs on a Dask worker: the task that runs one staged job as a process of the
worker (``run_staged``), and the small functions the coordinator runs on every worker
(``read_marker``, ``kill_keys``). Standard library only at import: ``distributed`` is
the worker's own, imported inside the task."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

_RUNNING: dict[str, int] = {}  # task key -> pid of the job process it started


def run_staged(job_dir: str, concurrency: int, attempt: int, claim: str,
               key: str) -> dict[str, Any]:
    """A Dask task: run the job staged in ``job_dir`` as a process of this worker, wait for
    it, and say how it ended. Runs on the worker; never raises for the job's sake."""
    from distributed import get_worker

    here = {"kind": "dask", "host": socket.gethostname(), "worker": get_worker().address,
            "worker_pid": os.getpid(), "attempt": attempt}
    if not os.path.isfile(os.path.join(job_dir, "setup.json")):
        return {"outcome": "unseen", "message": f"the worker {here['worker']} on host "
                f"{here['host']} does not see the job's directory {job_dir}", **here}
    try:
        fd = os.open(claim, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:  # an attempt of this task ran before: its worker died
        return {"outcome": "lost", "previous": read_claim(claim), **here}
    with os.fdopen(fd, "w") as f:
        json.dump(here, f)
    safe_path = ["-P"] if sys.version_info >= (3, 11) else []
    with tempfile.TemporaryFile() as errors:
        began = time.monotonic()
        try:
            proc = subprocess.Popen(
                [sys.executable, *safe_path, "-m", "acbuild.child", job_dir, str(concurrency)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
                start_new_session=True)
        except OSError as e:
            return {"outcome": "not_started", "message": f"the worker {here['worker']} on host "
                    f"{here['host']} could not start {sys.executable}: {e}", **here}
        _RUNNING[key] = proc.pid
        try:
            _, wait_status, usage = os.wait4(proc.pid, 0)
        finally:
            _RUNNING.pop(key, None)
        proc.returncode = status = os.waitstatus_to_exitcode(wait_status)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever it left running goes with it
        wall = round(time.monotonic() - began, 6)
        errors.seek(0)
        said = errors.read()[-4000:].decode(errors="replace")
    post = _record_executor(job_dir, {**here, "pid": proc.pid})
    return {"outcome": "exited", "status": status, "wall": wall,
            "cpu": round(usage.ru_utime + usage.ru_stime, 6), "maxrss_kib": usage.ru_maxrss,
            "post": post, "stderr": said, **here}


def read_marker(path: str) -> str:
    """On a worker: what the coordinator's marker file holds, seen from here."""
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return f"nothing ({e.strerror or e})"


def kill_keys(keys: list[str]) -> None:
    """On a worker: kill the job processes these tasks started (and their slices)."""
    for key in keys:
        pid = _RUNNING.get(key)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def _record_executor(job_dir: str, where: dict[str, Any]) -> dict[str, Any] | None:
    """Add where the job ran to its post.json (rewritten whole, by rename); its content."""
    path = os.path.join(job_dir, "post.json")
    try:
        with open(path, "rb") as f:
            post: dict[str, Any] = json.load(f)
    except (OSError, ValueError):
        return None  # it ended without one: the coordinator says how it ended
    post["executor"] = where
    partial = f"{path}.{os.getpid()}.partial"
    with open(partial, "w") as f:
        f.write(json.dumps(post) + "\n")
    os.replace(partial, path)
    return post


def read_claim(path: str) -> dict[str, Any] | None:
    """The claim an attempt's first worker wrote as it started the job, or None."""
    try:
        with open(path) as f:
            claim: dict[str, Any] = json.load(f)
            return claim
    except (OSError, ValueError):
        return None
