"""The everyday frictions of issue 17, each fixed: a run from a subdirectory, the import's
time in the profile, one merged log, "last used" never before "built", a file inside a job
naming its job, and `acbuild which FILE`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from conftest import SRC, Project


def simple(project: Project) -> Project:
    project.method("hello", '''
        """Say hello."""
        import sys
        import time

        print("importing hello")
        print("import warning", file=sys.stderr)
        time.sleep(1.0)  # a heavy library's import
        options = {"who": "world"}

        def prepare(options):
            print("prepare says hello")
            print("prepare complains", file=sys.stderr)

        def synthesis(job, options):
            print("synthesis says", options.who)
            with job.open("out/metrics.json", "w") as f:
                f.write('{"score": 1}')
            return {"who": options.who}
    ''')
    project.script('def main(urd):\n    urd.build("hello")\n')
    return project


def acbuild_in(cwd: os.PathLike[str], *args: str, check: int = 0
               ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC), "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "acbuild", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == check, proc.stdout + proc.stderr
    return proc


def test_run_from_a_subdirectory_finds_the_default_script_at_the_project_root(
        project: Project) -> None:
    simple(project)
    methods = project.root / "methods"
    report = json.loads(acbuild_in(methods, "run", "--json").stdout)
    assert [j["state"] for j in report["jobs"]] == ["built"]
    assert (project.workdir / report["jobs"][0]["id"] / "post.json").is_file()
    status = json.loads(acbuild_in(methods, "status", "--json").stdout)
    assert [j["state"] for j in status["jobs"]] == ["cached"]
    # A script named that is nowhere is still an error naming it.
    assert "does not exist" in acbuild_in(methods, "run", "nosuch.py", check=2).stderr


def test_the_profile_records_the_methods_import_as_its_own_phase(project: Project) -> None:
    simple(project)
    [job] = project.run_json()["jobs"]
    post = json.loads((project.workdir / job["id"] / "post.json").read_text())
    assert list(post["phases"]) == ["load", "prepare", "synthesis"]
    assert post["phases"]["load"]["wall"] >= 0.9  # the sleep at import
    assert post["wall"] >= post["phases"]["load"]["wall"]  # the total takes it in
    info = json.loads(project.acbuild("show", job["id"], "--json").stdout)
    rows = dict(info["profile_rows"])
    assert "load" in rows and float(rows["total"].split("s")[0]) >= 0.9


def test_the_log_tail_is_one_merged_log_each_marker_once(project: Project) -> None:
    simple(project)
    project.run_json()
    info = json.loads(project.acbuild("show", "hello", "--json").stdout)
    tail = info["log_tail"]
    for part in ("load", "prepare", "synthesis"):
        assert tail.count(f"--- acbuild: {part} ---") == 1, tail
    load, prepare, synthesis = (tail.index(f"--- acbuild: {p} ---")
                                for p in ("load", "prepare", "synthesis"))
    assert tail[load + 1:prepare] == ["importing hello", "[stderr] import warning"]
    assert tail[prepare + 1:synthesis] == ["prepare says hello", "[stderr] prepare complains"]
    assert tail[synthesis + 1:] == ["synthesis says world"]
    text = project.acbuild("show", "hello").stdout
    assert text.count("--- acbuild: prepare ---") == 1


def test_jobs_never_shows_last_used_before_built(project: Project) -> None:
    simple(project)
    project.run_json()
    project.run_json()  # reused: a later use
    rows = json.loads(project.acbuild("jobs", "--json").stdout)["jobs"]
    assert rows and all(r["last_used"] >= r["created"] for r in rows), rows


def test_show_takes_a_file_inside_a_job_and_which_finds_the_job_that_wrote_it(
        project: Project) -> None:
    simple(project)
    [job] = project.run_json()["jobs"]
    inside = project.workdir / job["id"] / "out" / "metrics.json"
    info = json.loads(project.acbuild("show", str(inside), "--json").stdout)
    assert info["id"] == job["id"]
    relative = os.path.relpath(inside, project.root)
    assert project.acbuild("show", relative, "--path").stdout.strip() == \
        str(project.workdir / job["id"])
    # A copy taken elsewhere leads back to the job, by content.
    copy = project.root / "report" / "m.json"
    copy.parent.mkdir()
    shutil.copy(inside, copy)
    found = json.loads(project.acbuild("which", str(copy), "--json").stdout)["jobs"]
    assert found == [{"id": job["id"], "method": "hello", "name": "out/metrics.json",
                      "path": str(inside)}]
    assert job["id"] in project.acbuild("which", str(copy)).stdout
    copy.write_text('{"score": 2}')
    assert project.acbuild("which", str(copy), check=1).stdout == ""
    assert "does not exist" in project.acbuild("which", "nope.json", check=2).stderr
