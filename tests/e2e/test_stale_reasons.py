"""A plan with few stale jobs finds each one's closest earlier job from the few candidates
``Peers.closest`` compares (``decision.jobs_like``: the newest 20 and those with the same
options key), not by reading the method's 1,000 newest jobs; the reason is the one reading
them all gives (``decision.earlier_jobs``), which the last test compares in-process."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys

from conftest import SRC, Project

A = '''
    options = {"v": 0}

    def synthesis(options):
        return options.v
'''
B = '''
    options = {"x": 0}
    jobs = ("a",)

    def synthesis(options, jobs):
        return options.x + jobs.a.load()
'''


def _script(project: Project, moved: int | None, count: int = 30) -> None:
    """b(x) for x below ``count`` (the last built last) reading a(v=0); ``moved`` reads
    a(v=1)."""
    project.script(f'''
        def main(urd):
            a0 = urd.build("a", v=0)
            a1 = urd.build("a", v=1)
            for x in range({count}):
                urd.build("b", x=x, a=a1 if x == {moved} else a0)
    ''')


def _built(project: Project) -> dict[int, str]:
    """x -> the job id of b(x, a=a0)."""
    ids = {}
    for job in project.run_json()["jobs"]:
        setup = json.loads((project.workdir / job["id"] / "setup.json").read_text())
        if job["method"] == "b":
            ids[setup["options"]["x"]] = job["id"]
    return ids


def _stale_reason(project: Project) -> str:
    (job,) = [j for j in project.status_json()["jobs"] if j["state"] == "stale"]
    return str(job["reason"])


def test_the_closest_job_beyond_the_newest_is_found_by_its_options(project: Project) -> None:
    project.method("a", A)
    project.method("b", B)
    _script(project, None)
    ids = _built(project)
    _script(project, 3)  # b(x=3) is the 27th newest b: found by its options key
    reason = _stale_reason(project)
    assert reason.endswith(f"(since {ids[3]})") and "input a" in reason, reason


def test_without_the_index_or_a_newest_directory_the_reason_is_the_same(
        project: Project) -> None:
    project.method("a", A)
    project.method("b", B)
    _script(project, None, count=31)
    ids = _built(project)
    _script(project, 3)
    expected = _stale_reason(project)
    conn = sqlite3.connect(project.workdir / "acbuild.db")
    with conn:  # the index lacks them (an older acbuild): read from setup.json, then indexed
        conn.execute("DELETE FROM identities")
    conn.close()
    assert _stale_reason(project) == expected
    assert _stale_reason(project) == expected  # from the index it wrote
    shutil.rmtree(project.workdir / ids[30])  # the newest one gone: all of them are read
    assert _stale_reason(project) == expected


COMPARE = '''
import json, sys
from pathlib import Path
from acbuild import decision, plan
from acbuild.config import load_project
from acbuild.session import Session

out = []
with Session(load_project()) as session:
    store = session.store
    for x in [0, 3, 10, 25, 29, 40]:
        for a in ["a0", "a1", "none"]:
            view = {"method": "b", "options": {"x": x}, "jobs": {"a": a}}
            every = decision.earlier_jobs(store, "b").closest(view)
            like = decision.jobs_like(store, "b", plan.options_key(view))
            few = like.closest(view)
            out.append([every[0].id, few[0].id, [d.text for d in every[1]],
                        [d.text for d in few[1]], len(like.jobs())])
print(json.dumps(out))
'''


def test_the_few_candidates_give_the_closest_job_reading_them_all_gives(
        project: Project) -> None:
    project.method("a", A)
    project.method("b", B)
    _script(project, None)
    _built(project)
    proc = subprocess.run([sys.executable, "-c", COMPARE], cwd=project.root, check=True,
                          capture_output=True, text=True, env={"PYTHONPATH": str(SRC)})
    for every_id, few_id, every_diff, few_diff, read in json.loads(proc.stdout):
        assert (few_id, few_diff) == (every_id, every_diff)
        assert read <= 21  # the newest 20, and the one with the same options
