"""Hostile review: a subjob of a method with a list input is the same job urd.build makes
(same id for the same method, options and inputs), and a list input can be given to it."""

from __future__ import annotations

import pickle

from conftest import Project


def lists_project(project: Project) -> Project:
    project.method("prod", '''
        options = {"n": 1}

        def synthesis(options):
            return options.n
    ''')
    project.method("cons", '''
        jobs = (["many"],)

        def synthesis(jobs):
            return [None if j is None else j.load() for j in jobs.many]
    ''')
    project.method("parent", '''
        from acbuild import subjobs

        jobs = ("a", "b")

        def synthesis(jobs):
            empty = subjobs.build("cons")
            given = subjobs.build("cons", many=[jobs.b, None, jobs.a])
            listed = subjobs.build("cons", jobs={"many": [jobs.b, None, jobs.a]})
            return {"empty": [empty.id, empty.load()], "given": [given.id, given.load()],
                    "listed": listed.id}
    ''')
    project.script('''
        def main(urd):
            a = urd.build("prod", n=1)
            b = urd.build("prod", n=2)
            urd.build("cons")
            urd.build("cons", many=[b, None, a])
            urd.build("parent", a=a, b=b)
    ''')
    return project


def test_subjob_list_input_is_the_scripts_job(project: Project) -> None:
    lists_project(project)
    report = project.run_json()
    by = {(j["method"], j.get("reason", "")): j for j in report["jobs"]}
    cons_ids = sorted(j["id"] for j in report["jobs"] if j["method"] == "cons")
    parent = next(j for (m, _), j in by.items() if m == "parent")
    value = pickle.loads((project.workdir / parent["id"] / "result.pickle").read_bytes())
    # the subjobs are the very jobs the script built: same method, options and inputs
    assert sorted({value["empty"][0], value["given"][0]}) == sorted(set(cons_ids))
    assert value["listed"] == value["given"][0]
    assert value["empty"][1] == [] and value["given"][1] == [2, None, 1]
    assert len(set(cons_ids)) == 2


def test_a_list_of_jobs_for_an_option_fails_the_parent_clearly(project: Project) -> None:
    project.method("prod", '''
        def synthesis():
            return 1
    ''')
    project.method("optl", '''
        options = {"opt": []}

        def synthesis(options):
            return options.opt
    ''')
    project.method("parent", '''
        from acbuild import subjobs

        jobs = ("a",)

        def synthesis(jobs):
            return subjobs.build("optl", opt=[None, jobs.a]).id
    ''')
    project.script('''
        def main(urd):
            urd.build("parent", a=urd.build("prod"))
    ''')
    proc = project.acbuild("run", check=1)
    assert "option 'opt' got a job" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr.split("FAILED")[0]
    assert not [d for d in project.job_dirs() if d.startswith("optl-")]
