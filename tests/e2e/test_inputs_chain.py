"""Handles and chains end to end: handles of one job are equal (and equal to its id), and
``chain()`` follows the ``previous`` input, in build scripts and in methods, as the
Accelerator's ``Job.chain`` (its a_test_jobchain scenarios)."""

from __future__ import annotations

import pickle

from conftest import Project

STEP = '''
    options = {"pos": -1}
    jobs = ("previous", "other")

    def synthesis(job, jobs):
        if jobs.previous is None:
            return {"chain": [j.id for j in job.chain()]}
        chain = job.chain()
        return {"chain": [j.id for j in chain],
                "reversed": [j.id for j in job.chain(reverse=True)],
                "short": [j.id for j in job.chain(length=2)],
                "stopped": [j.id for j in job.chain(stop_job=jobs.previous)],
                "via_other": [j.id for j in job.chain(stop_job={job: "other"})],
                "equal_to_id": chain[-1] == job.id and job == job.id,
                "one_key": len({job: 1, job.id: 2}) == 1}
'''


def chain_project(project: Project) -> Project:
    project.method("step", STEP)
    project.script('''
        def main(urd):
            alles, previous, other = [], None, None
            for pos in range(5):
                previous = urd.build("step", pos=pos, previous=previous, other=other)
                alles.append(previous)
                other = alles[1] if pos == 2 else None
            again = urd.build("step", pos=4, previous=alles[3], other=None)
            assert again == alles[4] and hash(again) == hash(alles[4])
            assert again == alles[4].id and alles[4].id == again
            assert again is not alles[4] and again != alles[3]
            assert len({again, alles[4], alles[4].id}) == 1
            assert alles[4].chain() == alles
            assert alles[4].chain(reverse=True) == alles[::-1]
            assert alles[4].chain(length=3) == alles[2:]
            assert alles[4].chain(stop_job=alles[1]) == alles[2:]
            assert alles[4].chain(stop_job={alles[3]: "other"}) == alles[2:]
            assert alles[2].chain(length=0) == []
            assert alles[0].chain() == [alles[0]]
            assert alles[0].chain(stop_job=alles[0]) == []
            assert alles[3].input("other") == alles[1]
            return [h.id for h in alles]
    ''')
    return project


def test_chains_in_the_script_and_in_methods_agree(project: Project) -> None:
    chain_project(project)
    report = project.run_json()
    ids = [j["id"] for j in report["jobs"]]
    assert len(ids) == 5
    last = pickle.loads((project.workdir / ids[4] / "result.pickle").read_bytes())
    assert last["chain"] == ids
    assert last["reversed"] == ids[::-1]
    assert last["short"] == ids[3:]
    assert last["stopped"] == ids[4:]
    # job 4's other input is empty; job 3's is job 1 (stop_job={job: name} reads the holder)
    assert last["via_other"] == ids
    assert last["equal_to_id"] and last["one_key"]
    third = pickle.loads((project.workdir / ids[3] / "result.pickle").read_bytes())
    assert third["via_other"] == ids[2:4]
    first = pickle.loads((project.workdir / ids[0] / "result.pickle").read_bytes())
    assert first == {"chain": [ids[0]]}


def test_a_wrong_chain_argument_names_the_script_line(project: Project) -> None:
    project.method("step", STEP)
    project.script('''
        def main(urd):
            a = urd.build("step", pos=0)
            a.input("nope")
    ''')
    proc = project.acbuild("run", check=2)
    assert "has no input 'nope'" in proc.stderr and "build.py:3" in proc.stderr
