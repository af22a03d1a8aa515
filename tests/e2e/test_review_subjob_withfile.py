"""Hostile review: a subjob whose option is a file of another job (withfile) is the job
the script's urd.build makes with the same file, and reads that file."""

from __future__ import annotations

import json
import pickle

from conftest import Project


def test_subjob_withfile_is_the_scripts_job(project: Project) -> None:
    project.method("prod", '''
        options = {"n": 1}

        def synthesis(job, options):
            with job.open("rows.txt", "w") as f:
                f.write(f"rows {options.n}")
    ''')
    project.method("cons", '''
        from acbuild import JobWithFile

        options = {"table": JobWithFile, "cfg": {}}

        def synthesis(options):
            other = options.cfg.get("more")
            return [options.table.open().read(), other and other.open().read()]
    ''')
    project.method("parent", '''
        from acbuild import subjobs

        jobs = ("a", "b")

        def synthesis(jobs):
            s = subjobs.build("cons", table=jobs.a.withfile("rows.txt"),
                              cfg={"more": jobs.b.withfile("rows.txt")})
            return [s.id, s.load()]
    ''')
    project.script('''
        def main(urd):
            a = urd.build("prod", n=1)
            b = urd.build("prod", n=2)
            mine = urd.build("cons", table=a.withfile("rows.txt"),
                             cfg={"more": b.withfile("rows.txt")})
            p = urd.build("parent", a=a, b=b)
            print("IDS", mine.id, p.load()[0])
    ''')
    report = project.run_json()
    cons = [j for j in report["jobs"] if j["method"] == "cons"]
    assert len(cons) == 1 and cons[0]["state"] == "built"
    parent = next(j for j in report["jobs"] if j["method"] == "parent")
    value = pickle.loads((project.workdir / parent["id"] / "result.pickle").read_bytes())
    assert value == [cons[0]["id"], ["rows 1", "rows 2"]]
    setup = json.loads((project.workdir / cons[0]["id"] / "setup.json").read_text())
    assert sorted(setup["inputs"]) == ["withfile:cfg.more", "withfile:table"]
