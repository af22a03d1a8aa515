"""Looking is free: planning never imports a method (DESIGN.md section 5).

The methods here import a module, outside the project, that writes a line to a marker
file each time a process imports it: the process's ``sys.argv[0]``. acbuild's own
process is ``.../acbuild/__main__.py``; a job's side (the launcher, whose forks run the
jobs) is ``.../acbuild/child/__main__.py``. So the marker says exactly which commands
imported the method, and in which process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SRC, Project

HEAVY = "acbuild_test_heavy_dependency"

TRAIN = '''
"""Train on the data (imports a heavy library)."""
from datetime import date

import _plugins
import acbuild_test_heavy_dependency as heavy
from acbuild import Required
from acbuild.options import Choice

options = {"n": Required(int), "start": date(2020, 1, 1), "cols": [str],
           "weights": {str: int}, "kind": Choice("x", "y", default="x")}
jobs = ("data",)
depend_extra = (_plugins, "schema.json")
resources = {"cpus": 1, "memory": "64MiB"}


def synthesis(options, jobs):
    return heavy.VALUE * options.n + jobs.data.load() + options.start.year
'''
PREP = '''
"""Make the data."""
options = {"x": 1}


def synthesis(options):
    return options.x
'''
SCRIPT = '''
def main(urd):
    data = urd.build("prep")
    urd.build("train", data=data, n=3, cols=["a"])
'''


@pytest.fixture
def heavy(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A module outside the project that notes who imports it; the env that finds it."""
    site, marker = tmp_path / "site", tmp_path / "imported.log"
    site.mkdir()
    (site / f"{HEAVY}.py").write_text(
        "import sys\n"
        f"with open({str(marker)!r}, 'a') as f:\n"
        "    f.write(sys.argv[0] + '\\n')\n"
        "VALUE = 7\n"
        "DEFAULT = 5\n")
    return {"PYTHONPATH": f"{SRC}:{site}"}, marker


def status(project: Project, env: dict[str, str]) -> dict[str, str]:
    report = json.loads(project.acbuild("status", "--json", env=env).stdout)
    return {j["method"]: j["state"] for j in report["jobs"]}


def importers(marker: Path) -> list[str]:
    return marker.read_text().splitlines() if marker.exists() else []


def planner(line: str) -> bool:
    return Path(line).parts[-2:] == ("acbuild", "__main__.py")


def make(project: Project) -> None:
    project.method("train", TRAIN)
    project.method("prep", PREP)
    project.method("_plugins", "NAMES = ('a',)\n")
    project.write("methods/schema.json", "{}\n")
    project.script(SCRIPT)


def look(project: Project, env: dict[str, str]) -> None:
    """Every command that only looks."""
    project.acbuild("status", env=env)
    project.acbuild("status", "--json", env=env)
    project.acbuild("graph", env=env)
    project.acbuild("graph", "--format", "json", env=env)
    project.acbuild("explain", env=env)
    project.acbuild("methods", env=env)
    project.acbuild("methods", "train", "--json", env=env)
    project.acbuild("run", "--dry-run", env=env)


def test_looking_and_a_noop_run_never_import_a_method(
        project: Project, heavy: tuple[dict[str, str], Path]) -> None:
    env, marker = heavy
    make(project)
    look(project, env)
    assert importers(marker) == []  # not even before anything was built

    report = json.loads(project.acbuild("run", "--json", env=env).stdout)
    assert sorted(j["state"] for j in report["jobs"]) == ["built", "built"]
    train = next(j["id"] for j in report["jobs"] if j["method"] == "train")
    assert json.loads(project.acbuild("show", train, "--json", env=env).stdout)["result"] \
        == 7 * 3 + 1 + 2020  # JSON data, not a repr
    built_by = importers(marker)
    assert built_by and not any(planner(line) for line in built_by), built_by

    marker.unlink()
    again = json.loads(project.acbuild("run", "--json", env=env).stdout)
    assert sorted(j["state"] for j in again["jobs"]) == ["reused", "reused"]
    look(project, env)
    project.acbuild("explain", "train", env=env)
    assert importers(marker) == []

    # The declarations are kept by code hash: an edit is seen at once, without an import.
    project.method("train", TRAIN.replace("date(2020, 1, 1)", "date(2021, 1, 1)"))
    assert status(project, env) == {"prep": "cached", "train": "stale"}
    assert importers(marker) == []
    rebuilt = json.loads(project.acbuild("run", "--json", env=env).stdout)
    assert {j["method"]: j["state"] for j in rebuilt["jobs"]} == {"prep": "reused",
                                                                 "train": "built"}
    assert importers(marker) and not any(planner(line) for line in importers(marker))


@pytest.mark.parametrize("edit", ["option default", "depend_extra", "jobs entry",
                                  "depend_extra file", "helper module"])
def test_a_changed_declaration_of_a_cached_method_is_seen_at_once(
        project: Project, heavy: tuple[dict[str, str], Path], edit: str) -> None:
    env, marker = heavy
    make(project)
    project.acbuild("run", env=env)
    assert status(project, env) == {"prep": "cached", "train": "cached"}
    changed = {
        "option default": lambda: project.method(
            "train", TRAIN.replace('default="x"', 'default="y"')),
        "depend_extra": lambda: project.method(
            "train", TRAIN.replace('"schema.json")', '"schema.json", "more.json")')),
        "jobs entry": lambda: project.method(
            "train", TRAIN.replace('jobs = ("data",)', 'jobs = ("data", "extra")')),
        "depend_extra file": lambda: project.write("methods/schema.json", '{"v": 2}\n'),
        "helper module": lambda: project.method("_plugins", "NAMES = ('a', 'b')\n"),
    }
    project.write("methods/more.json", "{}\n")
    changed[edit]()
    assert status(project, env) == {"prep": "cached", "train": "stale"}
    report = json.loads(project.acbuild("run", "--json", env=env).stdout)
    assert {j["method"]: j["state"] for j in report["jobs"]} == {"prep": "reused",
                                                                "train": "built"}
    assert not any(planner(line) for line in importers(marker))


def test_declarations_that_need_a_third_party_module_import_it_once_per_code_change(
        project: Project, heavy: tuple[dict[str, str], Path]) -> None:
    env, marker = heavy
    project.method("m", f'''
        import {HEAVY} as heavy

        options = {{"n": heavy.DEFAULT}}

        def synthesis(options):
            return options.n
    ''')
    project.script('def main(urd):\n    urd.build("m")\n')
    first = project.acbuild("status", env=env)
    assert "was imported to read its declarations" in first.stderr + first.stdout
    assert f"{HEAVY}.DEFAULT" in first.stderr + first.stdout
    assert [planner(line) for line in importers(marker)] == [True]
    project.acbuild("status", env=env)
    project.acbuild("methods", "m", env=env)
    assert len(importers(marker)) == 1  # kept by code hash: not imported again
    report = json.loads(project.acbuild("run", "--json", env=env).stdout)
    assert [j["state"] for j in report["jobs"]] == ["built"]
    job = report["jobs"][0]["id"]
    assert json.loads(project.acbuild("show", job, "--json", env=env).stdout)["result"] == 5
    assert [planner(line) for line in importers(marker)] == [True, False]  # then the job's

    project.method("m", f'''
        import {HEAVY} as heavy

        options = {{"n": heavy.DEFAULT + 1}}

        def synthesis(options):
            return options.n
    ''')
    project.acbuild("status", env=env)
    project.acbuild("status", env=env)
    assert [planner(line) for line in importers(marker)] == [True, False, True]


def test_a_method_that_fails_to_import_is_reported_with_its_file_and_line(
        project: Project) -> None:
    project.method("missing", "import acbuild_nosuch_module_xyz\n\n"
                              "def synthesis():\n    return 1\n")
    project.script('def main(urd):\n    urd.build("missing")\n')
    for command in ("status", "run"):
        proc = project.acbuild(command, check=2)
        assert "No module named 'acbuild_nosuch_module_xyz'" in proc.stderr
        assert "methods/missing.py:1" in proc.stderr and "Traceback" not in proc.stderr
    assert project.job_dirs() == []

    # Valid declarations, a top level that raises: planning cannot know; the job says so.
    project.method("raises", "def synthesis():\n    return 1\n\n"
                             "raise RuntimeError('broken at import')\n")
    project.script('def main(urd):\n    urd.build("raises")\n')
    assert project.status_json()["counts"]["stale"] == 1
    proc = project.acbuild("run", check=1)
    assert "RuntimeError: broken at import" in proc.stdout + proc.stderr
    assert 'raises.py", line 4' in proc.stderr  # the traceback, in the failure report
    assert project.job_dirs() == []  # nothing published: it is kept in .failed/


def test_bad_declarations_name_their_file_and_line(project: Project) -> None:
    cases = {
        "options = {'x': object()}\n": ("option 'x' has an invalid declaration", ":1"),
        "X = 1\noptions = 5\n": ("'options' must be a dict, not int", ":2"),
        "X = 1\noptions = {'x': 1\n": ("syntax error", ":2"),
        "depend_extra = ('nosuch.json',)\n": ("nosuch.json", ":1"),
        "X = 1\njobs = ('a b',)\n": ("'jobs' must be a tuple of names", ":2"),
        "X = 1\nY = 2\nresources = {'cpus': 0}\n": ("'cpus' must be a whole number", ":3"),
        "resources = {'disk': 1}\n": ("unknown resource 'disk'", ":1"),
        "def analysis(sliceno, nope):\n    pass\n": ("parameter 'nope'", ":1"),
    }
    project.script('def main(urd):\n    urd.build("m")\n')
    for text, (needle, line) in cases.items():
        project.method("m", text + "\ndef synthesis():\n    pass\n")
        proc = project.acbuild("status", check=2)
        assert needle in proc.stderr and f"methods/m.py{line}" in proc.stderr, proc.stderr
