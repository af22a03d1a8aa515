"""A job computes what its identity says (issue 11, items 3, 9, 10 and 11).

What runs is the job's source/ snapshot, not the live files edited during the run; a
method receives options in the canonical order setup.json records (an OrderedDict's order
is identity); the module globals ``options`` and ``jobs`` are the job's values while it
runs; defaultdict results and results of classes defined in the method just work.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import SRC, Project, built

# A job that says it has started (<flags>/<name>.started) and waits until the test says go
# (<flags>/<name>.go): the test edits the sources in between.
GATE = '''
import os, time

def wait(flags, name):
    open(os.path.join(flags, name + ".started"), "w").close()
    deadline = time.monotonic() + 60
    while not os.path.exists(os.path.join(flags, name + ".go")):
        if time.monotonic() > deadline:
            raise TimeoutError("the test never said go")
        time.sleep(0.01)
'''

METHOD = '''
import _gate
import _helper

VERSION = 1
options = {"n": 0, "flags": ""}
jobs = ("after",)

def synthesis(options):
    if options.flags:
        _gate.wait(options.flags, "m%d" % options.n)
    return VERSION, _helper.VALUE, options.n
'''

SCRIPT = '''
def main(urd):
    flags = {flags!r}
    gate = urd.build("gate", flags=flags)
    first = urd.build("m", n=1, flags=flags, after=gate)
    urd.build("m", n=2, after=first)
'''


def background(project: Project, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC), "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "acbuild", *args], cwd=project.root,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, run: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if run.poll() is not None:
            raise AssertionError(f"acbuild ended first:\n{run.communicate()}")
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


def results(project: Project, report: dict[str, Any]) -> dict[str, Any]:
    """job id -> its result, loaded from the job directory."""
    return {job["id"]: pickle.loads((Path(job["path"]) / "result.pickle").read_bytes())
            for job in report["jobs"] if job["method"] == "m"}


@pytest.mark.parametrize("edited", ["methods/m.py", "methods/_helper.py"])
def test_an_edit_during_the_run_runs_nowhere_under_the_old_id(project: Project,
                                                             edited: str) -> None:
    flags = project.root / "flags"
    flags.mkdir(parents=True)
    project.write("methods/_gate.py", GATE)
    project.method("gate", "import _gate\noptions = {'flags': ''}\n\n"
                           "def synthesis(options):\n    _gate.wait(options.flags, 'gate')\n")
    project.method("m", METHOD)
    project.write("methods/_helper.py", "VALUE = 1\n")
    project.script(SCRIPT.format(flags=str(flags)))
    original = (project.root / edited).read_text()

    def edit(version: int) -> None:
        text = original.replace("VERSION = 1", f"VERSION = {version}").replace(
            "VALUE = 1", f"VALUE = {version}")
        (project.root / edited).write_text(text)

    planned = {j["id"] for j in project.status_json()["jobs"] if j["method"] == "m"}
    run = background(project, "run", "--json", "-j", "1")
    # The run has planned (and hashed) every job; the method's jobs start after the gate.
    wait_for(flags / "gate.started", run)
    edit(2)  # before the first job of m is imported
    (flags / "gate.go").touch()
    wait_for(flags / "m1.started", run)
    edit(3)  # while the first job of m runs: the second starts after
    (flags / "m1.go").touch()
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    report = json.loads(out)
    got = results(project, report)
    assert set(got) == planned
    assert sorted(got.values()) == [(1, 1, 1), (1, 1, 2)], "each job ran the code it was hashed from"
    for job in report["jobs"]:
        if job["method"] == "m":
            assert (Path(job["path"]) / "source" / edited).read_text() == original

    # The code as it is now is another job; going back to the first code reuses the first
    # jobs, whose results are that code's.
    for name in ("gate.go", "m1.go"):
        (flags / name).touch()
    report = project.run_json()
    assert built(report) == ["m", "m"]
    now = [(3, 1, 1), (3, 1, 2)] if edited == "methods/m.py" else [(1, 3, 1), (1, 3, 2)]
    assert sorted(results(project, report).values()) == now
    (project.root / edited).write_text(original)
    report = project.run_json()
    assert built(report) == []
    assert sorted(results(project, report).values()) == [(1, 1, 1), (1, 1, 2)]


# -- 9: the method sees what the identity says -----------------------------------------------
def report_results(report: dict[str, Any]) -> list[Any]:
    """Every job's result in the report, in its order."""
    return [pickle.loads((Path(job["path"]) / "result.pickle").read_bytes())
            for job in report["jobs"]]


def test_a_dict_option_reaches_the_method_in_the_order_setup_json_records(
        project: Project) -> None:
    project.method("order", '''
        options = {"cfg": {}}

        def synthesis(options):
            return list(options.cfg), list(options.cfg["z"])
    ''')
    project.script('def main(urd):\n    urd.build("order", cfg={"z": {"y": 1, "x": 2}, "a": 0})\n')
    first = project.run_json()
    [job] = first["jobs"]
    setup = json.loads((Path(job["path"]) / "setup.json").read_text())
    assert list(setup["options"]["cfg"]) == ["a", "z"]
    assert report_results(first) == [(["a", "z"], ["x", "y"])]
    # The same dict in another order is the same job: reused, and its result is right for it.
    project.script('def main(urd):\n    urd.build("order", cfg={"a": 0, "z": {"x": 2, "y": 1}})\n')
    again = project.run_json()
    assert built(again) == [] and again["jobs"][0]["id"] == job["id"]


def test_an_ordered_dicts_order_is_identity(project: Project) -> None:
    project.method("ordered", '''
        from collections import OrderedDict

        options = {"od": OrderedDict([("b", 1), ("a", 2)]), "cfg": {}}

        def synthesis(options):
            return list(options.od), list(options.cfg), type(options.od).__mro__[1].__name__
    ''')
    project.script('''
        from collections import OrderedDict

        def main(urd):
            urd.build("ordered", name="default")
            urd.build("ordered", name="ab", od=OrderedDict([("a", 2), ("b", 1)]))
            urd.build("ordered", name="plain", od={"a": 2, "b": 1})
            urd.build("ordered", name="cfg yx", cfg=OrderedDict([("y", 1), ("x", 2)]))
            urd.build("ordered", name="cfg xy", cfg=OrderedDict([("x", 2), ("y", 1)]))
    ''')
    report = project.run_json()
    # Each order is a job of its own; a dict given for an OrderedDict option is one in the
    # script's order ("ab" and "plain" are one job).
    assert sorted(map(tuple, report_results(report))) == sorted([
        (["b", "a"], [], "OrderedDict"),  # the declared default, in its order
        (["a", "b"], [], "OrderedDict"),
        (["b", "a"], ["y", "x"], "OrderedDict"),
        (["b", "a"], ["x", "y"], "OrderedDict"),
    ])
    assert report["counts"]["built"] == 4
    assert built(project.run_json()) == []


# -- 10: the module globals options and jobs are the job's -----------------------------------
def test_module_level_options_and_jobs_are_the_jobs_values(project: Project) -> None:
    project.method("source", "def synthesis():\n    return 'from the input'\n")
    project.method("globals", '''
        options = {"x": 1, "cfg": {"inner": {"deep": 0}}, "rows": [{"n": 0}]}
        jobs = ("src",)

        def read():
            return (options["x"], options.x, options.cfg.inner.deep,
                    options["cfg"]["inner"]["deep"], options.rows[0].n, jobs.src.load())

        def prepare():
            return read()

        def analysis(sliceno):
            return read(), sliceno

        def synthesis(prepare_res, analysis_res):
            return prepare_res, list(analysis_res), read()
    ''')
    project.script('''
        def main(urd):
            src = urd.build("source")
            urd.build("globals", x=5, cfg={"inner": {"deep": 7}}, rows=[{"n": 3}], src=src)
    ''')
    report = project.run_json()
    values = (5, 5, 7, 7, 3, "from the input")
    assert report_results(report)[1] == (values, [(values, 0), (values, 1)], values)


# -- 11: common results just work -------------------------------------------------------------
def test_defaultdict_results_are_dicts(project: Project) -> None:
    project.method("counts", '''
        from collections import defaultdict

        def analysis(sliceno):
            counts = defaultdict(lambda: defaultdict(int))
            counts["slice"][sliceno] += 1
            return counts

        def synthesis(analysis_res):
            merged = defaultdict(lambda: defaultdict(int))
            for part in analysis_res:
                assert type(part) is dict and type(part["slice"]) is dict, type(part)
                for key, inner in part.items():
                    for k, v in inner.items():
                        merged[key][k] += v
            return {"merged": merged, "inside": [(defaultdict(list, a=[1]),)]}
    ''')
    project.method("reader", '''
        jobs = ("counts",)

        def synthesis(jobs):
            return jobs.counts.load()["merged"]["slice"][1]
    ''')
    project.script('def main(urd):\n    urd.build("reader", counts=urd.build("counts"))\n')
    report = project.run_json()
    result, read = report_results(report)
    assert result == {"merged": {"slice": {0: 1, 1: 1}}, "inside": [({"a": [1]},)]}
    assert type(result["merged"]) is dict and type(result["merged"]["slice"]) is dict
    assert type(result["inside"][0][0]) is dict
    assert read == 1


POINT = '''
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def total(self):
        return self.x + self.y

    def __repr__(self):
        return f"Point({self.x}, {self.y})"

def synthesis():
    return [Point(1, 2), Point(3, 4)]
'''


def test_a_result_of_a_class_the_method_defined_loads_in_a_later_run(project: Project) -> None:
    project.method("point", POINT)
    project.method("use", '''
        import _shared
        jobs = ("points",)

        def synthesis(jobs):
            return _shared.NAME, [p.total() for p in jobs.points.load()]
    ''')
    project.write("methods/_shared.py", "NAME = 'use'\n")
    project.script('def main(urd):\n    urd.build("point")\n')
    assert built(project.run_json()) == ["point"]
    # A later run: its processes have never imported the method that defined the class.
    project.script('def main(urd):\n    urd.build("use", points=urd.build("point"))\n')
    report = project.run_json()
    assert built(report) == ["use"]
    point, use = (Path(job["path"]) for job in report["jobs"])
    assert pickle.loads((use / "result.pickle").read_bytes()) == ("use", [3, 7])
    shown = json.loads(project.acbuild("show", "point", "--json").stdout)
    assert shown["result"] == "[Point(1, 2), Point(3, 4)]"
    # And in any Python process, through the job handle.
    code = "import sys; from acbuild.job import Job; print([p.total() for p in Job(sys.argv[1]).load()])"
    out = subprocess.run([sys.executable, "-c", code, str(point)], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(SRC)}, check=True)
    assert out.stdout.strip() == "[3, 7]"
