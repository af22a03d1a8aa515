"""A Dask worker that does not see the work directory at the coordinator's path is one clear
error before any job starts. The worker runs in its own mount namespace, where an empty
tmpfs is mounted over the project: the path exists there, but it is another file system
(as on a node that does not mount the shared one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SRC, Project, staging_leftovers, stop

distributed = pytest.importorskip("distributed")


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                           capture_output=True, timeout=10)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not _can_unshare(),
                                reason="needs unshare -m (root, or user namespaces)")


@pytest.fixture
def blind_worker(project: Project) -> Iterator[tuple[str, str]]:
    """(scheduler address, worker address): one worker, which sees a tmpfs at the project."""
    project.root.mkdir(parents=True, exist_ok=True)
    local = distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None)
    client = distributed.Client(local, set_as_default=False)
    script = ('mount -t tmpfs tmpfs "$1" && exec "$2" -m distributed.cli.dask_worker "$3" '
              '--no-nanny --nthreads 1 --no-dashboard --host 127.0.0.1')
    worker = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
         str(project.root), sys.executable, local.scheduler_address],
        env={**os.environ, "PYTHONPATH": str(SRC)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        client.wait_for_workers(1, timeout=60)
        [address] = client.scheduler_info()["workers"]
        yield local.scheduler_address, address
    finally:
        stop(worker, timeout=20)
        client.close()
        local.close(timeout=30)


def test_a_worker_that_does_not_see_the_work_directory_is_a_clear_error(
        project: Project, blind_worker: tuple[str, str]):
    scheduler, worker = blind_worker
    project.method("one", "def synthesis():\n    return 1\n")
    project.script('def main(urd):\n    urd.build("one")\n')
    proc = project.acbuild("run", "--executor", "dask", "--scheduler", scheduler, check=2,
                           timeout=120)
    assert f"the Dask worker {worker}" in proc.stderr, proc.stderr
    assert f"does not see the work directory {project.workdir} at that path" in proc.stderr
    assert proc.stderr.count("error") == 1
    assert project.job_dirs() == [] and staging_leftovers(project.workdir) == []
    assert not list((project.workdir / ".tmp").glob("executor-check*"))  # the marker went
    assert Path(project.root / "methods" / "one.py").exists()  # here, the project is intact
