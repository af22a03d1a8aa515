"""The promises of issue 11 where the branches that kept them meet (a hostile review of
the merged result): a dotted method name through planning from the source, the job's
snapshot import, slices and results loaded in a later run; and the other crossings
listed in each test.
"""

from __future__ import annotations

import json
import pickle

from conftest import Project, built

DOTTED = '''
options = {"x": 1, "d": {"b": 1, "a": 2}}
jobs = ()

class Total:
    def __init__(self, value, keys):
        self.value, self.keys = value, keys

def analysis(sliceno, options):
    return sliceno * options.x

def synthesis(analysis_res, options):
    return Total(sum(analysis_res), list(options.d))
'''

USER = '''
jobs = ("src",)

def synthesis(jobs):
    total = jobs.src.load()
    return [type(total).__name__, total.value, total.keys]
'''


def test_dotted_method_with_a_class_result_builds_and_loads_in_a_later_run(
        project: Project) -> None:
    project.method("v1.2", DOTTED)
    project.method("user", USER)
    project.script('''
        def main(urd):
            job = urd.build("v1.2", x=5, d={"b": 2, "a": 1})
            print("value", job.load().value)
    ''')
    first = project.run_json("build.py")
    assert built(first) == ["v1.2"]
    project.script('''
        def main(urd):
            job = urd.build("v1.2", x=5, d={"b": 2, "a": 1})
            print("user", urd.build("user", src=job).load())
    ''', "later.py")
    later = project.run_json("later.py")
    assert built(later) == ["user"]
    shown = project.acbuild("run", "later.py").stdout
    assert "user ['Total', 5, ['a', 'b']]" in shown


MAKE = '''
options = {"v": 1}

def synthesis(job, options):
    with job.open("out.txt", "w") as f:
        f.write(str(options.v))
    return options.v
'''

READ = '''
jobs = ("inp",)
options = {"n": 0}

def synthesis(job, jobs, options):
    with jobs.inp.open("out.txt") as f:
        return [f.read(), jobs.inp.load(), options.n]
'''


def test_a_job_reused_unread_earlier_in_the_run_is_checked_when_read_later(
        project: Project) -> None:
    """The script first uses `make` only as an input of a cached job (unread, so unchecked),
    then loads it and builds a new job on it: both must see the job as it was built."""
    project.method("make", MAKE)
    project.method("read", READ)
    script = '''
        def main(urd):
            make = urd.build("make", v=7)
            print("old", urd.build("read", inp=make).load())
            print("new", urd.build("read", inp=make, n={n}).load())
            print("make", make.load())
    '''
    project.script(script.format(n=0))
    project.run_json("build.py")
    make = next(p for p in project.workdir.iterdir() if p.name.startswith("make-"))
    (make / "out.txt").write_text("X")
    (make / "result.pickle").write_bytes(pickle.dumps("EVIL"))
    project.script(script.format(n=1))
    out = project.acbuild("run", "build.py").stdout
    assert "new ['7', 7, 1]" in out and "make 7" in out, out
    assert (make / "out.txt").read_text() == "7"


def test_a_name_imported_from_a_helper_is_not_a_third_party_module(project: Project) -> None:
    project.write("methods/_conf.py", "DEFAULT = 3\n")
    project.method("m", '''
        from _conf import DEFAULT
        import json

        options = {"x": DEFAULT}

        def synthesis(options):
            return json.dumps(options.x)
    ''')
    shown = json.loads(project.acbuild("methods", "--json", "m").stdout)["methods"][0]
    assert shown["code"]["third_party"] == []


def test_a_result_of_a_class_a_helper_defines_loads_in_the_script(project: Project) -> None:
    """Planning no longer imports methods, so the script's process has no methods directory
    on its path: the helper is imported from the producing job's source/."""
    project.write("methods/_types.py", '''
        class Box:
            def __init__(self, value):
                self.value = value
    ''')
    project.method("mk", '''
        import _types

        def synthesis():
            return _types.Box(3)
    ''')
    project.script('''
        def main(urd):
            print("value", urd.build("mk").load().value)
    ''')
    assert "value 3" in project.acbuild("run", "build.py").stdout
    assert "value 3" in project.acbuild("run", "build.py").stdout  # reused, in a later run
