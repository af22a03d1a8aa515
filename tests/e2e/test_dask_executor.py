"""`acbuild run --executor dask` on a LocalCluster (2 worker processes on 127.0.0.1): the same
jobs and results as a local run, each job a process of a worker, worker loss, resources."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import SRC, Project, alive, staging_leftovers

distributed = pytest.importorskip("distributed")

EXAMPLE = Path(__file__).resolve().parents[2] / "example_project"


@dataclass
class Cluster:
    address: str
    client: Any

    def worker_pids(self) -> dict[str, int]:
        pids: dict[str, int] = self.client.run(os.getpid)
        return pids

    def wait_for(self, workers: int) -> None:
        self.client.wait_for_workers(workers, timeout=60)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    local = distributed.LocalCluster(
        n_workers=2, threads_per_worker=2, processes=True, host="127.0.0.1",
        dashboard_address=None, worker_dashboard_address=None, resources={"cpus": 4, "memory": 8e9},
        env={"PYTHONPATH": str(SRC)})
    client = distributed.Client(local, set_as_default=False)
    try:
        client.wait_for_workers(2, timeout=60)
        yield Cluster(local.scheduler_address, client)
    finally:
        client.close()
        local.close(timeout=30)


def on_dask(project: Project, cluster: Cluster, *args: str, check: int | None = 0,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return project.acbuild("run", "--executor", "dask", "--scheduler", cluster.address,
                           *args, check=check, timeout=timeout)


def report(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def posts(workdir: Path) -> dict[str, dict[str, Any]]:
    return {p.name: json.loads((p / "post.json").read_text()) for p in workdir.iterdir()
            if p.is_dir() and not p.name.startswith(".")}


def example_copy(root: Path) -> Project:
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("workdirs", "__pycache__"))
    project = Project(root)  # its acbuild.toml: the example's settings, as written there
    return project


def test_example_project_same_jobs_and_results_as_local(cluster: Cluster, tmp_path: Path):
    here, there = example_copy(tmp_path / "local"), example_copy(tmp_path / "dask")
    for script in ("build.py", "build_graph.py"):
        here.acbuild("run", "--json", script)
        on_dask(there, cluster, "--json", script)
    local, remote = posts(here.workdir), posts(there.workdir)
    assert sorted(remote) == sorted(local) and len(local) == 13
    pids = set(cluster.worker_pids().values())
    for job_id, post in remote.items():
        assert post["files"].keys() == local[job_id]["files"].keys()
        assert [f["blake3"] for f in post["files"].values()] == \
               [f["blake3"] for f in local[job_id]["files"].values()]
        result = there.workdir / job_id / "result.pickle"
        if result.exists():
            assert result.read_bytes() == (here.workdir / job_id / "result.pickle").read_bytes()
        assert post["executor"]["kind"] == "dask" and post["executor"]["worker_pid"] in pids
        assert "executor" not in local[job_id]
    again = report(on_dask(there, cluster, "--json", "build_graph.py"))
    assert {j["state"] for j in again["jobs"]} == {"reused"}


STEP = """
import os

options = {"n": 0}
jobs = ("prev",)


def analysis(sliceno):
    return os.getppid()


def synthesis(options, jobs, analysis_res):
    before = jobs.prev.load()["total"] if jobs.prev else 0
    return {"total": before + options.n, "pid": os.getpid(), "ppid": os.getppid(),
            "slice_parents": sorted(set(analysis_res))}
"""

FIFTY = """
def main(urd):
    made = []
    for n in range(50):
        made.append(urd.build("step", n=n, prev=made[n - 5] if n >= 5 else None))
"""


def test_fifty_jobs_each_in_a_worker_process_then_all_reused(cluster: Cluster, project: Project):
    project.method("step", STEP)
    project.script(FIFTY)
    first = report(on_dask(project, cluster, "--json", "-j", "4"))
    assert first["counts"]["built"] == 50
    pids = set(cluster.worker_pids().values())
    for job in first["jobs"]:
        path = Path(job["path"])
        post = json.loads((path / "post.json").read_text())
        result = pickle.loads((path / "result.pickle").read_bytes())
        ran = post["executor"]
        assert ran["kind"] == "dask" and ran["host"] == socket.gethostname()
        # The job's own process says who its parent is: a worker, as post.json records.
        assert result["ppid"] == ran["worker_pid"] in pids
        assert result["pid"] == ran["pid"]
        assert result["slice_parents"] == [ran["pid"]]  # its slices ran on its worker
    assert max(totals(first).values()) == sum(range(4, 50, 5))  # the chain that ends at 49
    # -j on Dask is jobs in flight: never more than 4 job processes lived at once.
    spans = [(p["start"], p["end"]) for p in posts(project.workdir).values()]
    assert max(sum(s <= start < e for s, e in spans) for start, _ in spans) <= 4
    second = report(on_dask(project, cluster, "--json"))
    assert second["counts"] == {"built": 0, "reused": 50, "failed": 0, "skipped": 0}
    # The same graph built locally: the same job ids, the same results.
    local = Project(project.root.parent / "local")
    local.method("step", STEP)
    local.script(FIFTY)
    assert totals(local.run_json()) == totals(first)


def totals(run: dict[str, Any]) -> dict[str, int]:
    return {job["id"]: pickle.loads((Path(job["path"]) / "result.pickle").read_bytes())["total"]
            for job in run["jobs"]}


SLEEPER = """
import os
import time

options = {"marker": ""}


def synthesis(options):
    if not os.path.exists(options.marker):
        with open(options.marker + ".tmp", "w") as f:
            f.write(f"{os.getppid()} {os.getpid()}")
        os.rename(options.marker + ".tmp", options.marker)
        time.sleep(120)  # until the test kills this job's worker
    return os.getppid()
"""


@contextmanager
def _sleeper_started(cluster: Cluster, project: Project,
                     *args: str) -> Iterator[tuple[subprocess.Popen[str], int, int]]:
    """A run on the cluster whose one job sleeps for two minutes: (the run, the worker's pid,
    the job's pid) once the job has started. The run is killed if it has not ended by then."""
    cluster.wait_for(2)
    marker = project.root / "started"
    project.method("sleeper", SLEEPER)
    project.script(f'def main(urd):\n    urd.build("sleeper", marker={str(marker)!r})\n')
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "acbuild", "run", *args, "--executor", "dask", "--scheduler",
         cluster.address], cwd=project.root, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert marker.exists(), proc.stderr.read() if proc.poll() is not None else "no start"
        worker_pid, job_pid = map(int, marker.read_text().split())
        yield proc, worker_pid, job_pid
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _kill_the_worker_mid_job(cluster: Cluster, project: Project,
                             *args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    with _sleeper_started(cluster, project, "--json", *args) as (proc, worker_pid, _):
        assert worker_pid in cluster.worker_pids().values()
        os.kill(worker_pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), worker_pid


def test_a_worker_killed_mid_job_is_retried_on_another(cluster: Cluster, project: Project):
    done, killed = _kill_the_worker_mid_job(cluster, project)
    assert done.returncode == 0, done.stderr
    [job] = report(done)["jobs"]
    assert job["state"] == "built"
    ran = json.loads((Path(job["path"]) / "post.json").read_text())["executor"]
    assert ran["attempt"] == 2 and ran["worker_pid"] != killed
    assert pickle.loads((Path(job["path"]) / "result.pickle").read_bytes()) \
           == ran["worker_pid"]
    assert staging_leftovers(project.workdir) == []
    assert not list((project.workdir / ".tmp").glob("*.attempt*"))


def test_with_no_retries_a_lost_worker_fails_the_job_naming_its_host(cluster: Cluster,
                                                                     project: Project):
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 2\n\n'
                                  '[executor]\nretries = 0\n')
    done, killed = _kill_the_worker_mid_job(cluster, project)
    assert done.returncode == 1, done.stderr
    [job] = report(done)["jobs"]
    assert job["state"] == "failed"
    assert f"host {socket.gethostname()}" in job["reason"]
    assert f"pid {killed}" in job["reason"] and "died" in job["reason"]
    assert project.job_dirs() == []  # nothing published; the attempt is kept in .failed/
    assert len(list((project.workdir / ".failed").iterdir())) == 1


def test_a_resource_request_no_worker_meets_is_an_error_before_any_job(cluster: Cluster,
                                                                     project: Project):
    project.method("plain", "def synthesis():\n    return 1\n")
    project.method("big", 'resources = {"cpus": 2, "memory": "1GiB"}\n\n'
                          "def synthesis():\n    return 2\n")
    project.method("gpu", 'resources = {"gpus": 1}\n\ndef synthesis():\n    return 3\n')
    project.script('def main(urd):\n    urd.build("plain")\n    urd.build("big")\n'
                   '    urd.build("gpu")\n')
    proc = on_dask(project, cluster, check=2)
    assert "gpu-" in proc.stderr and "gpus 1" in proc.stderr, proc.stderr
    assert "no worker" in proc.stderr
    assert project.job_dirs() == [] and staging_leftovers(project.workdir) == []
    # urd.build(resources=...) asks over the method's own declaration: refused the same way.
    project.script('def main(urd):\n    urd.build("plain")\n'
                   '    urd.build("big", resources={"memory": "64GiB"})\n')
    proc = on_dask(project, cluster, check=2)
    assert "big-" in proc.stderr and "memory 64GiB" in proc.stderr, proc.stderr
    assert project.job_dirs() == []
    # What the workers do have is asked for, and met; resources are not identity.
    project.script('def main(urd):\n    urd.build("plain")\n'
                   '    urd.build("big", resources={"memory": "2GiB"})\n')
    ran = report(on_dask(project, cluster, "--json"))
    assert ran["counts"]["built"] == 2
    project.script('def main(urd):\n    urd.build("plain")\n    urd.build("big")\n')
    assert report(on_dask(project, cluster, "--json"))["counts"]["reused"] == 2


def test_ctrl_c_kills_the_running_job_on_its_worker(cluster: Cluster, project: Project):
    with _sleeper_started(cluster, project) as (proc, _, job_pid):
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert proc.returncode == 130
    deadline = time.monotonic() + 20
    while alive(job_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(job_pid)
    assert project.job_dirs() == [] and staging_leftovers(project.workdir) == []


def _break_python(home: str | None) -> None:
    """On a worker: what the job processes it starts inherit (None: as it was)."""
    if home is None:
        os.environ.pop("PYTHONHOME", None)
    else:
        os.environ["PYTHONHOME"] = home


def test_a_job_that_never_started_fails_with_what_its_process_said(cluster: Cluster,
                                                                    project: Project):
    cluster.wait_for(2)
    project.method("one", "def synthesis():\n    return 1\n")
    project.script('def main(urd):\n    urd.build("one")\n')
    # The workers' environment breaks the interpreter a job process starts with.
    cluster.client.run(_break_python, "/nonexistent-python-home")
    try:
        proc = on_dask(project, cluster, "--json", check=1)
    finally:
        cluster.client.run(_break_python, None)
    [job] = report(proc)["jobs"]
    assert job["state"] == "failed"
    assert "before the job started" in job["reason"]
    assert f"(host {socket.gethostname()})" in job["reason"]
    assert "nonexistent-python-home" in job["reason"] or "Python" in job["reason"]
    assert "The worker's log:" in job["reason"]
    assert project.job_dirs() == []


def test_executor_from_the_config_or_a_scheduler_file(cluster: Cluster, project: Project):
    project.method("one", "import os\n\ndef synthesis():\n    return os.getppid()\n")
    project.script('def main(urd):\n    urd.build("one")\n')
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 2\n\n'
                                  f'[executor]\nkind = "dask"\naddress = "{cluster.address}"\n')
    first = project.run_json()  # no option: [executor] says where
    [job] = first["jobs"]
    post = json.loads((Path(job["path"]) / "post.json").read_text())
    assert post["executor"]["worker_pid"] in cluster.worker_pids().values()
    # --scheduler-file, with the keys `dask scheduler --scheduler-file` writes that a client
    # reads (Client.write_scheduler_file fails once workers report metrics with tuple keys,
    # so the test writes it); --force builds again.
    scheduler_file = project.root / "scheduler.json"
    scheduler_file.write_text(json.dumps({"type": "Scheduler", "address": cluster.address}))
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 2\n')
    again = report(project.acbuild("run", "--json", "--force", "one", "--scheduler-file",
                                   str(scheduler_file)))
    [job] = again["jobs"]
    assert job["state"] == "built"
    assert "executor" in json.loads((Path(job["path"]) / "post.json").read_text())
    # --executor local wins over the config.
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 2\n\n'
                                  '[executor]\nkind = "dask"\naddress = "tcp://127.0.0.1:9"\n')
    local = project.run_json("--executor", "local", "--force", "one")
    [job] = local["jobs"]
    assert "executor" not in json.loads((Path(job["path"]) / "post.json").read_text())


def test_urd_build_resources_are_checked_and_never_identity_locally(project: Project):
    project.method("one", "def synthesis():\n    return 1\n")
    project.script('def main(urd):\n    urd.build("one", resources={"gpus": -1})\n')
    proc = project.acbuild("run", check=2)
    assert "build.py:2" in proc.stderr and "'gpus' must be a whole number" in proc.stderr
    assert project.job_dirs() == []
    project.script('def main(urd):\n    urd.build("one")\n')
    first = project.run_json()
    project.script('def main(urd):\n    urd.build("one", resources={"cpus": 1, "gpus": 1})\n')
    again = project.run_json()  # the local executor runs it here, as before: reused
    assert again["jobs"][0]["state"] == "reused" and again["jobs"][0]["id"] == \
           first["jobs"][0]["id"]
    # A method with an option named "resources" takes it through options=.
    project.method("two", 'options = {"resources": 0}\n\ndef synthesis(options):\n'
                          '    return options.resources\n')
    project.script('def main(urd):\n    urd.build("two", resources={"cpus": 1})\n')
    proc = project.acbuild("run", check=2)
    assert "'resources' is both a parameter of urd.build and an option" in proc.stderr


def test_dask_without_a_scheduler_is_an_error_before_the_script_runs(project: Project):
    project.method("one", "def synthesis():\n    return 1\n")
    project.script('def main(urd):\n    print("evaluated")\n    urd.build("one")\n')
    proc = project.acbuild("run", "--executor", "dask", check=2)
    assert "the dask executor needs a scheduler" in proc.stderr
    assert "evaluated" not in proc.stdout + proc.stderr and project.job_dirs() == []
