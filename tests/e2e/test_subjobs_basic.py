"""Subjobs end to end: a job's prepare or synthesis builds (or reuses) other jobs through the
run that started it, waits for them, and records them in its post.json."""

from __future__ import annotations

import json
import sqlite3

from conftest import Project


def subjob_project(project: Project) -> Project:
    project.method("square", '''
        options = {"x": 0}

        def synthesis(options):
            return options.x * options.x
    ''')
    project.method("add", '''
        options = {"k": 1}
        jobs = ("base",)

        def synthesis(options, jobs):
            return jobs.base.load() + options.k
    ''')
    project.method("parent", '''
        from acbuild import subjobs

        options = {"x": 3}

        def synthesis(job, options):
            sq = subjobs.build("square", x=options.x)
            plus = subjobs.build("add", base=sq, k=10, name="plus")
            with plus.open("result.pickle", "rb"):
                pass
            return {"square": sq.load(), "plus": plus.load(), "ids": [sq.id, plus.id],
                    "paths": [str(sq.path), str(plus.path)]}
    ''')
    project.method("reader", '''
        jobs = ("parent",)

        def synthesis(jobs):
            return jobs.parent.load()["plus"] * 2
    ''')
    project.script('''
        def main(urd):
            p = urd.build("parent", x=3)
            urd.build("reader", parent=p)
    ''')
    return project


def post(project: Project, job_id: str) -> dict:
    return json.loads((project.workdir / job_id / "post.json").read_text())


def test_parent_builds_two_subjobs_then_reuses_them(project: Project) -> None:
    subjob_project(project)
    first = project.run_json()
    by_method = {j["method"]: j for j in first["jobs"]}
    assert {m: j["state"] for m, j in by_method.items()} == {
        "parent": "built", "square": "built", "add": "built", "reader": "built"}
    parent_id = by_method["parent"]["id"]
    result = project.acbuild("show", parent_id, "--json")
    shown = json.loads(result.stdout)
    sq_id, plus_id = by_method["square"]["id"], by_method["add"]["id"]
    assert post(project, parent_id)["subjobs"] == {sq_id: "built", plus_id: "built"}
    assert shown["subjobs"] == {sq_id: "built", plus_id: "built"}
    # the results are right, and the handles pointed at the published directories
    import pickle
    value = pickle.loads((project.workdir / parent_id / "result.pickle").read_bytes())
    assert value["square"] == 9 and value["plus"] == 19
    assert value["paths"] == [str(project.workdir / sq_id), str(project.workdir / plus_id)]
    reader = pickle.loads((project.workdir / by_method["reader"]["id"] / "result.pickle")
                          .read_bytes())
    assert reader == 38
    # the parent's row of subjobs is in the database
    conn = sqlite3.connect(project.workdir / "acbuild.db")
    try:
        rows = sorted(r[0] for r in conn.execute("SELECT id FROM subjobs"))
    finally:
        conn.close()
    assert rows == sorted([sq_id, plus_id])
    second = project.run_json()
    assert {j["state"] for j in second["jobs"]} == {"reused"}
    assert second["counts"]["built"] == 0


def test_a_subjob_already_built_is_reused_and_recorded_so(project: Project) -> None:
    subjob_project(project)
    project.script('''
        def main(urd):
            urd.build("square", x=3)
            urd.build("parent", x=3)
    ''')
    report = project.run_json("-j1")
    states = [(j["method"], j["state"]) for j in report["jobs"]]
    assert ("parent", "built") in states
    parent_id = next(j["id"] for j in report["jobs"] if j["method"] == "parent")
    sq_id = next(j["id"] for j in report["jobs"] if j["method"] == "square")
    assert post(project, parent_id)["subjobs"][sq_id] == "reused"


def test_j1_with_subjobs_finishes(project: Project) -> None:
    subjob_project(project)
    project.script('''
        def main(urd):
            for x in range(3):
                urd.build("parent", x=x)
    ''')
    report = project.run_json("-j1")  # the fixture's timeout bounds a deadlock
    assert report["counts"]["failed"] == 0
    assert sorted(j["method"] for j in report["jobs"] if j["state"] == "built") == [
        "add"] * 3 + ["parent"] * 3 + ["square"] * 3


def test_a_parents_input_job_and_explicit_forms_pass_to_a_subjob(project: Project) -> None:
    subjob_project(project)
    project.method("sweep", '''
        from acbuild import subjobs

        options = {"ks": [int]}
        jobs = ("data",)

        def prepare(options, jobs):
            return [subjobs.build("add", options={"k": k}, jobs={"base": jobs.data}).load()
                    for k in options.ks]
    ''')
    project.script('''
        def main(urd):
            data = urd.build("square", x=4)
            urd.build("sweep", data=data, ks=[1, 2, 3])
    ''')
    report = project.run_json()
    sweep = next(j for j in report["jobs"] if j["method"] == "sweep")
    import pickle
    assert pickle.loads((project.workdir / sweep["id"] / "result.pickle").read_bytes()) == [
        17, 18, 19]
    assert sorted(post(project, sweep["id"])["subjobs"].values()) == ["built"] * 3


def test_threads_of_a_job_may_build_subjobs_at_once(project: Project) -> None:
    subjob_project(project)
    project.method("threaded", '''
        from concurrent.futures import ThreadPoolExecutor

        from acbuild import subjobs

        def synthesis():
            with ThreadPoolExecutor(4) as pool:
                handles = list(pool.map(lambda x: subjobs.build("square", x=x), range(8)))
            return [h.load() for h in handles]
    ''')
    project.script('''
        def main(urd):
            urd.build("threaded")
    ''')
    report = project.run_json("-j1")
    job = next(j for j in report["jobs"] if j["method"] == "threaded")
    import pickle
    assert pickle.loads((project.workdir / job["id"] / "result.pickle").read_bytes()) == [
        x * x for x in range(8)]
    assert len(post(project, job["id"])["subjobs"]) == 8
