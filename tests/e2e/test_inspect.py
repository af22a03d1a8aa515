"""Seeing everything: status reasons, explain and show, through the real command."""

from __future__ import annotations

import json
import shutil

from conftest import Project

PIPELINE = """
def main(urd):
    raw = urd.build("ingest", src=urd.file("data/raw.csv"))
    clean = urd.build("clean", raw=raw, threshold=0.5)
    urd.build("report", data=clean, title="all")
"""


def pipeline(project: Project) -> Project:
    project.write("data/raw.csv", "a,1\nb,2\nc,3\n")
    project.method("ingest", '''
        """Read the rows."""
        options = {"src": str}

        def synthesis(options):
            with open(options.src) as f:
                return [line.split(",") for line in f.read().splitlines()]
    ''')
    project.method("_scale", "FACTOR = 1\n")
    project.method("clean", '''
        """Keep the big rows."""
        import _scale

        options = {"threshold": 0.5}
        jobs = ("raw",)

        def synthesis(options, jobs):
            return [r for r in jobs.raw.load() if int(r[1]) * _scale.FACTOR > options.threshold]
    ''')
    project.method("report", '''
        """Count them."""
        options = {"title": ""}
        jobs = ("data",)

        def synthesis(options, jobs):
            print("report", options.title)
            return {options.title: len(jobs.data.load())}
    ''')
    project.script(PIPELINE)
    return project


def reasons(project: Project, *args: str) -> dict[str, str]:
    return {j["method"]: j["reason"] for j in project.status_json(*args)["jobs"]}


def test_status_reasons_name_the_cause_and_the_root_for_downstream_jobs(
        project: Project) -> None:
    pipeline(project)
    assert set(reasons(project).values()) == {"never built"}
    project.run_json()
    # An input file changed: the job reading it says so; the ones after it name it as root.
    project.write("data/raw.csv", "a,1\nb,2\nc,3\nd,4\n")
    status = project.status_json()
    why = {j["method"]: j for j in status["jobs"]}
    assert why["ingest"]["reason"].startswith("input file data/raw.csv changed (since ingest-")
    assert why["clean"]["reason"] == ("input raw is rebuilt "
                                      "(ingest: input file data/raw.csv changed)")
    assert why["report"]["reason"] == ("input data is rebuilt "
                                       "(ingest: input file data/raw.csv changed)")
    assert [why[m]["cause"] for m in ("ingest", "clean", "report")] == [
        "input file", "input rebuilt", "input rebuilt"]
    assert status["causes"] == {"input rebuilt": 2, "input file": 1}
    plain = project.acbuild("status").stdout
    assert "3 jobs: 0 cached, 3 stale (2 with a rebuilt input, 1 with changed input files)" \
        in " ".join(plain.split())
    project.run_json()
    # A helper module changed: the code change names the file; two causes, no nesting.
    project.method("_scale", "FACTOR = 2\n")
    project.script(PIPELINE.replace('title="all"', 'title="big"'))
    why = {j["method"]: j["reason"] for j in project.status_json()["jobs"]}
    assert why["ingest"] == "cached"
    assert why["clean"].startswith("code of clean changed in methods/_scale.py (since clean-")
    assert why["report"].startswith("option title: 'all' → 'big' (since report-")
    assert why["report"].endswith(
        "; input data is rebuilt (clean: code changed in methods/_scale.py)")
    assert why["report"].count("(") == 2  # the closest job and the root cause, nothing nested


def test_status_says_forced_removed_and_failed_last_time(project: Project) -> None:
    pipeline(project)
    report = project.run_json()
    assert reasons(project, "--force", "clean")["clean"] == "forced"
    clean = next(j for j in report["jobs"] if j["method"] == "clean")
    shutil.rmtree(clean["path"])
    why = project.status_json()["jobs"][1]
    assert why["cause"] == "removed" and clean["path"] in why["reason"]
    project.run_json()
    project.method("report", '''
        options = {"title": ""}
        jobs = ("data",)

        def synthesis():
            raise RuntimeError("no")
    ''')
    project.acbuild("run", check=1)
    assert reasons(project)["report"].endswith("; the last attempt failed")


def test_explain_a_built_job_shows_options_side_by_side(project: Project) -> None:
    pipeline(project)
    project.run_json()
    project.script(PIPELINE.replace("threshold=0.5", "threshold=1.5"))
    project.run_json()
    info = json.loads(project.acbuild("explain", "clean", "--json").stdout)
    assert info["state"] == "finished" and info["compared_with"]["id"].startswith("clean-")
    assert info["differences"] == ["option threshold: 0.5 → 1.5"]
    assert {"name": "threshold", "old": 0.5, "new": 1.5, "changed": True} in info["options"]
    assert info["source_diff"] == "" and info["code"]["old"] == info["code"]["new"]
    text = project.acbuild("explain", "clean").stdout
    assert "threshold" in text and "0.5" in text and "1.5" in text
    assert info["compared_with"]["id"] in text
    first = json.loads(project.acbuild("explain", "clean~1", "--json").stdout)
    assert first["compared_with"] is None and first["reason"] == "never built"  # as run said


def test_explain_a_job_not_built_yet_diffs_the_current_source(project: Project) -> None:
    pipeline(project)
    project.run_json()
    project.method("clean", (project.root / "methods/clean.py").read_text().replace(
        "> options.threshold", ">= options.threshold"))
    stale = next(j for j in project.status_json()["jobs"] if j["method"] == "clean")
    info = json.loads(project.acbuild("explain", stale["id"][:10], "--json").stdout)
    assert info["id"] == stale["id"] and info["state"] == "stale"
    assert info["reason"] == stale["reason"]
    assert info["code"]["changed_files"] == ["methods/clean.py"]
    assert "-    return [r for r in jobs.raw.load() if int(r[1]) * _scale.FACTOR > " \
           "options.threshold]" in info["source_diff"]
    assert "+    return [r for r in jobs.raw.load() if int(r[1]) * _scale.FACTOR >= " \
           "options.threshold]" in info["source_diff"]
    assert f"+++ {stale['id']}/methods/clean.py" in info["source_diff"]
    text = project.acbuild("explain", stale["id"]).stdout
    assert "methods/clean.py" in text and ">= options.threshold" in text
    # Without JOB: each stale job that changed itself; the report only follows it.
    every = json.loads(project.acbuild("explain", "--json").stdout)
    assert [j["id"] for j in every["jobs"]] == [stale["id"]]
    assert [f.split("-")[0] for f in every["followers"]] == ["report"]
    assert not list(project.workdir.glob(stale["id"]))  # explain built nothing


def test_explain_refuses_what_names_no_job(project: Project) -> None:
    pipeline(project)
    project.run_json()
    proc = project.acbuild("explain", "nosuch", check=2)
    assert "no job matches 'nosuch'" in proc.stderr and "Traceback" not in proc.stderr
    proc = project.acbuild("explain", "nosuch", "--script", "other.py", check=2)
    assert "no job matches 'nosuch'" in proc.stderr


def test_show_answers_which_program_parameters_and_data(project: Project) -> None:
    pipeline(project)
    report = project.run_json()
    ingest = next(j for j in report["jobs"] if j["method"] == "ingest")
    text = " ".join(project.acbuild("show", "ingest").stdout.split())
    setup = json.loads((project.workdir / ingest["id"] / "setup.json").read_text())
    for needle in ("Read the rows.", ingest["id"], setup["code"]["hash"][:16],
                   "methods/ingest.py", "data/raw.csv", "file data/raw.csv",
                   setup["options"]["src"]["blake3"][:16], "python", "build.py:2"):
        assert needle in text, needle
    info = json.loads(project.acbuild("show", "report", "--json").stdout)
    assert info["inputs"] == {"data": next(j["id"] for j in report["jobs"]
                                           if j["method"] == "clean")}
    assert info["code"]["sources"] == ["methods/report.py"]
    assert info["versions"]["python"] and info["options"] == {"title": "all"}


def test_show_a_failed_job_by_its_method(project: Project) -> None:
    pipeline(project)
    project.method("report", '''
        options = {"title": ""}
        jobs = ("data",)

        def synthesis(options):
            print("about to fail")
            raise ValueError(f"bad title {options.title}")
    ''')
    project.acbuild("run", check=1)
    text = project.acbuild("show", "report").stdout
    for needle in ("failed", "failure in synthesis", "ValueError: bad title all",
                   "about to fail", "title", "data", "clean-", ".failed"):
        assert needle in text, needle
    info = json.loads(project.acbuild("show", "report", "--json").stdout)
    assert info["state"] == "failed" and info["error"]["phase"] == "synthesis"
    assert info["inputs"]["data"].startswith("clean-")
