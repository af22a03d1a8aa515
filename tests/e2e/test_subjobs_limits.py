"""Subjobs at their limits: nesting five deep works, a sixth level fails clearly naming the
chain, a failing subjob fails its parent naming both, analysis may not build subjobs."""

from __future__ import annotations

import pickle

from conftest import Project

NEST = '''
from acbuild import subjobs

options = {"level": 0, "stop": 5}

def synthesis(options):
    if options.level == options.stop:
        return [options.level]
    below = subjobs.build("nest", level=options.level + 1, stop=options.stop)
    return [options.level] + below.load()
'''


def nest_project(project: Project, stop: int) -> Project:
    project.method("nest", NEST)
    project.script(f'''
        def main(urd):
            urd.build("nest", level=0, stop={stop})
    ''')
    return project


def test_nesting_five_deep_works_and_reruns_nothing(project: Project) -> None:
    nest_project(project, 5)
    report = project.run_json("-j1")
    assert report["counts"]["built"] == 6 and report["counts"]["failed"] == 0
    top = next(j for j in report["jobs"] if j["method"] == "nest" and j["state"] == "built"
               and "subjob" not in j["reason"])
    assert pickle.loads((project.workdir / top["id"] / "result.pickle").read_bytes()) == [
        0, 1, 2, 3, 4, 5]
    again = project.run_json("-j1")
    assert again["counts"]["built"] == 0
    # status lists the recorded subjobs beneath their parent, five deep
    status = project.status_json()
    subs = status["jobs"][0]["subjobs"]
    assert [s["depth"] for s in subs] == [1, 2, 3, 4, 5]
    tree = project.acbuild("graph").stdout
    assert tree.count("subjob") == 5


def test_a_sixth_level_fails_naming_the_chain(project: Project) -> None:
    nest_project(project, 6)
    proc = project.acbuild("run", "-j1", check=1)
    out = proc.stdout + proc.stderr
    assert "subjobs nest at most 5 deep" in out
    assert out.count(" > nest-") >= 5  # the chain, by job ids
    # the deepest job that asked failed, and so did every parent above it
    report = project.run_json("-j1", check=1)
    assert report["counts"]["failed"] >= 1


def test_failing_subjob_fails_its_parent_naming_both(project: Project) -> None:
    project.method("bad", '''
        def synthesis():
            raise ValueError("broken on purpose")
    ''')
    project.method("parent", '''
        from acbuild import subjobs

        def synthesis():
            subjobs.build("bad")
            return 1
    ''')
    project.script('''
        def main(urd):
            urd.build("parent")
    ''')
    report = project.run_json(check=1)
    by_method = {j["method"]: j for j in report["jobs"]}
    assert by_method["bad"]["state"] == "failed"
    assert by_method["parent"]["state"] == "failed"
    reason = by_method["parent"]["reason"]
    assert by_method["bad"]["id"] in reason and "broken on purpose" in reason
    kept = by_method["bad"]["path"]
    assert kept and kept in reason
    assert (project.workdir.joinpath(kept).exists())


def test_subjobs_in_analysis_are_refused(project: Project) -> None:
    project.method("leaf", '''
        def synthesis():
            return 1
    ''')
    project.method("sliced", '''
        from acbuild import subjobs

        def analysis(sliceno):
            return subjobs.build("leaf").load()
    ''')
    project.script('''
        def main(urd):
            urd.build("sliced")
    ''')
    report = project.run_json(check=1)
    job = report["jobs"][0]
    assert job["state"] == "failed"
    assert "refused in analysis" in job["reason"]
    assert "leaf" not in [j["method"] for j in report["jobs"]]


def test_bad_subjob_arguments_fail_the_parent_clearly(project: Project) -> None:
    project.method("leaf", '''
        options = {"n": 1}

        def synthesis():
            return 1
    ''')
    project.method("parent", '''
        from acbuild import subjobs

        def prepare():
            subjobs.build("leaf", m=2)
    ''')
    project.script('''
        def main(urd):
            urd.build("parent")
    ''')
    report = project.run_json(check=1)
    reason = report["jobs"][0]["reason"]
    assert "no option or input 'm'" in reason and "'leaf'" in reason
