"""The fast path for cached jobs still sees every change, on a graph of 2,000 jobs.

A no-op run plans thousands of jobs with one batched lookup (a table scan when most of
the table is wanted) and no per-job disk access; these tests check that it still finds
exactly the jobs a changed option, input file or method affects, and nothing else.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from conftest import Project

WIDE, FILES, TOP = 1000, 10, 10  # gen jobs; input files; top jobs (2,000 jobs in all)

SCRIPT = f"""
import pathlib

EDIT = int(pathlib.Path("edit.txt").read_text())


def main(urd):
    gen = [urd.build("gen", i=i, k=EDIT if i == 7 else 0) for i in range({WIDE})]
    use = [urd.build("use", src=urd.file(f"data/{{i % {FILES}}}.txt"), x=gen[i])
           for i in range({WIDE - TOP})]
    for i in range({TOP}):
        urd.build("top", x=use[i])
"""


def big_project(project: Project) -> Project:
    project.method("gen", '''
        options = {"i": 0, "k": 0}

        def synthesis(options):
            return options.i + options.k
    ''')
    project.method("use", '''
        options = {"src": None}
        jobs = ("x",)

        def synthesis():
            return None
    ''')
    project.method("top", '''
        jobs = ("x",)

        def synthesis():
            return 1
    ''')
    for n in range(FILES):
        project.write(f"data/{n}.txt", f"file {n}\n")
    project.write("edit.txt", "0\n")
    project.script(SCRIPT)
    return project


def by_state(report: dict[str, Any], state: str) -> Counter[str]:
    return Counter(j["method"] for j in report["jobs"] if j["state"] == state)


def changes_only(project: Project, expected: dict[str, int]) -> None:
    """status, then run, see exactly ``expected`` (method -> jobs) stale; then all cached."""
    status = project.status_json()
    assert by_state(status, "stale") == Counter(expected)
    assert status["counts"] == {"cached": 2 * WIDE - sum(expected.values()),
                                "stale": sum(expected.values())}
    run = project.run_json("-j2")
    assert by_state(run, "built") == Counter(expected)
    assert run["counts"]["reused"] == 2 * WIDE - sum(expected.values())
    assert project.status_json()["counts"] == {"cached": 2 * WIDE, "stale": 0}


def test_a_change_is_seen_among_2000_cached_jobs(project: Project) -> None:
    big_project(project)
    first = project.run_json("-j2")
    assert first["counts"]["built"] == 2 * WIDE
    again = project.run_json()
    assert again["counts"] == {"built": 0, "reused": 2 * WIDE, "failed": 0, "skipped": 0}

    project.write("edit.txt", "1\n")  # one option of one job: it and what is downstream
    changes_only(project, {"gen": 1, "use": 1, "top": 1})

    project.write("data/3.txt", "file 3, changed\n")  # one input file: the jobs that read it
    changes_only(project, {"use": (WIDE - TOP) // FILES, "top": 1})

    project.method("top", '''
        jobs = ("x",)

        def synthesis():
            return 2
    ''')  # one method's code: its jobs only
    changes_only(project, {"top": TOP})
