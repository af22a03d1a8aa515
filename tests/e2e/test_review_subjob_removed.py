"""Hostile review: a cached parent whose recorded subjob's directory was removed is built
again (and so its subjob), as a job whose input was removed is: a reused parent's result
may name its subjob, and what it names must be there."""

from __future__ import annotations

import pickle
import shutil

from conftest import Project


def test_parent_of_a_removed_subjob_is_built_again(project: Project) -> None:
    project.method("sub", '''
        def synthesis(job):
            with job.open("data.txt", "w") as f:
                f.write("sub data")
    ''')
    project.method("par", '''
        from acbuild import subjobs

        def synthesis():
            return str(subjobs.build("sub").path)
    ''')
    project.method("reader", '''
        jobs = ("par",)

        def synthesis(jobs):
            with open(jobs.par.load() + "/data.txt") as f:
                return f.read()
    ''')
    project.script('''
        def main(urd):
            urd.build("reader", par=urd.build("par"))
    ''')
    first = {j["method"]: j["id"] for j in project.run_json()["jobs"]}
    shutil.rmtree(project.workdir / first["sub"])
    status = project.status_json()
    stale = {j["id"]: j.get("reason", "") for j in status["jobs"] if j.get("state") == "stale"}
    assert first["par"] in stale and "removed" in stale[first["par"]], status
    again = {j["method"]: j["state"] for j in project.run_json()["jobs"]}
    assert again == {"sub": "built", "par": "built", "reader": "built"}
    assert (project.workdir / first["sub"] / "data.txt").read_text() == "sub data"
    value = pickle.loads((project.workdir / first["reader"] / "result.pickle").read_bytes())
    assert value == "sub data"
