"""A stale job's reason is found through the database's index of earlier jobs' identities
(issue 12, item 4): no earlier job's setup.json is read for it; a job the index lacks (an
older acbuild, doctor, a fetch recorded it) is read from its setup.json once, and indexed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import Project

METHOD = '''
    options = {"x": 1}

    def synthesis(options):
        return options.x
'''


def identity_rows(workdir: Path) -> dict[str, str]:
    conn = sqlite3.connect(workdir / "acbuild.db")
    try:
        return dict(conn.execute(
            "SELECT j.id, i.options_key FROM identities i JOIN jobs j ON j.hash = i.hash"))
    finally:
        conn.close()


def reason(project: Project) -> str:
    (job,) = [j for j in project.status_json()["jobs"] if j["state"] == "stale"]
    return str(job["reason"])


def test_a_built_job_is_indexed_and_a_reason_reads_no_setup_json(project: Project) -> None:
    project.method("m", METHOD)
    project.script('def main(urd):\n    urd.build("m", x=1)\n')
    (old,) = [j["id"] for j in project.run_json()["jobs"]]
    assert identity_rows(project.workdir) == {old: '{"x": 1}'}
    # The earlier job's setup.json says nothing now: its reason comes from the index alone.
    (project.workdir / old / "setup.json").write_text("not json")
    project.script('def main(urd):\n    urd.build("m", x=2)\n')
    assert reason(project) == f"option x: 1 → 2 (since {old})"


def test_a_job_the_index_lacks_is_read_from_its_setup_json_once_and_indexed(
        project: Project) -> None:
    project.method("m", METHOD)
    project.script('def main(urd):\n    urd.build("m", x=1)\n')
    (old,) = [j["id"] for j in project.run_json()["jobs"]]
    conn = sqlite3.connect(project.workdir / "acbuild.db")
    with conn:
        conn.execute("DELETE FROM identities")  # as an acbuild before schema 6 left it
    conn.close()
    project.script('def main(urd):\n    urd.build("m", x=2)\n')
    assert reason(project) == f"option x: 1 → 2 (since {old})"
    assert identity_rows(project.workdir) == {old: '{"x": 1}'}
    (project.workdir / old / "setup.json").write_text("not json")
    assert reason(project) == f"option x: 1 → 2 (since {old})"  # from the index now
