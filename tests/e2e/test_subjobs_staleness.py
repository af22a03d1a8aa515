"""A parent is current only while every subjob it recorded would be the same job today:
editing a subjob's method re-runs the parent (and what reads it), and nothing else."""

from __future__ import annotations

import json
import pickle

from conftest import Project


def project_with_subjobs(project: Project) -> Project:
    project.method("square", '''
        options = {"x": 0}

        def synthesis(options):
            return options.x * options.x
    ''')
    project.method("cube", '''
        options = {"x": 0}

        def synthesis(options):
            return options.x ** 3
    ''')
    project.method("parent", '''
        from acbuild import subjobs

        def synthesis():
            return [subjobs.build("square", x=2).load(), subjobs.build("cube", x=2).load()]
    ''')
    project.method("reader", '''
        jobs = ("parent",)

        def synthesis(jobs):
            return sum(jobs.parent.load())
    ''')
    project.method("other", '''
        def synthesis():
            return "unrelated"
    ''')
    project.script('''
        def main(urd):
            p = urd.build("parent")
            urd.build("reader", parent=p)
            urd.build("other")
    ''')
    return project


def result(project: Project, job_id: str) -> object:
    return pickle.loads((project.workdir / job_id / "result.pickle").read_bytes())


def test_editing_a_subjobs_method_reruns_its_parent_and_only_what_is_needed(
        project: Project) -> None:
    project_with_subjobs(project)
    first = {j["method"]: j for j in project.run_json()["jobs"]}
    assert result(project, first["reader"]["id"]) == 12
    # a comment is not code: nothing changes
    project.method("cube", '''
        options = {"x": 0}

        def synthesis(options):
            # the same computation
            return options.x ** 3
    ''')
    assert project.run_json()["counts"]["built"] == 0
    project.method("cube", '''
        options = {"x": 0}

        def synthesis(options):
            return options.x ** 3 + 1
    ''')
    status = {j["method"]: j for j in project.status_json()["jobs"]}
    assert status["parent"]["state"] == "stale"
    assert (f"subjob {first['cube']['id']} would be a different job: the code of its "
            "method 'cube' changed") in status["parent"]["reason"]
    assert status["reader"]["state"] == "stale"
    assert status["other"]["state"] == "cached"
    report = project.run_json()
    states = sorted((j["method"], j["state"]) for j in report["jobs"])
    assert states == [("cube", "built"), ("other", "reused"), ("parent", "built"),
                      ("reader", "built"), ("square", "reused")]
    again = {j["method"]: j for j in report["jobs"]}
    assert again["parent"]["id"] == first["parent"]["id"]  # the same job, built again
    assert again["cube"]["id"] != first["cube"]["id"]
    assert result(project, again["reader"]["id"]) == 13
    post = json.loads((project.workdir / again["parent"]["id"] / "post.json").read_text())
    assert post["subjobs"] == {first["square"]["id"]: "reused", again["cube"]["id"]: "built"}
    assert project.run_json()["counts"]["built"] == 0


def test_a_removed_subjob_method_makes_the_parent_stale(project: Project) -> None:
    project_with_subjobs(project)
    project.run_json()
    (project.root / "methods" / "cube.py").unlink()
    status = {j["method"]: j for j in project.status_json()["jobs"]}
    assert "its method 'cube' no longer exists" in status["parent"]["reason"]


def test_gc_keeps_the_subjobs_of_a_kept_parent(project: Project) -> None:
    project_with_subjobs(project)
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 1\nkeep_runs = 1\n')
    first = {j["method"]: j["id"] for j in project.run_json()["jobs"]}
    project.run_json()  # reuses the parent only: its subjobs are not this run's jobs
    report = json.loads(project.acbuild("gc", "--json").stdout)
    assert [r["name"] for r in report["removed"] if r["kind"] == "job"] == []
    assert {first["square"], first["cube"]} <= set(project.job_dirs())
    assert project.run_json()["counts"]["built"] == 0


def test_doctor_rebuild_restores_the_record_of_subjobs(project: Project) -> None:
    project_with_subjobs(project)
    project.run_json()
    (project.workdir / "acbuild.db").unlink()
    project.acbuild("doctor", "--rebuild")
    assert project.run_json()["counts"]["built"] == 0
    project.method("square", '''
        options = {"x": 0}

        def synthesis(options):
            return options.x * options.x * 1
    ''')
    status = {j["method"]: j for j in project.status_json()["jobs"]}
    assert "the code of its method 'square' changed" in status["parent"]["reason"]
