"""Method names and job ids complete wherever a command takes one (README "Shell completion").

`acbuild methods tr`, `acbuild jobs tr` and `acbuild verify tr` used to complete nothing.
"""

from __future__ import annotations

from conftest import Project


def complete(project: Project, words: str) -> list[str]:
    """What the shell would offer for the last word of ``words`` (click's bash protocol)."""
    parts = words.split(" ")
    proc = project.acbuild(env={"_ACBUILD_COMPLETE": "bash_complete", "COMP_WORDS": words,
                                "COMP_CWORD": str(len(parts) - 1)})
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines()]


def test_methods_jobs_and_verify_complete(project: Project) -> None:
    project.method("train", "def synthesis():\n    return 1\n")
    project.method("other", "def synthesis():\n    return 2\n")
    project.script('def main(urd):\n    urd.build("train")\n')
    job_id = project.run_json()["jobs"][0]["id"]
    assert complete(project, "acbuild methods tr") == ["train"]
    assert complete(project, "acbuild methods train o") == ["other"]
    assert complete(project, "acbuild jobs tr") == ["train"]
    assert complete(project, "acbuild verify tr") == ["train", job_id]
