"""Explanations are facts of the moment: `explain` and `show` of a built job say why it was
built as the run that built it said it, against the job that run compared it with — not
against jobs built since (issue 11, item 13)."""

from __future__ import annotations

import json
from typing import Any

from conftest import Project

CLEAN = '''
    """Keep the big values."""
    options = {"threshold": 0.5}

    def synthesis(options):
        return [v for v in range(10) if v > options.threshold]
'''


def sweep(*thresholds: float) -> str:
    return ("def main(urd):\n"
            f"    for t in {thresholds!r}:\n"
            '        urd.build("clean", threshold=t, name=f"clean{t}")\n')


def built_by(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Job id -> its row, for the jobs a run built."""
    return {j["id"]: j for j in report["jobs"] if j["state"] == "built"}


def explain(project: Project, job: str) -> dict[str, Any]:
    return json.loads(project.acbuild("explain", job, "--json").stdout)


def test_explain_of_a_built_job_says_what_run_said_against_the_job_run_compared(
        project: Project) -> None:
    project.method("clean", CLEAN)
    project.script(sweep(0.5))
    (v1,) = built_by(project.run_json())
    # The code changes and two new jobs are built in one run (a sweep): both are said
    # against v1, the only job there was when the run planned them.
    project.method("clean", CLEAN.replace("v > options", "v >= options"))
    project.script(sweep(1.5, 2.5))
    report = project.run_json("-j", "1")
    rows = [j for j in report["jobs"] if j["state"] == "built"]
    assert len(rows) == 2
    v2, v3 = rows[0]["id"], rows[1]["id"]
    for row in rows:
        assert row["reason"].startswith("code of clean changed in methods/clean.py; option "
                                        "threshold: 0.5 → ") and row["reason"].endswith(
                                            f"(since {v1})")
    # A later run builds another job of the method: a closer neighbour of v2 and v3 now.
    project.script(sweep(3.5))
    (v4,) = built_by(project.run_json())

    for row in rows:
        info = explain(project, row["id"])
        assert info["reason"] == row["reason"]  # what run printed, word for word
        assert info["recorded"] is True
        assert info["compared_with"]["id"] == v1  # not v2, v3 or v4, built after it
        assert info["differences"] == [
            "code of clean changed", f"option threshold: 0.5 → {row['reason'].split()[-3]}"]
        assert info["code"]["changed_files"] == ["methods/clean.py"]
        assert "-    return [v for v in range(10) if v > options.threshold]" \
            in info["source_diff"]
        assert "+    return [v for v in range(10) if v >= options.threshold]" \
            in info["source_diff"]
        assert f"--- {v1}/methods/clean.py" in info["source_diff"]
    text = project.acbuild("explain", v3).stdout
    assert rows[1]["reason"] in " ".join(text.split())
    assert v1 in text and ">= options.threshold" in text and v4 not in text

    # show says it too, in words and in JSON.
    shown = project.acbuild("show", v2).stdout
    assert "built because" in shown and rows[0]["reason"] in shown
    assert json.loads(project.acbuild("show", v2, "--json").stdout)["built_because"] == {
        "reason": rows[0]["reason"], "cause": "code", "compared_with": v1}
    # The first job of the method: what run said then.
    assert explain(project, v1)["reason"] == "never built"
    assert explain(project, v1)["compared_with"] is None
    # A job built later, planned against the jobs there were then.
    assert explain(project, v4)["compared_with"]["id"] in (v2, v3)


def test_explain_says_when_the_compared_job_is_gone(project: Project) -> None:
    project.method("clean", CLEAN)
    project.script(sweep(0.5))
    (v1,) = built_by(project.run_json())
    project.script(sweep(1.5))
    report = project.run_json()
    ((v2, row),) = built_by(report).items()
    # gc keeps the jobs of the last run only: v1 goes.
    gc = json.loads(project.acbuild("gc", "--keep-runs", "1", "--json").stdout)
    assert [r["name"] for r in gc["removed"]] == [v1]
    info = explain(project, v2)
    assert info["reason"] == row["reason"] == f"option threshold: 0.5 → 1.5 (since {v1})"
    assert info["compared_with"] == {"id": v1, "path": None, "created": None, "gone": True}
    assert info["differences"] == [] and info["source_diff"] == ""
    text = " ".join(project.acbuild("explain", v2).stdout.split())
    assert row["reason"] in text and f"{v1} is gone" in text


def test_a_job_built_before_reasons_were_recorded_is_explained_against_older_jobs(
        project: Project) -> None:
    project.method("clean", CLEAN)
    project.script(sweep(0.5))
    (v1,) = built_by(project.run_json())
    project.script(sweep(1.5))
    (v2,) = built_by(project.run_json())
    setup_file = project.workdir / v2 / "setup.json"
    setup = json.loads(setup_file.read_text())
    del setup["built_because"]  # as an older acbuild wrote it
    setup_file.write_text(json.dumps(setup))
    info = explain(project, v2)
    assert info["recorded"] is False and info["compared_with"]["id"] == v1
    assert info["reason"] == f"option threshold: 0.5 → 1.5 (since {v1})"
    assert "built because" not in project.acbuild("show", v2).stdout


def test_explain_of_a_stale_job_is_said_against_the_jobs_there_are_now(
        project: Project) -> None:
    project.method("clean", CLEAN)
    project.script(sweep(0.5, 1.5))
    v1, v2 = built_by(project.run_json())
    project.script(sweep(2.5))
    stale = project.status_json()["jobs"][0]
    info = explain(project, stale["id"])
    assert info["state"] == "stale" and info["reason"] == stale["reason"]
    assert info["compared_with"]["id"] in (v1, v2)
    assert info["reason"].endswith(f"(since {info['compared_with']['id']})")
