"""`acbuild urd` counts a list's ghosts always (a 0 means none), and a list whose entries
are all ghosts says so instead of printing nothing (review-user)."""

from __future__ import annotations

import json

from conftest import Project

DAILY = """
def main(urd):
    urd.begin("sales/daily", "2024-01-02", caption="{caption}")
    urd.build("ingest")
    urd.finish("sales/daily", update=True)
"""

WEEKLY = """
def main(urd):
    urd.begin("sales/weekly", 1)
    urd.build("ingest", n=urd.latest("sales/daily").caption)
    urd.finish("sales/weekly")
"""


def weekly_read_a_replaced_entry(project: Project) -> None:
    """sales/daily's entry, read by sales/weekly's, then replaced: the old one and weekly's
    are ghosts."""
    project.method("ingest", 'options = {"n": ""}\n\ndef synthesis(options):\n    return 1\n')
    project.script(DAILY.format(caption="one"), "daily.py")
    project.script(WEEKLY, "weekly.py")
    project.acbuild("run", "daily.py")
    project.acbuild("run", "weekly.py")
    project.script(DAILY.format(caption="two"), "daily.py")
    project.acbuild("run", "daily.py")


def test_ghost_counts_and_ghost_only_list(project: Project) -> None:
    weekly_read_a_replaced_entry(project)

    lists = json.loads(project.acbuild("urd", "--json").stdout)["lists"]
    assert lists == [{"list": "sales/daily", "entries": 1, "ghosts": 1,
                      "first": "2024-01-02", "latest": "2024-01-02"}]
    both = json.loads(project.acbuild("urd", "--ghosts", "--json").stdout)["lists"]
    assert both[1] == {"list": "sales/weekly", "entries": 0, "ghosts": 1,
                       "first": None, "latest": None}
    assert "(1 ghosts)" in project.acbuild("urd").stdout
    weekly = project.acbuild("urd", "sales/weekly")
    assert "no live entries" in weekly.stdout and "--ghosts" in weekly.stdout
    assert "[ghost:" in project.acbuild("urd", "sales/weekly", "--ghosts").stdout


READ = """
import acbuild, sys
urd = acbuild.open_project(sys.argv[1]).urd
print([(e.timestamp, e.ghost) for e in urd.entries("sales/weekly", ghosts=True)])
try:
    urd.latest("sales/weekly")
except acbuild.errors.AcbuildError as e:
    print("error:", str(e).splitlines()[0])
"""


def test_python_reads_a_list_of_ghosts_only(project: Project) -> None:
    import subprocess
    import sys

    from conftest import SRC

    weekly_read_a_replaced_entry(project)
    proc = subprocess.run([sys.executable, "-c", READ, str(project.root)],
                          env={"PYTHONPATH": str(SRC)}, capture_output=True, text=True,
                          timeout=60, check=True)
    ghosts, error = proc.stdout.splitlines()
    assert ghosts == "[('1', 'read an entry that was replaced or truncated')]"
    assert error == "error: list 'sales/weekly' has only ghosts (replaced or truncated entries)"
