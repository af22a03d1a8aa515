"""The job model end to end: the real acbuild command on temporary projects."""

from __future__ import annotations

import json
import pickle

from conftest import Project, built, states

CHAIN = """
def main(urd):
    a = urd.build("first", n=3)
    b = urd.build("second", pred=a)
    urd.build("third", pred=b)
"""


def chain_project(project: Project) -> Project:
    project.method("first", '''
        """Make numbers."""
        options = {"n": 2}

        def synthesis(options):
            print("making", options.n)
            return list(range(options.n))
    ''')
    project.method("second", '''
        """Square them."""
        jobs = ("pred",)

        def synthesis(jobs):
            return [x * x for x in jobs.pred.load()]
    ''')
    project.method("third", '''
        """Sum them."""
        jobs = ("pred",)

        def synthesis(job, jobs):
            with job.open("total.txt", "w") as f:
                f.write(str(sum(jobs.pred.load())))
            return sum(jobs.pred.load())
    ''')
    project.script(CHAIN)
    return project


def test_builds_every_job_once_then_reuses(project: Project) -> None:
    chain_project(project)
    first = project.run_json()
    assert built(first) == ["first", "second", "third"]
    assert first["counts"] == {"built": 3, "reused": 0, "failed": 0, "skipped": 0}
    second = project.run_json()
    assert set(states(second).values()) == {"reused"}
    assert len(project.job_dirs()) == 3
    plain = project.acbuild("run")
    assert "nothing to build" in plain.stdout


def test_job_directory_holds_everything(project: Project) -> None:
    chain_project(project)
    report = project.run_json()
    third = next(j for j in report["jobs"] if j["method"] == "third")
    path = project.workdir / third["id"]
    setup = json.loads((path / "setup.json").read_text())
    assert setup["id"] == third["id"] and setup["method"] == "third"
    assert setup["inputs"]["pred"]["id"].startswith("second-")
    assert (path / "source" / "methods" / "third.py").read_text().startswith('"""Sum them')
    assert pickle.loads((path / "result.pickle").read_bytes()) == 5
    assert (path / "total.txt").read_text() == "5"
    post = json.loads((path / "post.json").read_text())
    assert post["status"] == "ok" and "synthesis" in post["phases"]
    assert set(post["files"]) == {"result.pickle", "total.txt"}
    first = next(j for j in report["jobs"] if j["method"] == "first")
    assert "making 3" in (project.workdir / first["id"] / "stdout.log").read_text()


def test_edit_rebuilds_exactly_dependents_and_revert_rebuilds_nothing(project: Project) -> None:
    chain_project(project)
    project.run_json()
    original = (project.root / "methods/second.py").read_text()
    project.method("second", original.replace("x * x", "x * x * x"))
    status = project.status_json()
    assert states(status) == {"first": "cached", "second": "stale", "third": "stale"}
    assert "code of second changed" in status["jobs"][1]["reason"]
    assert built(project.run_json()) == ["second", "third"]
    (project.root / "methods/second.py").write_text(original)
    assert built(project.run_json()) == []


def test_option_change_rebuilds_job_and_dependents(project: Project) -> None:
    chain_project(project)
    project.run_json()
    project.script(CHAIN.replace("n=3", "n=4"))
    status = project.status_json()
    assert status["jobs"][0]["reason"].startswith("option n: 3 → 4")
    assert built(project.run_json()) == ["first", "second", "third"]
    assert len(project.job_dirs()) == 6


def test_status_builds_nothing(project: Project) -> None:
    chain_project(project)
    status = project.status_json()
    assert [j["state"] for j in status["jobs"]] == ["stale"] * 3
    assert status["counts"] == {"cached": 0, "stale": 3}
    assert project.job_dirs() == []
    dry = json.loads(project.acbuild("run", "--dry-run", "--json").stdout)
    assert dry["counts"]["stale"] == 3 and project.job_dirs() == []


def test_script_reads_a_result_midway(project: Project) -> None:
    chain_project(project)
    project.script("""
        def main(urd):
            a = urd.build("first", n=3)
            values = a.load()
            b = urd.build("second", pred=a)
            if sum(b.load()) > 1:
                urd.build("third", pred=b)
            print("loaded", values)
    """)
    proc = project.acbuild("run")
    assert "loaded [0, 1, 2]" in proc.stdout
    assert len(project.job_dirs()) == 3
    status = project.status_json()
    assert [j["state"] for j in status["jobs"]] == ["cached"] * 3


def test_status_stops_where_the_script_needs_an_unbuilt_result(project: Project) -> None:
    chain_project(project)
    project.script("""
        def main(urd):
            a = urd.build("first", n=3)
            if a.load():
                urd.build("second", pred=a)
    """)
    status = project.status_json()
    assert [j["method"] for j in status["jobs"]] == ["first"]
    assert "build.py:3" in status["stopped_at"]
    assert project.job_dirs() == []


def test_slices_run_analysis_in_parallel_processes(project: Project) -> None:
    project.method("sliced", '''
        import os

        def prepare():
            return 10

        def analysis(sliceno, slices, prepare_res):
            return (sliceno, slices, prepare_res, os.getpid())

        def synthesis(analysis_res):
            return analysis_res
    ''')
    project.script('def main(urd):\n    urd.build("sliced")\n')
    report = project.run_json()
    result = pickle.loads((project.workdir / report["jobs"][0]["id"] / "result.pickle")
                          .read_bytes())
    assert [r[:3] for r in result] == [(0, 2, 10), (1, 2, 10)]
    assert result[0][3] != result[1][3]


def test_failing_job_reports_and_rerun_builds_only_missing(project: Project) -> None:
    chain_project(project)
    project.method("third", '''
        jobs = ("pred",)

        def synthesis(jobs):
            raise ValueError("bad data in pred")
    ''')
    proc = project.acbuild("run", check=1)
    assert "ValueError: bad data in pred" in proc.stderr
    assert "third-" in proc.stderr and ".failed" in proc.stderr
    assert "in synthesis" in proc.stderr
    assert sorted(d.split("-")[0] for d in project.job_dirs()) == ["first", "second"]
    failed = list((project.workdir / ".failed").iterdir())
    assert len(failed) == 1 and "Traceback" in (failed[0] / "stderr.log").read_text()
    shown = project.acbuild("show", str(failed[0]))
    assert "bad data in pred" in shown.stdout
    chain_project(project)
    assert built(project.run_json()) == ["third"]


def test_independent_jobs_run_in_parallel(project: Project) -> None:
    # Each job marks that it started, then waits for the other's mark: both see it only
    # if they ran at the same time (a run one after the other would not, after a minute).
    project.method("meet", f'''
        import os
        import time

        options = {{"k": 0}}

        def synthesis(options):
            here = {str(project.root)!r}
            open(os.path.join(here, f"started{{options.k}}"), "w").close()
            other = os.path.join(here, f"started{{3 - options.k}}")
            deadline = time.monotonic() + 60
            while not os.path.exists(other) and time.monotonic() < deadline:
                time.sleep(0.01)
            return os.path.exists(other)
    ''')
    project.script('def main(urd):\n    urd.build("meet", k=1)\n    urd.build("meet", k=2)\n')
    report = project.run_json("-j", "2")
    met = [pickle.loads((project.workdir / j["id"] / "result.pickle").read_bytes())
           for j in report["jobs"]]
    assert met == [True, True]  # each saw the other start before it ended: they overlapped


def test_show_presents_the_job(project: Project) -> None:
    chain_project(project)
    project.run_json()
    out = project.acbuild("show", "first").stdout
    for needle in ("Make numbers.", "options", "n", "3", "result", "[0, 1, 2]", "making 3"):
        assert needle in out
    info = json.loads(project.acbuild("show", "third", "--json").stdout)
    assert info["inputs"]["pred"].startswith("second-")
    assert info["result"] == 5  # JSON data, not a repr
    assert project.acbuild("show", "third", "--path").stdout.strip().endswith(info["id"])
