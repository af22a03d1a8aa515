"""Hostile review: a job rebuilt in place (force=True) that is an element of another job's
list input, or an input of a subjob, makes that reader stale, as a single input does: no
result made from the earlier build of it is handed out."""

from __future__ import annotations

import pickle

from conftest import Project

PROD = '''
    import time

    def synthesis():
        return time.time_ns()
'''


def result(project: Project, job_id: str) -> object:
    return pickle.loads((project.workdir / job_id / "result.pickle").read_bytes())


def ids(report: dict) -> dict[str, str]:
    return {j["method"]: j["id"] for j in report["jobs"]}


def test_forced_element_of_a_list_input_rebuilds_the_reader(project: Project) -> None:
    project.method("prod", PROD)
    project.method("cons", '''
        jobs = (["many"],)

        def synthesis(jobs):
            return [j.load() for j in jobs.many]
    ''')
    project.script('''
        import os

        def main(urd):
            a = urd.build("prod", force=bool(os.environ.get("F")))
            if not os.environ.get("ONLY"):
                urd.build("cons", many=[a])
    ''')
    first = ids(project.run_json())
    # forced in the same run: the reader is built again
    proc = project.acbuild("run", "--json", env={"F": "1"})
    import json
    states = {j["method"]: j["state"] for j in json.loads(proc.stdout)["jobs"]}
    assert states == {"prod": "built", "cons": "built"}
    assert result(project, first["cons"]) == [result(project, first["prod"])]
    # forced in a run that stops before the reader: the next run builds it again
    project.acbuild("run", env={"F": "1", "ONLY": "1"})
    states = {j["method"]: j["state"] for j in project.run_json()["jobs"]}
    assert states == {"prod": "reused", "cons": "built"}
    assert result(project, first["cons"]) == [result(project, first["prod"])]


def test_forced_input_of_a_subjob_rebuilds_the_subjob(project: Project) -> None:
    project.method("prod", PROD)
    project.method("sub", '''
        jobs = ("base",)

        def synthesis(jobs):
            return jobs.base.load()
    ''')
    project.method("par", '''
        from acbuild import subjobs

        jobs = ("a",)

        def synthesis(jobs):
            return [jobs.a.load(), subjobs.build("sub", base=jobs.a).load()]
    ''')
    project.script('''
        import os

        def main(urd):
            urd.build("par", a=urd.build("prod", force=bool(os.environ.get("F"))))
    ''')
    first = ids(project.run_json())
    project.acbuild("run", env={"F": "1"})
    a, sub = result(project, first["par"])
    assert a == sub == result(project, first["prod"])
    assert result(project, first["sub"]) == a
