"""Executors: the [executor] table, resource requests as Dask resources, resources never in
identity, and dask imported only when a run asks for it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from acbuild import graph
from acbuild.config import ExecutorConfig, load_project
from acbuild.errors import ConfigError, ExecutorError
from acbuild.executors import open_executor
from acbuild.executors.dask.resources import dask_resources, meets, shown
from acbuild.executors.local import LocalExecutor


def test_executor_defaults_to_local(tmp_path: Path) -> None:
    assert load_project(tmp_path).executor == ExecutorConfig("local", None, None, 1)


def test_executor_table(tmp_path: Path) -> None:
    (tmp_path / "acbuild.toml").write_text(
        '[executor]\nkind = "dask"\nscheduler_file = "shared/s.json"\nretries = 3\n')
    config = load_project(tmp_path).executor
    assert config == ExecutorConfig("dask", None, tmp_path.resolve() / "shared" / "s.json", 3)


@pytest.mark.parametrize(("table", "says"), [
    ('kind = "ray"', "'executor.kind' must be \"local\" or \"dask\""),
    ("retries = -1", "'executor.retries' must not be negative"),
    ('retries = "1"', "'executor.retries' must be an integer"),
    ('host = "x"', "unknown key 'executor.host'"),
])
def test_bad_executor_table_is_a_config_error(tmp_path: Path, table: str, says: str) -> None:
    (tmp_path / "acbuild.toml").write_text(f"[executor]\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        load_project(tmp_path)
    assert says in caught.value.message
    assert caught.value.where == str(tmp_path.resolve() / "acbuild.toml")


def test_dask_without_a_scheduler_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExecutorError) as caught:
        open_executor(ExecutorConfig("dask"), tmp_path)
    assert "--scheduler" in (caught.value.hint or "")


def test_declared_resources_become_dask_resources() -> None:
    wanted = dask_resources({"cpus": 2, "memory": "4GiB", "gpus": 1})
    assert wanted == {"cpus": 2.0, "memory": float(4 * 2**30), "gpus": 1.0}
    assert dask_resources({}) == {}  # only what a method declares is asked for
    assert shown(wanted) == "cpus 2, gpus 1, memory 4GiB"


def test_a_worker_meets_a_request_only_with_every_resource() -> None:
    assert meets({"cpus": 4, "memory": 8e9}, {"cpus": 4, "memory": 4e9})
    assert not meets({"cpus": 4, "memory": 8e9}, {"gpus": 1})
    assert not meets({}, {"cpus": 1})


def test_resources_are_never_identity() -> None:
    plain = graph.make_spec("m", "0" * 64, {"n": 1}, {}, None)
    asking = graph.make_spec("m", "0" * 64, {"n": 1}, {}, None, resources={"gpus": 1})
    assert asking.hash == plain.hash and asking.id == plain.id
    assert asking.resources == (("gpus", 1),) and plain.resources == ()


def test_local_executor_gives_a_job_its_slices_within_what_is_free() -> None:
    with LocalExecutor() as local:
        assert local.slots(4, 8) == 4
        assert local.slots(4, 2) == 2
        local.admit([])  # this machine is the only one: nothing to check


def test_importing_the_dask_executor_does_not_import_dask() -> None:
    code = ("import sys, acbuild.executors.dask, acbuild.engine, acbuild.session; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
