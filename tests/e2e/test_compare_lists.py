"""`acbuild compare :LIST:NAME`: a result list's entries side by side, the job NAME of every
live entry (`:LIST:` each entry's last job), a row an entry with its timestamp; from the
command line and from `open_project(...).compare`."""

from __future__ import annotations

import csv
import io
import json
import shutil
from typing import Any

from test_compare_api import read
from test_urd_lists import DAILY, sales, urd_json

from conftest import Project

DAY_FOUR = """
import datetime

def main(urd):
    urd.begin("sales/daily", datetime.date(2024, 1, 4))
    urd.build("ingest", day="2024-01-04")
    urd.finish("sales/daily")
"""


def compared(project: Project, *args: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(project.acbuild("compare", "--json", *args).stdout)
    return found


def test_compare_a_list_puts_each_entrys_job_side_by_side(project: Project) -> None:
    sales(project)
    project.acbuild("run")
    entries = urd_json(project, "sales/daily")["entries"]
    reports = [e["jobs"][1]["id"] for e in entries]

    found = compared(project, ":sales/daily:report")
    assert found["method"] == "report" and found["entry"] == ["timestamp", "caption"]
    assert found["columns"][:4] == ["timestamp", "caption", "job", "name"]
    rows = found["rows"]
    assert [r["timestamp"] for r in rows] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert [r["caption"] for r in rows] == ["day 1", "day 2", "day 3"]
    assert [r["job"] for r in rows] == reports  # the very jobs the entries name
    assert [r["total"] for r in rows] == [10, 20, 30]  # each report's result
    assert [r["jobs.data"] for r in rows] == [e["jobs"][0]["id"] for e in entries]
    # No name: each entry's last job, the same reports here.
    assert [r["job"] for r in compared(project, ":sales/daily:")["rows"]] == reports
    # The ingest jobs: their differing option, as a column.
    ingest = compared(project, ":sales/daily:ingest")
    assert ingest["options"] == ["day"]
    assert [(r["day"], r["sales"]) for r in ingest["rows"]] == [
        ("2024-01-01", 10), ("2024-01-02", 20), ("2024-01-03", 30)]
    # Sorted by a field, the timestamps go along.
    desc = compared(project, ":sales/daily:report", "--sort", "total", "-r")["rows"]
    assert [r["timestamp"] for r in desc] == ["2024-01-03", "2024-01-02", "2024-01-01"]
    # Steps after the name apply in each entry: the input of each report.
    data = compared(project, ":sales/daily:report.data")["rows"]
    assert [(r["timestamp"], r["job"]) for r in data] == [
        (e["timestamp"], e["jobs"][0]["id"]) for e in entries]
    # One entry (:LIST/TS:NAME) is one job, as before.
    one = compared(project, ":sales/daily/2024-01-02:report")["rows"]
    assert [r["job"] for r in one] == [reports[1]]

    table = project.acbuild("compare", ":sales/daily:report").stdout
    assert "timestamp" in table.splitlines()[0] and "2024-01-03" in table
    sheet = list(csv.DictReader(io.StringIO(
        project.acbuild("compare", "--csv", ":sales/daily:report").stdout)))
    assert [(r["timestamp"], r["total"]) for r in sheet] == [
        ("2024-01-01", "10"), ("2024-01-02", "20"), ("2024-01-03", "30")]


def test_an_updated_list_compares_its_live_entries_only(project: Project) -> None:
    sales(project)
    project.acbuild("run")
    old = [r["job"] for r in compared(project, ":sales/daily:report")["rows"]]
    project.script(DAILY.format(extra=", bonus=1", update=True))
    project.acbuild("run")
    rows = compared(project, ":sales/daily:report")["rows"]
    assert [r["total"] for r in rows] == [11, 21, 31]
    assert not {r["job"] for r in rows} & set(old)  # the ghosts' jobs are not compared


def test_an_entry_without_the_job_is_a_problem_and_errors_are_clear(project: Project) -> None:
    sales(project)
    project.acbuild("run")
    project.script(DAY_FOUR, name="day_four.py")
    project.acbuild("run", "day_four.py")
    found = compared(project, ":sales/daily:report")
    assert [r["timestamp"] for r in found["rows"]] == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert found["problems"] == ["sales/daily/2024-01-04: no job 'report' in this entry"]
    # Each entry's last job: a report three times, an ingest once: two methods, refused.
    mixed = project.acbuild("compare", ":sales/daily:", check=2)
    assert "2 methods" in mixed.stderr and "sales/daily/2024-01-04: (ingest)" in mixed.stderr
    missing = project.acbuild("compare", ":sales/daily:nothing", check=2)
    assert "no entry of list 'sales/daily' has a job 'nothing'" in missing.stderr
    assert "ingest, report" in missing.stderr
    unknown = project.acbuild("compare", ":sales/weekly:report", check=2)
    assert "no result list 'sales/weekly'" in unknown.stderr
    # A job removed by hand: its entry is a problem; none left: an error.
    first = project.acbuild("show", "--path", ":sales/daily/2024-01-01:report").stdout.strip()
    shutil.rmtree(first)
    found = compared(project, ":sales/daily:report")
    assert [r["timestamp"] for r in found["rows"]] == ["2024-01-02", "2024-01-03"]
    assert found["problems"][1].startswith(
        "sales/daily/2024-01-01: its job report is in no work directory")
    for entry in ("2024-01-02", "2024-01-03"):
        shutil.rmtree(project.acbuild("show", "--path", f":sales/daily/{entry}:report")
                      .stdout.strip())
    gone = project.acbuild("compare", ":sales/daily:report", check=2)
    assert "no job to compare" in gone.stderr and "2024-01-03: its job report" in gone.stderr


def test_a_lists_entries_compared_from_python(project: Project) -> None:
    sales(project)
    project.acbuild("run")
    proc = read(project, "import json, sys, acbuild\n"
                         "rows = acbuild.open_project(sys.argv[1]).compare(':sales/daily:report')\n"
                         "print(json.dumps(rows))\n")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [(r["timestamp"], r["total"]) for r in rows] == [
        ("2024-01-01", 10), ("2024-01-02", 20), ("2024-01-03", 30)]
