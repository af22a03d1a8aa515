"""Result lists (urd) end to end: a script records entries, another reads them, an update
ghosts what read the old version, `acbuild urd` and `show :list:name` find them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from conftest import Project, built

DAILY = """
import datetime

def main(urd):
    for day in (1, 2, 3):
        ts = datetime.date(2024, 1, day)
        urd.begin("sales/daily", ts, caption=f"day {{day}}")
        data = urd.build("ingest", day=str(ts){extra})
        urd.build("report", data=data)
        entry = urd.finish("sales/daily", update={update})
        print("entry", entry.timestamp, entry.state)
"""

SUMMARY = """
def main(urd):
    urd.begin("sales/summary", 1)
    latest = urd.latest("sales/daily")
    since = urd.since("sales/daily", "2024-01-01")
    assert [e.timestamp for e in since] == ["2024-01-02", "2024-01-03"], since
    assert urd.peek_first("sales/daily").caption == "day 1"
    summary = urd.build("summary", latest=latest.joblist.report, first=since[0]["report"],
                        n=len(since))
    urd.finish("sales/summary")
    print("summary", summary.load())
"""


def sales(project: Project) -> Project:
    project.method("ingest", '''
        options = {"day": "", "bonus": 0}

        def synthesis(options):
            return {"day": options.day, "sales": int(options.day[-2:]) * 10 + options.bonus}
    ''')
    project.method("report", '''
        jobs = ("data",)

        def synthesis(jobs):
            return {"total": jobs.data.load()["sales"]}
    ''')
    project.method("summary", '''
        options = {"n": 0}
        jobs = ("latest", "first")

        def synthesis(jobs, options):
            return {"n": options.n, "latest": jobs.latest.load()["total"],
                    "first": jobs.first.load()["total"]}
    ''')
    project.script(DAILY.format(extra="", update=False))
    project.script(SUMMARY, name="build_summary.py")
    return project


def urd_json(project: Project, *args: str) -> dict[str, Any]:
    return json.loads(project.acbuild("urd", "--json", *args).stdout)


def entry_rows(project: Project) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(project.workdir / "acbuild.db") as db:
        return list(db.execute("SELECT list, ts, ghost FROM urd_entries ORDER BY entry"))


def test_entries_are_recorded_read_and_ghosted(project: Project) -> None:
    sales(project)
    first = project.acbuild("run")
    assert first.stdout.count("entry ") == 3 and "entry 2024-01-03 new" in first.stdout
    assert [r[:2] for r in entry_rows(project)] == [
        ("sales/daily", "2024-01-01"), ("sales/daily", "2024-01-02"),
        ("sales/daily", "2024-01-03")]
    # Re-finishing the same entries is a no-op.
    again = project.acbuild("run")
    assert "entry 2024-01-01 same" in again.stdout and len(entry_rows(project)) == 3

    report = project.run_json("build_summary.py")
    assert built(report) == ["summary"]
    summary = urd_json(project, "sales/summary/1")["entry"]
    assert [j["name"] for j in summary["jobs"]] == ["summary"]
    assert {(d["list"], d["timestamp"]) for d in summary["deps"]} == {
        ("sales/daily", "2024-01-02"), ("sales/daily", "2024-01-03")}
    shown = project.acbuild("show", "--json", summary["jobs"][0]["id"]).stdout
    assert '"latest": 30' in shown or "'latest': 30" in shown

    # A changed entry is refused (naming the script line), then accepted with update=True.
    project.script(DAILY.format(extra=", bonus=1", update=False))
    refused = project.acbuild("run", check=2)
    assert "exists with other content" in refused.stderr and "build.py:" in refused.stderr
    assert "update=True" in refused.stderr
    project.script(DAILY.format(extra=", bonus=1", update=True))
    assert "entry 2024-01-01 updated" in project.acbuild("run").stdout
    ghosts = [r for r in entry_rows(project) if r[2]]
    assert ("sales/summary", "1", "read an entry that was replaced or truncated") in ghosts
    assert sum(r[2] == "replaced" for r in ghosts) == 3
    lists = {row["list"]: row for row in urd_json(project)["lists"]}
    assert "sales/summary" not in lists and lists["sales/daily"]["entries"] == 3
    with_ghosts = {row["list"]: row for row in urd_json(project, "--ghosts")["lists"]}
    assert with_ghosts["sales/summary"]["ghosts"] == 1

    # The summary script, run again, records a new entry on the updated ones.
    project.run_json("build_summary.py")
    summary = urd_json(project, "sales/summary/latest")["entry"]
    assert summary["ghost"] is None
    result = project.acbuild("show", "--json", ":sales/summary:summary").stdout
    assert '"latest": 31' in result or "'latest': 31" in result


def test_acbuild_urd_lists_entries_and_shows_one(project: Project) -> None:
    sales(project)
    project.acbuild("run")
    plain = project.acbuild("urd").stdout
    assert "sales/daily  3 entries, 2024-01-01 .. 2024-01-03" in plain
    entries = urd_json(project, "sales/daily")["entries"]
    assert [e["timestamp"] for e in entries] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert [e["caption"] for e in entries] == ["day 1", "day 2", "day 3"]
    one = urd_json(project, "sales/daily/2024-01-02")["entry"]
    assert [j["name"] for j in one["jobs"]] == ["ingest", "report"]
    text = project.acbuild("urd", "sales/daily/2024-01-02").stdout
    assert one["jobs"][1]["id"] in text
    # show :list:name, :list/ts:name: the jobs the entries name
    path = project.acbuild("show", "--path", ":sales/daily:report").stdout.strip()
    assert Path(path).name == entries[2]["jobs"][1]["id"]
    path = project.acbuild("show", "--path", ":sales/daily/2024-01-01:report").stdout.strip()
    assert Path(path).name == entries[0]["jobs"][1]["id"]
    assert "report" in project.acbuild("show", ":sales/daily:report").stdout
    # Clear errors, exit 2, for what is not there.
    missing = project.acbuild("urd", "sales/weekly", check=2)
    assert "no result list 'sales/weekly'" in missing.stderr and "sales/daily" in missing.stderr
    no_entry = project.acbuild("urd", "sales/daily/2023-01-01", check=2)
    assert "no entry" in no_entry.stderr and "2024-01-02" in no_entry.stderr
    no_job = project.acbuild("show", ":sales/daily:nothing", check=2)
    assert "has no job 'nothing'" in no_job.stderr and "ingest, report" in no_job.stderr


def test_status_and_dry_run_write_no_list(project: Project) -> None:
    sales(project)
    project.acbuild("status")
    project.acbuild("run", "--dry-run")
    assert not (project.workdir / "acbuild.db").exists() or entry_rows(project) == []
    assert project.job_dirs() == []
    project.acbuild("run")
    project.script(DAILY.format(extra=", bonus=2", update=True))
    before = entry_rows(project)
    status = project.status_json()
    assert status["counts"]["stale"] == 6
    assert entry_rows(project) == before  # status planned the update, wrote nothing


def test_timestamps_ints_tie_breakers_truncate(project: Project) -> None:
    project.method("step", 'options = {"i": 0}\n\ndef synthesis(options):\n'
                           '    return options.i\n')
    project.script('''
        def main(urd):
            for ts in ("5", "5+1", 7, "5+2"):
                urd.begin("steps", ts)
                urd.build("step", i=len(str(ts)))
                urd.finish("steps")
            urd.truncate("steps", "5+2")
            print("latest", urd.peek_latest("steps").timestamp)
            urd.begin("steps", "2024-01-01")
            urd.finish("steps")
    ''')
    proc = project.acbuild("run", check=2)
    assert "latest 5+1" in proc.stdout
    assert "has int timestamps" in proc.stderr and "build.py:" in proc.stderr
    entries = urd_json(project, "steps", "--ghosts")["entries"]
    assert [(e["timestamp"], e["ghost"]) for e in entries] == [
        ("5", None), ("5+1", None), ("5+2", "truncated"), ("7", "truncated")]


def test_lists_of_a_source_work_directory_are_read(tmp_path: Path) -> None:
    shared = sales(Project(tmp_path / "shared"))
    shared.acbuild("run")
    mine = sales(Project(tmp_path / "mine"))
    mine.write("acbuild.toml", 'methods = ["methods"]\nslices = 2\n'
                               f'[workdirs]\nsources = ["{shared.workdir}"]\n')
    assert [e["timestamp"] for e in urd_json(mine, "sales/daily")["entries"]] == [
        "2024-01-01", "2024-01-02", "2024-01-03"]
    report = mine.run_json("build_summary.py")
    assert built(report) == ["summary"]  # on the source's jobs, reused
    assert urd_json(mine, "sales/summary/1")["entry"]["workdir"] == str(mine.workdir)


def test_bad_list_calls_are_clear_errors(project: Project) -> None:
    sales(project)
    for body, words in [
        ('urd.finish("x")', "without urd.begin"),
        ('urd.begin("x")\n    urd.finish("x")', "no timestamp"),
        ('urd.begin("bad name!", 1)', "is not a list name"),
        ('urd.begin("x", "yesterday")', "is not a timestamp"),
        ('urd.latest("nothing")', "has no entries"),
        ('urd.begin("x", 1)\n    urd.begin("y", 1)', "while 'x' is open"),
    ]:
        project.script(f"def main(urd):\n    {body}\n")
        proc = project.acbuild("run", check=2)
        assert words in proc.stderr and "build.py:" in proc.stderr, (body, proc.stderr)


def test_an_entry_begun_and_never_finished_is_a_warning(project: Project) -> None:
    sales(project)
    project.script('def main(urd):\n    urd.begin("x", 1)\n    urd.build("ingest", day="01")\n')
    for command in ("run", "status"):
        proc = project.acbuild(command)
        assert "urd.begin('x') has no urd.finish" in proc.stdout + proc.stderr, command
    assert urd_json(project)["lists"] == []
