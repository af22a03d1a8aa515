"""Every JOB-argument form, through the real `acbuild show --path`: JOB^, JOB^N, JOB~N,
JOB~~, JOB.input, a file inside a job, and a method name (its job in the default build
script when it has exactly one there, else its latest)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import Project

CHAIN = """
def main(urd):
    first = urd.build("step", n=1)
    second = urd.build("step", n=2, previous=first, source=urd.build("seed", k=2))
    third = urd.build("step", n=3, previous=second, source=urd.build("seed", k=3))
    urd.build("pair", zeta=third, alpha=first)
"""


def chain(project: Project) -> dict[str, Any]:
    project.method("seed", 'options = {"k": 0}\n\ndef synthesis(options):\n    return options.k\n')
    project.method("step", '''
        options = {"n": 0}
        jobs = ("source", "previous")

        def synthesis(job, options):
            with job.open("out/deep/value.txt", "w") as f:
                f.write(str(options.n))
            return options.n
    ''')
    project.method("pair", 'jobs = ("zeta", "alpha")\n\ndef synthesis():\n    return 0\n')
    project.script(CHAIN)
    report = project.run_json()
    ids: dict[str, Any] = {}
    for job in report["jobs"]:
        ids.setdefault(job["method"], []).append(job["id"])
    return ids


def where(project: Project, spec: str) -> str:
    return Path(project.acbuild("show", "--path", spec).stdout.strip()).name


def options_of(project: Project, spec: str) -> dict[str, Any]:
    options: dict[str, Any] = json.loads(project.acbuild("show", "--json", spec).stdout)["options"]
    return options


@pytest.fixture
def chained(project: Project) -> tuple[Project, dict[str, Any]]:
    return project, chain(project)


def test_caret_follows_previous_else_the_first_declared_input(chained: Any) -> None:
    project, ids = chained
    first, second, third = ids["step"]
    assert where(project, f"{third}^") == second  # previous, though "source" sorts first
    assert where(project, f"{third}^2") == first
    assert where(project, f"{third}^^") == first
    assert where(project, "pair^") == third  # no previous: its first declared input (zeta)
    no_input = project.acbuild("show", "--path", f"{first}^", check=2)
    assert f"{first} has no input job to follow with ^" in no_input.stderr


def test_dot_names_an_input(chained: Any) -> None:
    project, ids = chained
    _, second, third = ids["step"]
    assert where(project, f"{third}.previous") == second
    assert where(project, f"{third}.source") == ids["seed"][1]
    assert where(project, "pair.alpha") == ids["step"][0]
    assert where(project, "pair.zeta.previous.source") == ids["seed"][0]
    absent = project.acbuild("show", "--path", f"{ids['step'][0]}.previous", check=2)
    assert "is absent" in absent.stderr
    unknown = project.acbuild("show", "--path", "pair.beta", check=2)
    assert "has no input 'beta'" in unknown.stderr and "alpha, zeta" in unknown.stderr


def test_tilde_counts_earlier_jobs_of_the_method(chained: Any) -> None:
    project, ids = chained
    first, second, third = ids["step"]
    assert where(project, "step~0") == third  # the latest
    assert where(project, "step~1") == second
    assert where(project, "step~~") == first
    assert where(project, f"{third}~") == second
    assert where(project, f"{second}~1") == first
    too_far = project.acbuild("show", "--path", "step~3", check=2)
    assert "has 3 finished job(s)" in too_far.stderr
    bad = project.acbuild("show", "--path", "step~x", check=2)
    assert "after '~' comes a number of jobs back" in bad.stderr


def test_a_file_inside_a_job_names_the_job(chained: Any) -> None:
    project, ids = chained
    third = ids["step"][2]
    assert where(project, f"workdirs/dev/{third}/out/deep/value.txt") == third
    assert where(project, str(project.workdir / third / "result.pickle")) == third
    project.write("data/loose.txt", "x")
    outside = project.acbuild("show", "--path", "data/loose.txt", check=2)
    assert "neither a job directory nor a file inside one" in outside.stderr


def test_a_method_name_means_its_job_in_the_default_script(project: Project) -> None:
    project.method("train", 'options = {"rate": 0}\n\ndef synthesis(options):\n'
                            '    return options.rate\n')
    project.script('def main(urd):\n    urd.build("train", rate=1)\n')
    project.run_json()
    project.script('def main(urd):\n    for rate in (2, 3):\n'
                   '        urd.build("train", rate=rate)\n', name="sweep.py")
    # One at a time: "latest" is the job finished last, and two in parallel may end either way.
    project.run_json("-j", "1", "sweep.py")
    assert options_of(project, "train") == {"rate": 1}  # build.py's, not the latest
    assert options_of(project, "train~0") == {"rate": 3}  # the latest
    assert options_of(project, "train~1") == {"rate": 2}
    # build.py's train not built yet: said, with the way to the latest one.
    project.script('def main(urd):\n    urd.build("train", rate=9)\n')
    unbuilt = project.acbuild("show", "train", check=2)
    assert "the job of 'train' in build.py" in unbuilt.stderr and "is not built" in unbuilt.stderr
    assert "train~0" in unbuilt.stderr
    # Two train jobs in build.py: its latest job.
    project.script('def main(urd):\n    urd.build("train", rate=1)\n'
                   '    urd.build("train", rate=2)\n')
    assert options_of(project, "train") == {"rate": 3}
    # A build script that does not evaluate names no job: the latest.
    project.script('def main(urd):\n    raise ValueError("broken")\n')
    assert options_of(project, "train") == {"rate": 3}


def test_the_script_printing_does_not_spoil_show_json(project: Project) -> None:
    project.method("train", 'options = {"rate": 0}\n\ndef synthesis(options):\n'
                            '    return options.rate\n')
    project.script('def main(urd):\n    print("hello from the script")\n'
                   '    urd.build("train", rate=1)\n')
    project.run_json()
    assert options_of(project, "train") == {"rate": 1}  # stdout parsed as JSON
