"""`acbuild graph` on the seven-job example, `acbuild log`, and shell completion."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import Project

EXAMPLE = Path(__file__).resolve().parents[2] / "example_project"
# The seven-job graph of example_project/build_graph.py: (input job, input name, job).
EDGES = {("method1", "pred", "method2"), ("method2", "pred", "method3"),
         ("method1", "pred", "method4"), ("method1", "pred", "method5"),
         ("method4", "pred1", "method6"), ("method5", "pred2", "method6"),
         ("method3", "pred1", "method7"), ("method6", "pred2", "method7")}


@pytest.fixture
def example(tmp_path: Path) -> Project:
    shutil.copytree(EXAMPLE / "methods", tmp_path / "ex" / "methods")
    shutil.copy(EXAMPLE / "build_graph.py", tmp_path / "ex" / "build_graph.py")
    return Project(tmp_path / "ex")


def method_of(job_id: str) -> str:
    return job_id.rsplit("-", 1)[0]


def test_graph_json_has_the_seven_jobs_and_their_states(example: Project) -> None:
    view = json.loads(example.acbuild("graph", "build_graph.py", "--json").stdout)
    assert sorted(method_of(j["id"]) for j in view["jobs"]) == [f"method{i}" for i in
                                                                 range(1, 8)]
    assert {(method_of(e["from"]), e["input"], method_of(e["to"])) for e in view["edges"]} \
        == EDGES
    assert view["counts"] == {"cached": 0, "stale": 7} and example.job_dirs() == []
    example.run_json("build_graph.py")
    source = (example.root / "methods/method4.py").read_text()
    example.method("method4", source.replace("% 2 == 0", "% 2 == 1"))
    view = json.loads(example.acbuild("graph", "build_graph.py", "--format", "json").stdout)
    stale = {method_of(j["id"]) for j in view["jobs"] if j["state"] == "stale"}
    assert stale == {"method4", "method6", "method7"}


def test_graph_tree_shows_each_job_under_its_inputs(example: Project) -> None:
    example.run_json("build_graph.py")
    lines = example.acbuild("graph", "build_graph.py").stdout.splitlines()
    assert lines[0].startswith("7 jobs: 7 cached, 0 stale")
    jobs = [re.search(r"(cached|stale)\s+(method\d)-\w+( as (\w+))?( \(shown above\))?", line)
            for line in lines[1:]]
    found = [(m.group(2), m.group(4), bool(m.group(5))) for m in jobs if m]
    assert found[0] == ("method1", None, False)
    # Every edge is drawn once; the jobs with two inputs appear a second time by name only.
    assert sorted((name, via) for name, via, _ in found[1:]) == sorted(
        (job, via) for _, via, job in EDGES)
    assert sorted(name for name, _, again in found if again) == ["method6", "method7"]


def test_graph_dot_and_mermaid(example: Project) -> None:
    dot = example.acbuild("graph", "build_graph.py", "--format", "dot").stdout
    assert dot.startswith("digraph acbuild {") and dot.rstrip().endswith("}")
    arrows = re.findall(r'"(method\d)-\w+" -> "(method\d)-\w+" \[label="(\w+)"\]', dot)
    assert {(a, via, b) for a, b, via in arrows} == EDGES
    assert dot.count("stale") == 7
    mermaid = example.acbuild("graph", "build_graph.py", "--format", "mermaid").stdout
    assert mermaid.startswith("flowchart LR\n")
    nodes = dict(re.findall(r'^  (j\d)\["(method\d)-', mermaid, re.M))
    links = re.findall(r"^  (j\d) -->\|(\w+)\| (j\d)$", mermaid, re.M)
    assert {(nodes[a], via, nodes[b]) for a, via, b in links} == EDGES
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed: the DOT text was checked, not drawn")
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True,
                         check=True).stdout
    assert svg.count('class="node"') == 7 and svg.count('class="edge"') == 8


def test_log_lists_runs_and_one_run_lists_its_jobs(project: Project) -> None:
    project.method("one", "options = {'n': 1}\n\ndef synthesis(options):\n    return options.n\n")
    project.method("bad", "def synthesis():\n    raise ValueError('no')\n")
    project.script('def main(urd):\n    urd.build("one", n=1)\n    urd.build("one", n=2)\n')
    assert "no runs yet" in project.acbuild("log").stdout
    project.run_json()
    project.script('def main(urd):\n    urd.build("one", n=1)\n', name="other.py")
    project.run_json("other.py")
    project.script('def main(urd):\n    urd.build("one", n=3)\n    urd.build("bad")\n',
                   name="broken.py")
    project.acbuild("run", "-k", "broken.py", check=1)
    runs = json.loads(project.acbuild("log", "--json").stdout)["runs"]
    assert [(r["run"], r["script"], r["status"], r["built"], r["reused"], r["failed"])
            for r in runs] == [(3, "broken.py", "failed", 1, 0, 1),
                               (2, "other.py", "ok", 0, 1, 0),
                               (1, "build.py", "ok", 2, 0, 0)]
    assert all(r["seconds"] >= 0 and r["started"] for r in runs)
    text = project.acbuild("log").stdout
    assert re.search(r"3 +\S+ \S+ +broken\.py +\S+ +failed +1 +0 +1", text), text
    one = json.loads(project.acbuild("log", "3", "--json").stdout)
    assert {(j["method"], j["state"]) for j in one["jobs"]} == {("one", "built"),
                                                                 ("bad", "failed")}
    failed = next(j for j in one["jobs"] if j["state"] == "failed")
    assert ".failed" in failed["path"]
    assert json.loads(project.acbuild("log", "last", "--json").stdout) == one
    assert "reused" in project.acbuild("log", "2").stdout
    project.acbuild("run", "missing.py", check=2)  # a run an error stopped says so
    newest = json.loads(project.acbuild("log", "-n", "1", "--json").stdout)["runs"]
    assert [(r["run"], r["status"]) for r in newest] == [(4, "error")]
    assert "no run 9" in project.acbuild("log", "9", check=2).stderr
    assert "not a run" in project.acbuild("log", "x", check=2).stderr


def complete(project: Project, words: str) -> list[str]:
    """What the shell would offer for the last word of ``words`` (click's bash protocol)."""
    parts = words.split(" ")
    proc = project.acbuild(env={"_ACBUILD_COMPLETE": "bash_complete", "COMP_WORDS": words,
                                "COMP_CWORD": str(len(parts) - 1)})
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines()]


def test_shell_completion_of_commands_jobs_methods_and_scripts(project: Project) -> None:
    project.method("first", "def synthesis():\n    return 1\n")
    project.method("second", "def synthesis():\n    return 2\n")
    project.script('def main(urd):\n    urd.build("first")\n')
    report = project.run_json()
    job_id = report["jobs"][0]["id"]
    assert {"explain", "graph", "log", "run", "show", "status"} <= set(
        complete(project, "acbuild "))
    assert complete(project, "acbuild show f") == ["first", job_id]
    assert complete(project, "acbuild explain s") == ["second"]
    assert complete(project, "acbuild run --force s") == ["second"]
    assert complete(project, "acbuild graph bu") == ["build.py"]
    assert complete(project, "acbuild log ") == ["1"]
    assert "_ACBUILD_COMPLETE" in project.acbuild(
        env={"_ACBUILD_COMPLETE": "bash_source"}).stdout
