"""A method writes only inside its own job directory, through the API."""

from __future__ import annotations

import json
import pickle

from conftest import Project, assert_sound

PROBE = '''
import os

jobs = ("other",)

ATTEMPTS = {
    "dotdot": lambda job, jobs: job.open("../escaped.txt", "w"),
    "dotdot deep": lambda job, jobs: job.open("sub/../../escaped.txt", "w"),
    "absolute": lambda job, jobs: job.open("/tmp/acbuild-escaped.txt", "w"),
    "filename absolute": lambda job, jobs: job.filename("/etc/passwd"),
    "filename dotdot": lambda job, jobs: job.filename(".."),
    "empty": lambda job, jobs: job.filename(""),
    "link out": lambda job, jobs: job.open("out/escaped.txt", "w"),
    "link to a sibling job": lambda job, jobs: job.open("sibling/out.txt", "w"),
    "other job, sideways": lambda job, jobs: job.open(f"../{jobs.other.id}/out.txt", "w"),
    "input job, write": lambda job, jobs: jobs.other.open("out.txt", "w"),
    "input job, append": lambda job, jobs: jobs.other.open("out.txt", "a"),
    "input job, r+": lambda job, jobs: jobs.other.open("out.txt", "r+"),
    "input job, escape": lambda job, jobs: jobs.other.open("../x", "r"),
    "own setup.json": lambda job, jobs: job.open("setup.json", "w"),
    "own post.json": lambda job, jobs: job.open("./post.json", "w"),
    "own source": lambda job, jobs: job.open("source/methods/probe.py", "w"),
    "own log": lambda job, jobs: job.open("stdout.log", "a"),
    "own result": lambda job, jobs: job.open("result.pickle", "wb"),
    "own slice logs": lambda job, jobs: job.open("slice-logs/0.stdout.log", "a"),
    "link to itself": lambda job, jobs: job.open("self/post.json", "w"),
    "link to itself, filename": lambda job, jobs: open(job.filename("self/post.json"), "w"),
    "own link inside": lambda job, jobs: job.open("inside/x.txt", "w"),
    "link as the file": lambda job, jobs: job.open("alias.txt", "w"),
    "hard link to the input's file": lambda job, jobs: job.open("hard.txt", "a"),
}
ALLOWED = {
    "own file": lambda job, jobs: job.open("mine/setup.json", "w"),
    "input job, read": lambda job, jobs: jobs.other.open("out.txt"),
    "new directories": lambda job, jobs: job.open("plots/deep/roc.json", "w"),
}

def synthesis(job, jobs):
    os.symlink("/tmp", "out")
    os.symlink(os.path.dirname(jobs.other.path), "sibling")
    os.makedirs("mine")
    os.makedirs("real")
    os.symlink("real", "inside")
    os.symlink(".", "self")
    os.symlink(jobs.other.filename("out.txt"), "alias.txt")
    os.link(jobs.other.filename("out.txt"), "hard.txt")
    refused, allowed = {}, []
    for name, attempt in ATTEMPTS.items():
        try:
            attempt(job, jobs).close()
        except (ValueError, PermissionError) as e:
            refused[name] = f"{type(e).__name__}: {e}"
    for name, attempt in ALLOWED.items():
        result = attempt(job, jobs)
        if hasattr(result, "close"):
            result.close()
        allowed.append(name)
    return refused, allowed
'''


def test_the_api_keeps_a_method_inside_its_own_job(project: Project) -> None:
    project.method("other", 'def synthesis(job):\n    with job.open("out.txt", "w") as f:\n'
                            '        f.write("mine")\n')
    project.method("probe", PROBE)
    project.script('def main(urd):\n    urd.build("probe", other=urd.build("other"))\n')
    report = project.run_json()
    probe = next(j for j in report["jobs"] if j["method"] == "probe")
    refused, allowed = pickle.loads((project.workdir / probe["id"] / "result.pickle")
                                    .read_bytes())
    attempts = PROBE.split("ATTEMPTS = {")[1].split("}\nALLOWED")[0]
    assert set(refused) == {line.split('"')[1] for line in attempts.splitlines() if '"' in line}
    assert "leaves the job directory" in refused["dotdot"]
    assert "must be relative" in refused["absolute"]
    assert "is not the job being built" in refused["input job, write"]
    assert "acbuild's record of the job" in refused["own setup.json"]
    assert "through the link 'self'" in refused["link to itself"]
    assert "hard link" in refused["hard link to the input's file"]
    assert len(allowed) == 3
    assert (project.workdir / probe["id"] / "plots" / "deep" / "roc.json").is_file()
    assert json.loads((project.workdir / probe["id"] / "post.json").read_text())["status"] == "ok"
    other = next(j for j in report["jobs"] if j["method"] == "other")
    assert (project.workdir / other["id"] / "out.txt").read_text() == "mine"
    assert not (project.workdir / "escaped.txt").exists()
    assert_sound(project.workdir)
    project.acbuild("verify")  # the input job's files are as it wrote them
    assert json.loads(project.acbuild("doctor", "--json").stdout)["findings"] == []
