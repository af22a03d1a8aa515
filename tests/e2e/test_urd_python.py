"""The result lists read from Python (`acbuild.open_project(path).urd`): lists, entries,
latest, first, get, since; each entry's jobs the reader's own job handles; errors that name
what there is; nothing written; `import acbuild` still light."""

from __future__ import annotations

import json
from pathlib import Path

from test_compare_api import read
from test_urd_lists import DAILY, sales, urd_json

from conftest import Project

READ = """
import datetime, json, sys
import acbuild

light = sorted(m for m in ("click", "rich", "sqlite3", "acbuild.reader") if m in sys.modules)
urd = acbuild.open_project(sys.argv[1]).urd
project = acbuild.open_project(sys.argv[1])
daily = urd.entries("sales/daily")
latest = urd.latest("sales/daily")
report = latest.jobs["report"]
second = urd.get("sales/daily", datetime.date(2024, 1, 2))
summary = urd.latest("sales/summary")

def shown(entry):
    return {"timestamp": entry.timestamp, "caption": entry.caption, "ids": entry.ids,
            "jobs": {name: job.id for name, job in entry.jobs.items()}, "deps": list(entry.deps)}

print(json.dumps({
    "light": light,
    "lists": urd.lists(),
    "daily": [shown(e) for e in daily],
    "latest": shown(latest),
    "first": urd.first("sales/daily").timestamp,
    "second": shown(second),
    "by_text": urd.get("sales/daily", "2024-01-02").ids,
    "since": [e.timestamp for e in urd.since("sales/daily", "2024-01-01")],
    "report": {"type": type(report).__name__, "result": report.load(),
               "same": report == project.job(":sales/daily:report"),
               "item": latest["report"] == report, "params": report.params["jobs"]},
    "summary": {"deps": sorted(summary.deps), "result": summary.jobs["summary"].load()},
}))
"""


def test_result_lists_are_read_from_python(project: Project) -> None:
    sales(project)
    project.acbuild("run")
    project.run_json("build_summary.py")
    db = project.workdir / "acbuild.db"
    before = (sorted(p.name for p in project.workdir.iterdir()), db.stat().st_mtime_ns)
    proc = read(project, READ)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["light"] == []
    assert out["lists"] == ["sales/daily", "sales/summary"]
    listed = urd_json(project, "sales/daily")["entries"]  # what `acbuild urd` says
    assert [e["timestamp"] for e in out["daily"]] == [e["timestamp"] for e in listed]
    assert [e["caption"] for e in out["daily"]] == ["day 1", "day 2", "day 3"]
    for mine, theirs in zip(out["daily"], listed, strict=True):
        ids = {j["name"]: j["id"] for j in theirs["jobs"]}
        assert mine["ids"] == ids and mine["jobs"] == ids  # every job a handle
    assert out["latest"]["timestamp"] == "2024-01-03" and out["first"] == "2024-01-01"
    assert out["second"]["timestamp"] == "2024-01-02"
    assert out["by_text"] == out["second"]["ids"]
    assert out["since"] == ["2024-01-02", "2024-01-03"]
    report = out["report"]
    assert report["type"] == "JobView" and report["same"] and report["item"]
    assert report["result"] == {"total": 30}
    assert report["params"]["data"] == out["latest"]["ids"]["ingest"]
    assert out["summary"]["deps"] == ["sales/daily/2024-01-02", "sales/daily/2024-01-03"]
    assert out["summary"]["result"] == {"n": 2, "latest": 30, "first": 20}
    # Read-only: the work directory and its database are as they were.
    assert (sorted(p.name for p in project.workdir.iterdir()), db.stat().st_mtime_ns) == before


GHOSTS = """
import json, sys
import acbuild

urd = acbuild.open_project(sys.argv[1]).urd
every = urd.entries("sales/daily", ghosts=True)
print(json.dumps({"live": [e.jobs["report"].load()["total"] for e in urd.entries("sales/daily")],
                  "ghosts": sorted((e.timestamp, e.ghost) for e in every if e.ghost)}))
"""


def test_ghosts_are_hidden_unless_asked_for(project: Project) -> None:
    sales(project)
    project.acbuild("run")
    project.script(DAILY.format(extra=", bonus=1", update=True))
    project.acbuild("run")
    proc = read(project, GHOSTS)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["live"] == [11, 21, 31]
    assert out["ghosts"] == [["2024-01-01", "replaced"], ["2024-01-02", "replaced"],
                             ["2024-01-03", "replaced"]]


ERRORS = """
import sys
import acbuild
from acbuild.errors import AcbuildError

urd = acbuild.open_project(sys.argv[1]).urd
for call in (lambda: urd.latest("sales/weekly"), lambda: urd.get("sales/daily", "2023-01-01"),
             lambda: urd.entries("no such/list!")):
    try:
        call()
    except AcbuildError as e:
        print(type(e).__name__, "|", e.message, "|", e.hint)
"""


def test_missing_lists_and_entries_are_errors_naming_what_there_is(project: Project) -> None:
    sales(project)
    project.acbuild("run")
    proc = read(project, ERRORS)
    assert proc.returncode == 0, proc.stderr
    weekly, day, bad = proc.stdout.splitlines()
    assert weekly.startswith("UrdError | no result list 'sales/weekly'")
    assert "the lists: sales/daily" in weekly
    assert "has no entry 2023-01-01" in day and "2024-01-01, 2024-01-02, 2024-01-03" in day
    assert bad.startswith("UrdError | 'no such/list!' is not a list name")


def test_a_project_never_built_has_no_lists_and_gets_no_work_directory(
        project: Project) -> None:
    empty = Project(project.root.parent / "empty")
    proc = read(empty, "import sys, acbuild\nprint(acbuild.open_project(sys.argv[1]).urd.lists())\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    assert not Path(empty.root / "workdirs").exists()
