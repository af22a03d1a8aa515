"""List inputs end to end: ``jobs = ("one", ["many"])``, built, reused, ordered, shown."""

from __future__ import annotations

import json
import pickle

from conftest import Project, built, states


def list_project(project: Project, many: str) -> Project:
    project.method("num", '''
        options = {"n": 0}

        def synthesis(options):
            return options.n
    ''')
    project.method("total", '''
        jobs = ("one", ["many"])

        def synthesis(jobs):
            assert isinstance(jobs.many, list)
            return {"one": jobs.one.load(),
                    "many": [None if j is None else j.load() for j in jobs.many],
                    "ids": [None if j is None else j.id for j in jobs.many],
                    "last_num": jobs.many.get("num"), "nums": len(jobs.many.find("num")),
                    "none": jobs.many.get("other")}
    ''')
    project.script(f'''
        def main(urd):
            a = urd.build("num", n=1)
            b = urd.build("num", n=2)
            c = urd.build("num", n=3)
            urd.build("total", one=a, many={many})
    ''')
    return project


def _result(project: Project, report: dict) -> dict:
    [job] = [j for j in report["jobs"] if j["method"] == "total"]
    return pickle.loads((project.workdir / job["id"] / "result.pickle").read_bytes())


def test_list_input_reaches_the_method_as_a_list_of_handles(project: Project) -> None:
    list_project(project, "[a, b, c]")
    report = project.run_json()
    assert built(report) == ["num", "num", "num", "total"]
    result = _result(project, report)
    assert result["one"] == 1 and result["many"] == [1, 2, 3]
    # the Accelerator's JobList: [method], find, get
    assert result["last_num"] == result["ids"][-1] and result["nums"] == 3
    assert result["none"] is None
    again = project.run_json()
    assert set(states(again).values()) == {"reused"}
    # setup.json records the list, in order
    [total] = [j for j in report["jobs"] if j["method"] == "total"]
    setup = json.loads((project.workdir / total["id"] / "setup.json").read_text())
    assert [i["id"] for i in setup["inputs"]["many"]] == result["ids"]


def test_order_of_a_list_input_is_identity(project: Project) -> None:
    list_project(project, "[a, b, c]")
    first = _result(project, project.run_json())
    list_project(project, "[c, b, a]")
    report = project.run_json()
    assert states(report)["total"] == "built"
    assert _result(project, report)["many"] == [3, 2, 1]
    assert first["many"] == [1, 2, 3]
    # and the first order is still the first job
    list_project(project, "[a, b, c]")
    assert states(project.run_json())["total"] == "reused"


def test_none_entries_are_kept_and_none_is_an_empty_list(project: Project) -> None:
    ids = {}
    for many in ("[a, None, c]", "[a, c]", "[]", "None", "[None]"):
        list_project(project, many)
        report = project.run_json()
        [total] = [j for j in report["jobs"] if j["method"] == "total"]
        ids[many] = total["id"]
        result = _result(project, report)
        if many == "[a, None, c]":
            assert result["many"] == [1, None, 3]
        if many in ("None", "[]"):
            assert result["many"] == []
        if many == "[None]":
            assert result["many"] == [None]
    assert ids["None"] == ids["[]"]  # None is an empty list, one job
    assert len(set(ids.values())) == 4


def test_a_changed_element_reruns_the_job_and_status_says_which(project: Project) -> None:
    list_project(project, "[a, b, c]")
    project.run_json()
    project.write("build.py", '''
        def main(urd):
            a = urd.build("num", n=1)
            b = urd.build("num", n=20)
            c = urd.build("num", n=3)
            urd.build("total", one=a, many=[a, b, c])
    ''')
    status = project.status_json()
    [total] = [j for j in status["jobs"] if j["method"] == "total"]
    assert total["state"] == "stale"
    assert "input many is rebuilt" in total["reason"]
    report = project.run_json()
    assert _result(project, report)["many"] == [1, 20, 3]


def test_graph_and_show_list_every_element(project: Project) -> None:
    list_project(project, "[a, b, c]")
    report = project.run_json()
    view = json.loads(project.acbuild("graph", "--format", "json").stdout)
    [total] = [j for j in view["jobs"] if j["method"] == "total"]
    ids = {j["id"]: j for j in report["jobs"]}
    nums = [j["id"] for j in report["jobs"] if j["method"] == "num"]
    assert total["inputs"]["many"] == nums
    into = sorted((e["input"], e["from"]) for e in view["edges"] if e["to"] == total["id"])
    assert into == sorted([("one", nums[0]), ("many[0]", nums[0]), ("many[1]", nums[1]),
                           ("many[2]", nums[2])])
    shown = project.acbuild("show", total["id"], "--json")
    info = json.loads(shown.stdout)
    assert info["inputs"]["many"] == nums
    text = project.acbuild("show", total["id"]).stdout
    assert all(n in text for n in nums)
    assert "many" in text and ids


def test_wrong_shapes_are_clear_errors(project: Project) -> None:
    list_project(project, "a")
    proc = project.acbuild("run", check=2)
    assert "method 'total'" in proc.stderr and "'many'" in proc.stderr
    assert "list input" in proc.stderr
    project.write("build.py", '''
        def main(urd):
            a = urd.build("num", n=1)
            urd.build("total", one=[a], many=[a])
    ''')
    proc = project.acbuild("run", check=2)
    assert "method 'total'" in proc.stderr and "'one'" in proc.stderr
    assert "takes one job" in proc.stderr
    project.write("build.py", '''
        def main(urd):
            a = urd.build("num", n=1)
            urd.build("total", one=a, many=[a, 3])
    ''')
    proc = project.acbuild("run", check=2)
    assert "'many'[1]" in proc.stderr and "int" in proc.stderr
    assert project.job_dirs() == []


def test_explain_and_methods_know_list_inputs(project: Project) -> None:
    list_project(project, "[a, b, c]")
    project.run_json()
    list_project(project, "[a, c]")
    report = project.run_json()
    [total] = [j for j in report["jobs"] if j["method"] == "total"]
    info = json.loads(project.acbuild("explain", total["id"], "--json").stdout)
    [many] = [row for row in info["inputs"] if row["name"] == "many"]
    assert many["changed"] and len(many["old"]) == 3 and len(many["new"]) == 2
    assert any("input many changed" in d for d in info["differences"])
    assert "many" in project.acbuild("explain", total["id"]).stdout
    methods = json.loads(project.acbuild("methods", "--json").stdout)
    [declared] = [m for m in methods["methods"] if m["name"] == "total"]
    assert declared["inputs"] == ["one", "[many]"]


def test_gc_keeping_a_job_keeps_each_element_of_its_list_input(project: Project) -> None:
    list_project(project, "[b, c]")
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 1\nkeep_runs = 1\n')
    report = project.run_json()
    [total] = [j["id"] for j in report["jobs"] if j["method"] == "total"]
    project.write("build.py", 'def main(urd):\n    urd.build("num", n=9)\n')
    project.run_json()
    gc = json.loads(project.acbuild("gc", "--json", "-n", "--keep", total).stdout)
    assert [r["name"] for r in gc["removed"] if r["kind"] == "job"] == []
    assert gc["kept"]["input of a kept job"] == 3  # one=a, and many's b and c
    gc = json.loads(project.acbuild("gc", "--json", "-n").stdout)
    assert len([r for r in gc["removed"] if r["kind"] == "job"]) == 4
