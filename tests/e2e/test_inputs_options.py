"""The Accelerator's option types end to end: Choice (wildcards, none_ok), Required(none_ok),
a file of another job as an option (``handle.withfile``), nested option attributes."""

from __future__ import annotations

import json
import pickle

from conftest import Project, built, states


def _result(project: Project, report: dict, method: str) -> object:
    [job] = [j for j in report["jobs"] if j["method"] == method]
    return pickle.loads((project.workdir / job["id"] / "result.pickle").read_bytes())


ENUM_METHOD = '''
    import os
    from acbuild import Choice, Required

    if os.environ.get("ENUM_MARK"):  # notes each import of the method
        open(os.environ["ENUM_MARK"], "a").write("imported\\n")

    abcd = Choice("a b c d", none_ok=True)
    mnSTARop = Choice("m n* o p")
    qSTARrSTARst = Choice("q* r* s t")

    options = dict(
        abcd=abcd,
        efgh=Choice(chr(n) for n in range(101, 105)).g,
        mnSTARop=mnSTARop.m,
        qSTARrSTARst=qSTARrSTARst["quu"],
        must=Required(int, none_ok=True),
        pick=Choice("x y", none_ok=False),
    )

    def synthesis(options):
        return dict(options)
'''


def enum_project(project: Project, kw: str) -> Project:
    project.method("enum", ENUM_METHOD)
    project.script(f'''
        def main(urd):
            urd.build("enum", {kw})
    ''')
    return project


def test_choice_wildcards_and_none_ok_as_the_accelerator(project: Project) -> None:
    enum_project(project, 'must=None, pick="x"')
    report = project.run_json()
    assert _result(project, report, "enum") == {
        "abcd": None, "efgh": "g", "mnSTARop": "m", "qSTARrSTARst": "quu", "must": None,
        "pick": "x"}
    enum_project(project, 'must=3, pick="y", abcd="a", mnSTARop="nah", '
                          'qSTARrSTARst="really good value\\n"')
    assert _result(project, project.run_json(), "enum") == {
        "abcd": "a", "efgh": "g", "mnSTARop": "nah", "qSTARrSTARst": "really good value\n",
        "must": 3, "pick": "y"}
    # and the declarations are read without importing the method
    mark = project.root / "imported.log"
    methods = project.acbuild("methods", "enum", env={"ENUM_MARK": str(mark)}).stdout
    assert "one of 'm', 'n*', 'o', 'p'" in methods
    enum_project(project, 'must=4, pick="x"')
    status = project.acbuild("status", "--json", env={"ENUM_MARK": str(mark)})
    assert json.loads(status.stdout)["jobs"][0]["state"] == "stale"
    assert not mark.exists()
    project.acbuild("run", env={"ENUM_MARK": str(mark)})  # the job's own process imports it
    assert mark.exists()


def test_choice_and_required_refusals_name_the_option(project: Project) -> None:
    for kw, option, words in [
        ('must=1, pick="x", abcd="A"', "abcd", "one of 'a', 'b', 'c', 'd'"),
        ('must=1, pick="x", qSTARrSTARst="sdf"', "qSTARrSTARst", "one of 'q*', 'r*'"),
        ('must=1, pick="x", mnSTARop=None', "mnSTARop", "got None"),
        ('must=1, pick=None', "pick", "got None"),
        ('must=1', "pick", "is required"),
        ('pick="x"', "must", "is required"),
    ]:
        enum_project(project, kw)
        proc = project.acbuild("run", check=2)
        assert f"option {option!r}" in proc.stderr and words in proc.stderr, (kw, proc.stderr)
        assert "method 'enum'" in proc.stderr
    assert project.job_dirs() == []


WITHFILE_METHODS = {
    "make": '''
        options = {"text": "hello"}

        def synthesis(job, options):
            with job.open("x.txt", "w") as f:
                f.write(options.text)
            with job.open("x.json", "w") as f:
                f.write('{"t": "%s"}' % options.text)
            import pickle
            for sliceno in range(2):
                with job.open(f"part.pickle.{sliceno}", "wb") as f:
                    pickle.dump(sliceno * 10, f)
            return options.text
    ''',
    "read": '''
        from acbuild import JobWithFile

        options = {"src": JobWithFile, "more": {"inner": None}}

        def synthesis(options):
            src = options.src
            with src.open() as f:
                text = f.read()
            part = options.more.parts[0]
            try:
                part.load()  # a sliced file needs a slice number
                unsliced = "allowed"
            except ValueError as e:
                unsliced = str(e)
            return {"text": text, "name": src.filename().name, "job": src.job.id,
                    "json": options.more.inner.json_load(),
                    "sliced": [options.more.parts[i].load(i) for i in range(2)],
                    "unsliced": unsliced,
                    "again": src.job.withfile("x.json").json_load()}
    ''',
}

WITHFILE_SCRIPT = '''
    def main(urd):
        a = urd.build("make", text={text!r})
        urd.build("read", src=a.withfile("x.txt"),
                  more={{"inner": a.withfile("x.json"),
                         "parts": [a.withfile("part.pickle", sliced=True)] * 2}})
'''


def withfile_project(project: Project, text: str) -> Project:
    for name, source in WITHFILE_METHODS.items():
        project.method(name, source)
    project.script(WITHFILE_SCRIPT.format(text=text))
    return project


def test_a_file_of_another_job_as_an_option(project: Project) -> None:
    withfile_project(project, "hello")
    report = project.run_json()
    assert built(report) == ["make", "read"]
    [make] = [j["id"] for j in report["jobs"] if j["method"] == "make"]
    assert _result(project, report, "read") == {
        "text": "hello", "name": "x.txt", "job": make, "json": {"t": "hello"},
        "sliced": [0, 10], "again": {"t": "hello"},
        "unsliced": f"'part.pickle' of {make} is sliced: give a sliceno"}
    [read] = [j["id"] for j in report["jobs"] if j["method"] == "read"]
    setup = json.loads((project.workdir / read / "setup.json").read_text())
    # the producing job is an input of the new one, and the option names the job and file
    assert setup["inputs"]["withfile:src"]["id"] == make
    assert setup["options"]["src"]["$jobfile"][1:] == [make, "x.txt", False]
    view = json.loads(project.acbuild("graph", "--format", "json").stdout)
    assert {"from": make, "to": read, "input": "withfile:src"} in view["edges"]
    assert f"file x.txt of {make}" in project.acbuild("show", read).stdout
    assert set(states(project.run_json()).values()) == {"reused"}


def test_a_changed_producing_job_reruns_the_reader(project: Project) -> None:
    withfile_project(project, "hello")
    first = project.run_json()
    withfile_project(project, "world")
    status = project.status_json()
    assert {j["method"]: j["state"] for j in status["jobs"]} == {"make": "stale",
                                                                 "read": "stale"}
    [reason] = [j["reason"] for j in status["jobs"] if j["method"] == "read"]
    assert "withfile:src" in reason
    report = project.run_json()
    assert built(report) == ["make", "read"]
    assert _result(project, report, "read")["text"] == "world"
    assert _result(project, first, "read")["text"] == "hello"


def test_a_file_name_is_identity(project: Project) -> None:
    withfile_project(project, "hello")
    project.run_json()
    project.script(WITHFILE_SCRIPT.format(text="hello").replace('withfile("x.txt")',
                                                                'withfile("x.json")'))
    [reason] = [j["reason"] for j in project.status_json()["jobs"] if j["method"] == "read"]
    assert "option src: file x.txt of make-" in reason and "→ file x.json of make-" in reason
    report = project.run_json()
    assert states(report) == {"make": "reused", "read": "built"}
    assert _result(project, report, "read")["text"] == '{"t": "hello"}'


def test_withfile_misuse_is_a_clear_error(project: Project) -> None:
    withfile_project(project, "hello")
    project.script('''
        def main(urd):
            urd.build("read", src="x.txt")
    ''')
    proc = project.acbuild("run", check=2)
    assert "option 'src'" in proc.stderr and "handle.withfile" in proc.stderr
    project.script('''
        def main(urd):
            a = urd.build("make")
            urd.build("read", src=a.withfile("/etc/passwd"))
    ''')
    proc = project.acbuild("run", check=2)
    assert "relative" in proc.stderr and "build.py:3" in proc.stderr
    assert project.job_dirs() == []


def test_nested_options_read_as_attributes_at_every_depth(project: Project) -> None:
    project.method("deep", '''
        options = {"cfg": {"inner": {"n": 1}, "rows": [{"k": "v"}]}}

        def synthesis(options):
            return [options.cfg.inner.n, options.cfg["inner"]["n"], options.cfg.rows[0].k,
                    cfg_global()]

        def cfg_global():
            return options.cfg.inner.n * 10  # the module global, as in the Accelerator
    ''')
    project.script('''
        def main(urd):
            urd.build("deep", cfg={"inner": {"n": 7, "m": 2}, "rows": [{"k": "w"}]})
    ''')
    assert _result(project, project.run_json(), "deep") == [7, 7, "w", 70]
