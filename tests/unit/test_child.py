"""The job process (acbuild.child), run for real: a launcher, method files, job dirs."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import textwrap
import time
from pathlib import Path

import pytest

import acbuild
from acbuild import joblog
from acbuild.hashing import hash_file
from acbuild.job import RESULT_FILE
from acbuild.runner import Exited, Launcher

# The launcher must import the same acbuild as these tests.
SRC = str(Path(acbuild.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def launcher():
    env = {**os.environ, "PYTHONPATH": SRC}
    with Launcher(env) as launcher:
        yield launcher


class Project:
    """A temporary project with one method, and job dirs for it."""

    def __init__(self, root: Path, source: str, method: str = "m"):
        self.root, self.method = root, method
        (root / "methods").mkdir(parents=True)
        self.method_file = root / "methods" / f"{method}.py"
        self.method_file.write_text(textwrap.dedent(source))
        self.count = 0

    def job(self, slices: int = 2, options: dict | None = None, inputs: dict | None = None,
            **extra) -> Path:
        self.count += 1
        job_dir = self.root / "workdir" / f"{self.method}-{self.count:012x}"
        job_dir.mkdir(parents=True)
        # The job runs its source/ snapshot: the methods directory's files, as staging copies
        # the files a code hash covers.
        sources = {f"methods/{p.name}": p.read_bytes()
                   for p in sorted((self.root / "methods").glob("*.py"))}
        for relpath, data in sources.items():
            (job_dir / "source" / relpath).parent.mkdir(parents=True, exist_ok=True)
            (job_dir / "source" / relpath).write_bytes(data)
        code = {"hash": hashlib.sha256(repr(sorted(sources.items())).encode()).hexdigest(),
                "sources": sorted(sources)}
        setup = {
            "format": 1, "id": job_dir.name, "hash": "0" * 64, "method": self.method,
            "method_file": str(self.method_file), "project_root": str(self.root),
            "sys_path": [str(self.root / "methods"), str(self.root)],
            "options": options or {}, "inputs": inputs or {}, "slices": slices,
            "code": code, "created": time.time(), **extra,
        }
        (job_dir / "setup.json").write_text(json.dumps(setup))
        return job_dir


def run(launcher: Launcher, job_dir: Path, concurrency: int = 4) -> tuple[Exited, dict]:
    launcher.start(1, job_dir, concurrency)
    exited = launcher.wait(60)
    assert [e.token for e in exited] == [1]
    return exited[0], json.loads((job_dir / "post.json").read_text())


def result(job_dir: Path):
    return pickle.loads((job_dir / RESULT_FILE).read_bytes())


def log(job_dir: Path, name: str = "stdout") -> str:
    """The job's whole log: the main one with the slices' own in their place."""
    return joblog.read_log(job_dir, name).decode()


FULL = """
    import os
    def prepare(job):
        print("preparing")
        return 10
    def analysis(sliceno, prepare_res):
        print("slice", sliceno)
        return sliceno * prepare_res
    def synthesis(analysis_res, job):
        with job.open("out.txt", "w") as f:
            f.write("written")
        os.mkdir("sub")
        os.makedirs("source/x")
        open("source/x/copy.py", "w").close()
        open("sub/deep.bin", "wb").write(b"abc")
        print("oops", file=__import__("sys").stderr)
        return {"sum": sum(analysis_res)}
"""


def test_a_full_job_writes_result_logs_and_post(launcher, tmp_path):
    job_dir = Project(tmp_path, FULL).job(slices=3)
    exited, post = run(launcher, job_dir)
    assert exited.status == 0 and exited.maxrss_kib > 0 and exited.cpu >= 0
    assert result(job_dir) == {"sum": 30}
    assert post["format"] == 1 and post["status"] == "ok" and "error" not in post
    assert post["start"] <= post["end"] and post["wall"] >= 0 and post["peak_rss_kib"] > 0
    # the launcher imported the method for this job: its import is the job's first phase
    assert list(post["phases"]) == ["load", "prepare", "analysis", "synthesis"]
    slices = post["phases"]["analysis"]["slices"]
    assert [s["sliceno"] for s in slices] == [0, 1, 2]
    assert all(set(s) == {"sliceno", "wall", "cpu", "peak_rss_kib"} for s in slices)
    assert set(post["phases"]["prepare"]) == {"wall", "cpu"}
    assert sorted(post["files"]) == ["out.txt", RESULT_FILE, "sub/deep.bin"]
    for name, entry in post["files"].items():
        st = (job_dir / name).stat()
        assert entry == {"size": st.st_size, "mtime_ns": st.st_mtime_ns,
                         "blake3": hash_file(job_dir / name)}
    out = log(job_dir)
    for marker in ("prepare", "analysis slice 0", "analysis slice 2", "synthesis"):
        assert f"--- acbuild: {marker} ---" in out
        assert f"--- acbuild: {marker} ---" in log(job_dir, "stderr")
    assert "preparing" in out and "slice 2" in out
    assert out.index("--- acbuild: synthesis ---") > out.index("slice 1")
    # Each part's output is its own, slices included (they ran at once).
    assert [joblog.read_output(job_dir, part) for part in ("prepare", 0, 1, 2, "synthesis")] \
        == ["preparing\n", "slice 0\n", "slice 1\n", "slice 2\n", ""]
    assert joblog.read_output(job_dir, "synthesis", "stderr") == "oops\n"
    assert "oops" in log(job_dir, "stderr")


def test_parameters_are_injected_by_name(launcher, tmp_path):
    project = Project(tmp_path, """
        import pathlib, _helper
        def prepare(slices, jobs, options, job):
            return {"slices": slices, "options": dict(options), "threshold": options.threshold,
                    "raw": jobs.raw.load(), "raw_id": jobs.raw.id, "other": jobs.other,
                    "id": job.id, "path": str(job.path), "cwd": str(pathlib.Path.cwd()),
                    "helper": _helper.VALUE}
    """)
    (tmp_path / "methods" / "_helper.py").write_text("VALUE = 42\n")
    raw = tmp_path / "raw-job"
    raw.mkdir()
    (raw / RESULT_FILE).write_bytes(pickle.dumps([1, 2]))
    options = {"threshold": 0.5, "src": {"$file": "data/raw.csv", "blake3": "ab" * 32},
               "many": [{"$file": "a.txt", "blake3": "cd" * 32}]}
    job_dir = project.job(slices=5, options=options,
                          inputs={"raw": {"id": "raw-job", "path": str(raw)}, "other": None})
    exited, post = run(launcher, job_dir)
    assert exited.status == 0, post.get("error")
    got = result(job_dir)
    assert got["slices"] == 5 and got["threshold"] == 0.5 and got["helper"] == 42
    assert got["options"]["src"] == tmp_path / "data" / "raw.csv"
    assert got["options"]["many"] == [tmp_path / "a.txt"]
    assert got["raw"] == [1, 2] and got["raw_id"] == "raw-job" and got["other"] is None
    assert got["id"] == job_dir.name
    assert got["path"] == got["cwd"] == str(job_dir)
    assert [p for p in post["phases"] if p != "load"] == ["prepare"]  # load: the import


def test_prepare_res_is_shared_by_fork_and_analysis_res_is_in_slice_order(launcher, tmp_path):
    job_dir = Project(tmp_path, """
        import time
        def prepare():
            return lambda n: n * 100          # a lambda cannot be pickled: only fork shares it
        def analysis(sliceno, slices, prepare_res):
            time.sleep(0.05 * (slices - sliceno))   # slice 0 ends last
            return prepare_res(sliceno)
        def synthesis(analysis_res, prepare_res):
            return analysis_res
    """).job(slices=4)
    exited, post = run(launcher, job_dir)
    assert exited.status == 0, post.get("error")
    assert result(job_dir) == [0, 100, 200, 300]


def test_at_most_concurrency_slices_run_at_once(launcher, tmp_path):
    job_dir = Project(tmp_path, """
        import time
        def analysis(sliceno):
            start = time.time()
            time.sleep(0.15)
            return start, time.time()
        def synthesis(analysis_res):
            return analysis_res
    """).job(slices=6)
    exited, post = run(launcher, job_dir, concurrency=2)
    assert exited.status == 0, post.get("error")
    spans = result(job_dir)
    for start, _ in spans:
        assert sum(1 for s, e in spans if s <= start < e) <= 2


@pytest.mark.parametrize(("source", "expected"), [
    ("def prepare():\n    return 7\n", 7),
    ("def prepare():\n    return 7\ndef synthesis():\n    return None\n", None),
    ("def analysis(sliceno):\n    return sliceno\n", None),
    ("X = 1\n", None),
])
def test_the_result_is_synthesis_else_prepare(launcher, tmp_path, source, expected):
    job_dir = Project(tmp_path, source).job()
    exited, post = run(launcher, job_dir)
    assert exited.status == 0 and post["status"] == "ok"
    assert (result(job_dir) if (job_dir / RESULT_FILE).exists() else None) == expected
    assert (RESULT_FILE in post["files"]) == (expected is not None)


SLICE_DEATHS = {
    "raise": ("raise ValueError('bad slice')", "ValueError", "bad slice"),
    "sys.exit": ("sys.exit(3)", "SystemExit", "3"),
    "os._exit": ("os._exit(4)", "SliceDied", "exited with status 4"),
    "SIGKILL": ("os.kill(os.getpid(), signal.SIGKILL)", "SliceDied", "SIGKILL"),
}


@pytest.mark.parametrize("how", SLICE_DEATHS)
def test_a_failing_slice_fails_the_job_at_once(launcher, tmp_path, how):
    statement, type_, message = SLICE_DEATHS[how]
    job_dir = Project(tmp_path, f"""
        import os, signal, sys, time
        def analysis(sliceno):
            if sliceno == 1:
                time.sleep(0.1)
                {statement}
            time.sleep(60)       # the siblings: the job must kill them, not wait
        def synthesis():
            print("never")
    """).job(slices=3)
    began = time.monotonic()
    exited, post = run(launcher, job_dir)
    elapsed = time.monotonic() - began
    assert exited.status == 1 and post["status"] == "failed"
    error = post["error"]
    assert (error["phase"], error["slice"], error["type"]) == ("analysis", 1, type_)
    assert message in error["message"]
    assert elapsed < 10, f"a dead slice took {elapsed:.1f}s to fail its job"
    assert "synthesis" not in post["phases"]
    assert error["traceback"] in log(job_dir, "stderr")
    if how == "raise":
        assert 'raise ValueError' in error["traceback"] and "acbuild/child" not in error["traceback"]


def test_a_failing_prepare_records_phase_and_traceback(launcher, tmp_path):
    job_dir = Project(tmp_path, """
        def prepare():
            return 1 / 0
        def synthesis():
            return 1
    """).job()
    exited, post = run(launcher, job_dir)
    assert exited.status == 1
    error = post["error"]
    assert (error["phase"], error["slice"], error["type"]) == ("prepare", None, "ZeroDivisionError")
    assert "1 / 0" in error["traceback"] and "ZeroDivisionError" in log(job_dir, "stderr")
    assert [p for p in post["phases"] if p != "load"] == ["prepare"] and not (job_dir / RESULT_FILE).exists()


def test_an_unknown_phase_parameter_fails_naming_function_and_parameter(launcher, tmp_path):
    job_dir = Project(tmp_path, """
        def prepare():
            print("must not run")
        def synthesis(analysis_res, colour):
            return 1
    """).job()
    exited, post = run(launcher, job_dir)
    assert exited.status == 1
    error = post["error"]
    assert (error["phase"], error["type"]) == ("synthesis", "MethodError")
    assert "synthesis()" in error["message"] and "'colour'" in error["message"]
    assert "m.py:4" in error["message"]
    assert "must not run" not in log(job_dir)


def test_an_import_error_fails_the_job_and_not_the_launcher(launcher, tmp_path):
    broken = Project(tmp_path / "a", "print('importing')\nimport no_such_module_here\n")
    exited, post = run(launcher, broken.job())
    assert exited.status == 1
    error = post["error"]
    assert (error["phase"], error["type"]) == ("load", "ModuleNotFoundError")
    assert "no_such_module_here" in error["traceback"]
    job_dir = broken.root / "workdir" / "m-000000000001"
    assert "importing" in log(job_dir) and "no_such_module_here" in log(job_dir, "stderr")
    # The same launcher goes on with the next job.
    fine = Project(tmp_path / "b", "def prepare():\n    return 'ok'\n").job()
    exited, post = run(launcher, fine)
    assert exited.status == 0 and result(fine) == "ok"


def test_a_newer_setup_format_is_refused(launcher, tmp_path):
    job_dir = Project(tmp_path, "def prepare():\n    return 1\n").job(format=2)
    exited, post = run(launcher, job_dir)
    assert exited.status == 1
    assert (post["error"]["phase"], post["error"]["type"]) == ("load", "StorageError")
    assert "format 2" in post["error"]["message"]


def test_output_below_python_lands_in_the_logs(launcher, tmp_path):
    job_dir = Project(tmp_path, """
        import os, subprocess, sys
        def prepare():
            os.write(1, b"raw fd write\\n")
            subprocess.run([sys.executable, "-c", "print('from a subprocess')"], check=True)
            print("partial line, no newline", end="")
    """).job()
    exited, _ = run(launcher, job_dir)
    assert exited.status == 0
    out = log(job_dir)
    assert "raw fd write" in out and "from a subprocess" in out and "partial line" in out


def test_the_method_is_imported_once_per_launcher(launcher, tmp_path):
    project = Project(tmp_path, """
        import os
        IMPORTED_IN = os.getpid()
        def prepare():
            return IMPORTED_IN, os.getpid()
    """)
    first, second = project.job(), project.job()
    run(launcher, first)
    run(launcher, second)
    (imported_1, pid_1), (imported_2, pid_2) = result(first), result(second)
    assert imported_1 == imported_2 and len({imported_1, pid_1, pid_2}) == 3
    assert "--- acbuild: load ---" in log(first) and "--- acbuild: load ---" not in log(second)


def test_run_job_is_importable_without_click_rich_or_sqlite3():
    import subprocess

    code = ("import sys, acbuild.child; "
            "print(sorted(m for m in ('click', 'rich', 'sqlite3') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": SRC}, check=True).stdout
    assert out.strip() == "[]"


def test_a_large_slice_return_and_a_forked_straggler_do_not_hang_the_job(launcher, tmp_path):
    job_dir = Project(tmp_path, """
        import os, time
        def analysis(sliceno, job):
            if sliceno == 0 and os.fork() == 0:   # a grandchild that holds every inherited fd
                with open(os.path.join(job.path, "..", "straggler.pid"), "w") as f:
                    f.write(str(os.getpid()))
                time.sleep(120)
                os._exit(0)
            return bytes(2_000_000) + bytes([sliceno])
        def synthesis(analysis_res):
            return [(len(r), r[-1]) for r in analysis_res]
    """).job(slices=2)
    began = time.monotonic()
    exited, post = run(launcher, job_dir)
    assert exited.status == 0, post.get("error")
    assert time.monotonic() - began < 60
    assert result(job_dir) == [(2_000_001, 0), (2_000_001, 1)]
    straggler = int((job_dir.parent / "straggler.pid").read_text())
    deadline = time.monotonic() + 5
    while _alive(straggler) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _alive(straggler), "what a job leaves running in its group is killed"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
