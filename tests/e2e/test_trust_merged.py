"""The promises of issue 11 where the branches that kept them meet (a hostile review of
the merged result): a dotted method name through planning from the source, the job's
snapshot import, slices and results loaded in a later run; and the other crossings
listed in each test.
"""

from __future__ import annotations

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
