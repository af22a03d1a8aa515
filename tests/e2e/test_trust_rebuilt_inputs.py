"""A job rebuilt in place under its id (forced, or a parent whose subjob changed) makes the
jobs that read it stale, in that run and in every later one: a run interrupted after the
input was rebuilt, before its readers were, never leaves them looking current with a
result of the old input. The no-op run stays a no-op; doctor --rebuild keeps the order."""

from __future__ import annotations

import json
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from conftest import SRC, Project, built

WAIT = 60  # seconds a run may take to reach the point a test waits for


def result(project: Project, job_id: str) -> Any:
    return pickle.loads((project.workdir / job_id / "result.pickle").read_bytes())


def by_method(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {j["method"]: j for j in report["jobs"]}


def external_data_project(project: Project, force: bool = False) -> Project:
    """``src`` reads a file that is not part of its identity (what `force` is for);
    ``reader`` reads src, ``top`` reads reader. ``reader`` can be made to fail, or to wait
    for the test to stop the run, by files in the project."""
    project.write("ext.txt", "v1")
    project.method("src", '''
        import os

        def synthesis():
            return open(os.path.join(os.environ["PROJECT"], "ext.txt")).read()
    ''')
    project.method("reader", '''
        import os
        import time

        jobs = ("src",)

        def synthesis(jobs):
            root = os.environ["PROJECT"]
            if os.path.exists(os.path.join(root, "fail")):
                raise RuntimeError("told to fail")
            if os.path.exists(os.path.join(root, "hang")):
                open(os.path.join(root, "started"), "w").close()
                time.sleep(60)
            return jobs.src.load() + "!"
    ''')
    project.method("top", '''
        jobs = ("reader",)

        def synthesis(jobs):
            return jobs.reader.load() + "?"
    ''')
    project.method("other", '''
        def synthesis():
            return "unrelated"
    ''')
    project.script(f'''
        def main(urd):
            s = urd.build("src", force={force})
            r = urd.build("reader", src=s)
            urd.build("top", reader=r)
            urd.build("other")
    ''')
    return project


def env(project: Project) -> dict[str, str]:
    return {"PROJECT": str(project.root)}


def run(project: Project, *args: str, check: int | None = 0) -> dict[str, Any]:
    proc = project.acbuild("run", "--json", *args, check=check, env=env(project))
    return json.loads(proc.stdout) if proc.stdout.strip() else {}


def start_run(project: Project) -> subprocess.Popen[str]:
    full_env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC), **env(project)}
    return subprocess.Popen([sys.executable, "-m", "acbuild", "run"], cwd=project.root,
                            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def stop_when_reader_starts(project: Project, sig: int) -> None:
    """Run the script until ``reader`` starts (its input already rebuilt), then stop the
    run with ``sig``, as Ctrl-C or a kill does."""
    (project.root / "hang").touch()
    proc = start_run(project)
    started = project.root / "started"
    deadline = time.monotonic() + WAIT
    while not started.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the reader never started"
        time.sleep(0.05)
    os.killpg(proc.pid, sig)
    proc.communicate(timeout=WAIT)
    assert proc.returncode != 0
    (project.root / "hang").unlink()
    started.unlink()


def assert_reader_stale_after(project: Project, first: dict[str, dict[str, Any]],
                              rebuilt: str) -> None:
    status = by_method(project.status_json())
    assert status["reader"]["state"] == "stale"
    assert (f"its input {first[rebuilt]['id']} was rebuilt after this job was built"
            in status["reader"]["reason"])
    assert status["top"]["state"] == "stale"
    assert status["other"]["state"] == "cached"


# -- force ---------------------------------------------------------------------------------
def test_a_forced_input_rebuilds_its_readers_in_the_same_run(project: Project) -> None:
    external_data_project(project)
    first = by_method(run(project))
    assert result(project, first["top"]["id"]) == "v1!?"
    project.write("ext.txt", "v2")
    report = by_method(run(project, "--force", "src"))
    assert {m: j["state"] for m, j in report.items()} == {
        "src": "built", "reader": "built", "top": "built", "other": "reused"}
    assert "its input" in report["reader"]["reason"]
    assert result(project, first["top"]["id"]) == "v2!?"
    assert built(run(project)) == []  # and then a no-op


def test_a_run_failing_after_a_forced_input_leaves_its_readers_stale(project: Project) -> None:
    external_data_project(project)
    first = by_method(run(project))
    project.write("ext.txt", "v2")
    (project.root / "fail").touch()
    run(project, "--force", "src", check=1)  # src is rebuilt, reader fails: the run stops
    (project.root / "fail").unlink()
    assert result(project, first["src"]["id"]) == "v2"
    assert_reader_stale_after(project, first, "src")
    report = by_method(run(project))  # no --force now
    assert {m: j["state"] for m, j in report.items()} == {
        "src": "reused", "reader": "built", "top": "built", "other": "reused"}
    assert result(project, first["top"]["id"]) == "v2!?"
    assert built(run(project)) == []


def test_ctrl_c_after_a_forced_input_leaves_its_readers_stale(project: Project) -> None:
    external_data_project(project, force=True)
    first = by_method(run(project))
    project.write("ext.txt", "v2")
    stop_when_reader_starts(project, signal.SIGINT)
    assert result(project, first["src"]["id"]) == "v2"
    assert result(project, first["reader"]["id"]) == "v1!"  # the old one, still there
    external_data_project(project, force=False)  # the script no longer forces src
    project.write("ext.txt", "v2")
    assert_reader_stale_after(project, first, "src")
    explained = project.acbuild("explain", env=env(project)).stdout
    assert f"its input {first['src']['id']} was rebuilt after this job was built" in explained
    assert built(run(project)) == ["reader", "top"]
    assert result(project, first["top"]["id"]) == "v2!?"
    assert built(run(project)) == []


# -- a parent rebuilt because its subjob changed -------------------------------------------
def subjob_project(project: Project) -> Project:
    project.method("leaf", '''
        def synthesis():
            return 1
    ''')
    project.method("parent", '''
        from acbuild import subjobs

        def synthesis():
            return subjobs.build("leaf").load() * 10
    ''')
    project.method("reader", '''
        import os
        import time

        jobs = ("parent",)

        def synthesis(jobs):
            root = os.environ["PROJECT"]
            if os.path.exists(os.path.join(root, "hang")):
                open(os.path.join(root, "started"), "w").close()
                time.sleep(60)
            return jobs.parent.load() + 1
    ''')
    project.script('''
        def main(urd):
            urd.build("reader", parent=urd.build("parent"))
    ''')
    return project


def test_a_kill_after_a_parent_rebuilt_for_its_subjob_leaves_its_reader_stale(
        project: Project) -> None:
    subjob_project(project)
    first = by_method(run(project))
    assert result(project, first["reader"]["id"]) == 11
    project.method("leaf", '''
        def synthesis():
            return 2
    ''')
    stop_when_reader_starts(project, signal.SIGKILL)
    assert result(project, first["parent"]["id"]) == 20  # rebuilt in place
    status = by_method(project.status_json())
    assert status["parent"]["state"] == "cached"
    assert status["reader"]["state"] == "stale"
    assert (f"its input {first['parent']['id']} was rebuilt after this job was built"
            in status["reader"]["reason"])
    report = by_method(run(project))
    assert report["reader"]["state"] == "built" and report["parent"]["state"] == "reused"
    assert result(project, first["reader"]["id"]) == 21
    assert built(run(project)) == []


# -- the record of order: restored by doctor --rebuild, and in the database --------------
def seqs(workdir: Path) -> dict[str, int]:
    with sqlite3.connect(workdir / "acbuild.db") as conn:
        return dict(conn.execute("SELECT id, built_seq FROM jobs"))


def test_doctor_rebuild_keeps_a_reader_of_a_rebuilt_input_stale(project: Project) -> None:
    external_data_project(project)
    first = by_method(run(project))
    numbers = seqs(project.workdir)
    assert sorted(numbers.values()) == [1, 2, 3, 4]  # in the order they were published
    assert numbers[first["src"]["id"]] < numbers[first["reader"]["id"]]
    project.write("ext.txt", "v2")
    (project.root / "fail").touch()
    run(project, "--force", "src", check=1)
    (project.root / "fail").unlink()
    after = seqs(project.workdir)
    assert after[first["src"]["id"]] == 5 and after[first["reader"]["id"]] == numbers[
        first["reader"]["id"]]
    project.acbuild("doctor", "--rebuild")  # over a sound database: its order is kept
    assert seqs(project.workdir) == after
    assert_reader_stale_after(project, first, "src")
    (project.workdir / "acbuild.db").unlink()  # gone: the order comes from the directories
    for side in ("acbuild.db-wal", "acbuild.db-shm"):
        (project.workdir / side).unlink(missing_ok=True)
    project.acbuild("doctor", "--rebuild")
    rebuilt = seqs(project.workdir)
    assert rebuilt[first["src"]["id"]] > rebuilt[first["reader"]["id"]]
    assert_reader_stale_after(project, first, "src")
    assert built(run(project)) == ["reader", "top"]
    assert result(project, first["top"]["id"]) == "v2!?"
    assert built(run(project)) == []
    (project.workdir / "acbuild.db").unlink()
    for side in ("acbuild.db-wal", "acbuild.db-shm"):
        (project.workdir / side).unlink(missing_ok=True)
    project.acbuild("doctor", "--rebuild")
    assert built(run(project)) == []  # nothing looks rebuilt after what reads it


def test_a_database_of_this_version_without_the_column_gets_it(project: Project) -> None:
    external_data_project(project)
    first = by_method(run(project))
    with sqlite3.connect(project.workdir / "acbuild.db") as conn:
        conn.execute("DROP INDEX IF EXISTS jobs_by_seq")
        conn.execute("ALTER TABLE jobs DROP COLUMN built_seq")
    assert built(run(project)) == []  # rows without an order: taken as they are
    project.write("ext.txt", "v2")
    report = by_method(run(project, "--force", "src"))
    assert report["reader"]["state"] == "built"
    assert result(project, first["top"]["id"]) == "v2!?"
    assert built(run(project)) == []
    assert seqs(project.workdir)[first["top"]["id"]] is not None


# -- an input in another (read-only) work directory, rebuilt there -------------------------
def test_an_input_rebuilt_in_a_source_work_directory_makes_its_reader_stale(
        project: Project) -> None:
    external_data_project(project)
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 2\n[workdirs]\n'
                  'target = "workdirs/dev"\nsources = ["workdirs/shared"]\n')
    project.script('''
        def main(urd):
            urd.build("src")
    ''', name="src_only.py")
    shared = project.root / "workdirs" / "shared"
    run(project, "--workdir", str(shared), "src_only.py")  # src lives in shared
    first = by_method(run(project))  # reader and top in dev, reading shared's src
    assert first["src"]["state"] == "reused" and first["reader"]["state"] == "built"
    assert Path(first["src"]["path"]).parent == shared
    assert built(run(project)) == []
    project.write("ext.txt", "v2")
    forced = by_method(run(project, "--workdir", str(shared), "--force", "src", "src_only.py"))
    assert forced["src"]["state"] == "built"
    assert_reader_stale_after(project, first, "src")  # by the rows' times: another database
    report = by_method(run(project))
    assert report["reader"]["state"] == "built" and report["src"]["state"] == "reused"
    assert result(project, first["top"]["id"]) == "v2!?"
    assert built(run(project)) == []


# -- a subjob rebuilt in place: its parent holds a result of its old build -----------------
def test_a_subjob_forced_makes_its_parent_and_their_readers_stale(project: Project) -> None:
    external_data_project(project)
    project.method("parent", '''
        import os

        from acbuild import subjobs

        def synthesis():
            if os.path.exists(os.path.join(os.environ["PROJECT"], "fail")):
                raise RuntimeError("told to fail")
            return subjobs.build("src").load() + "*"
    ''')
    project.method("user", '''
        jobs = ("parent",)

        def synthesis(jobs):
            return jobs.parent.load() + "+"
    ''')
    project.script('''
        def main(urd):
            urd.build("src")
            urd.build("user", parent=urd.build("parent"))
    ''')
    first = by_method(run(project, "-j", "1"))
    assert result(project, first["user"]["id"]) == "v1*+"
    project.write("ext.txt", "v2")
    report = by_method(run(project, "-j", "1", "--force", "src"))
    assert {m: j["state"] for m, j in report.items()} == {
        "src": "built", "parent": "built", "user": "built"}
    assert f"its subjob {first['src']['id']} is built again" in report["parent"]["reason"]
    assert result(project, first["user"]["id"]) == "v2*+"
    assert built(run(project)) == []
    # Forced again, the run stopped before the parent: the next run still sees it.
    project.write("ext.txt", "v3")
    (project.root / "fail").touch()
    run(project, "-j", "1", "--force", "src", check=1)
    (project.root / "fail").unlink()
    status = by_method(project.status_json())
    assert status["src"]["state"] == "cached"
    assert (f"subjob {first['src']['id']} was rebuilt after this job was built"
            in status["parent"]["reason"])
    assert status["user"]["state"] == "stale"
    assert built(run(project)) == ["parent", "user"]
    assert result(project, first["user"]["id"]) == "v3*+"
    assert built(run(project)) == []


def test_the_no_op_reads_no_job_directory(project: Project, monkeypatch: Any) -> None:
    """The order is in the row: finding the jobs of a no-op run stats post.json, never
    reads it (a row's stat still matches its post.json with the order beside it)."""
    from acbuild import store as store_module

    external_data_project(project)
    first = by_method(run(project))
    hashes = [json.loads((project.workdir / j["id"] / "setup.json").read_text())["hash"]
              for j in first.values()]

    def no_reading(path: Path) -> None:
        raise AssertionError(f"read {path}")

    monkeypatch.setattr(store_module, "row_from_directory", no_reading)
    store = store_module.JobStore(project.workdir)
    try:
        found = store.find(hashes)
    finally:
        store.close()
    assert {f.id for f in found.values()} == {j["id"] for j in first.values()}
    assert all(f.seq for f in found.values())
