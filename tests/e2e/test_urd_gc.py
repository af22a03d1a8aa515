"""`gc` keeps what the current build scripts use and what the live result lists name."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from conftest import Project


def gc_json(project: Project, *args: str) -> dict[str, Any]:
    return json.loads(project.acbuild("gc", "--json", *args).stdout)


def removed(report: dict[str, Any]) -> list[str]:
    return sorted(r["name"] for r in report["removed"] if r["kind"] == "job")


def counter(project: Project) -> None:
    project.method("count", 'options = {"n": 0}\n\ndef synthesis(options):\n'
                            '    return options.n\n')


def ids(report: dict[str, Any]) -> list[str]:
    return [j["id"] for j in report["jobs"]]


def test_gc_keeps_the_jobs_of_a_script_edited_and_reverted_since_its_last_run(
        project: Project) -> None:
    counter(project)
    v1 = 'def main(urd):\n    urd.build("count", n=1)\n'
    project.script(v1)
    first = ids(project.run_json())
    project.script('def main(urd):\n    urd.build("count", n=2)\n')
    second = ids(project.run_json())
    project.script(v1)  # reverted, not run again
    report = gc_json(project, "-n", "--keep-runs", "1")
    assert removed(report) == []
    assert report["kept"]["used by a current build script"] == 1
    assert removed(gc_json(project, "-n", "--keep-runs", "1", "--no-scripts")) == first
    # Another script a run ran is a current script too, while it exists.
    project.script('def main(urd):\n    urd.build("count", n=3)\n', name="other.py")
    third = ids(project.run_json("other.py"))
    assert removed(gc_json(project, "-n", "--keep-runs", "0")) == second
    (project.root / "other.py").unlink()
    assert removed(gc_json(project, "-n", "--keep-runs", "0")) == sorted(second + third)
    # A script that does not evaluate keeps nothing, and says so.
    project.script('def main(urd):\n    raise ValueError("no")\n')
    proc = project.acbuild("gc", "-n", "--keep-runs", "0")
    assert "does not evaluate" in proc.stderr and first[0] in proc.stdout


def test_gc_keeps_what_live_list_entries_name_and_not_ghosts(project: Project) -> None:
    counter(project)
    project.script('''
        def main(urd):
            for day in (1, 2):
                urd.begin("days", day)
                urd.build("count", n=day)
                urd.finish("days")
    ''')
    listed = ids(project.run_json())
    project.script('def main(urd):\n    urd.build("count", n=9)\n')
    project.run_json()
    project.run_json()
    report = gc_json(project, "-n", "--keep-runs", "1", "--no-scripts")
    assert removed(report) == [] and report["kept"]["named by a result list"] == 2
    project.script('def main(urd):\n    urd.truncate("days", 2)\n    urd.build("count", n=9)\n')
    project.run_json()
    report = gc_json(project, "--keep-runs", "1", "--no-scripts")
    assert removed(report) == [listed[1]]  # the truncated entry's job; day 1 is kept
    assert project.acbuild("show", "--path", ":days:count").stdout.strip().endswith(listed[0])


def test_remote_gc_keep_lists_keeps_what_the_lists_name(project: Project) -> None:
    pytest.importorskip("obstore")
    pytest.importorskip("cryptography")
    shared = project.root.parent / "remote"
    shared.mkdir()
    project.acbuild("remote", "keygen", "ci")
    counter(project)
    project.write("acbuild.toml", f'''
        methods = ["methods"]
        slices = 1
        [remote]
        url = "file://{shared}"
        sign_key = "{project.root / 'ci.key'}"
        [remote.trusted_keys]
        ci = "{project.root / 'ci.pub'}"
    ''')
    project.script('''
        def main(urd):
            urd.begin("models", 1)
            urd.build("count", n=1)
            urd.finish("models")
            urd.build("count", n=2)
    ''')
    listed = project.run_json()["jobs"][0]["id"]
    project.acbuild("push")
    time.sleep(1.1)  # both jobs are now older than 1s
    args = ("remote", "gc", "--keep-newer", "1s", "--grace", "1s", "--dry-run", "--json")
    assert len(json.loads(project.acbuild(*args).stdout)["removed"]) == 2
    report = json.loads(project.acbuild(*args, "--keep-lists").stdout)
    assert report["kept"] == [listed] and len(report["removed"]) == 1
