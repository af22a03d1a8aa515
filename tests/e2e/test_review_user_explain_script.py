"""`acbuild explain SCRIPT.py` (as one writes `status SCRIPT.py`) says the argument is a
script and how to give it, exit 2, instead of "no job matches" (review-user)."""

from __future__ import annotations

import json

from conftest import Project


def test_explain_given_a_script_says_so(project: Project) -> None:
    project.method("one", "options = {'n': 1}\n\ndef synthesis(options):\n    return 1\n")
    project.script('def main(urd):\n    urd.build("one", n=2)\n', "other.py")
    proc = project.acbuild("explain", "other.py", check=2)
    assert "'other.py' is a build script, not a job" in proc.stderr
    assert "acbuild explain --script other.py" in proc.stderr
    assert "Traceback" not in proc.stderr
    # the hint's command works: the script's one stale job, never built
    report = json.loads(project.acbuild("explain", "--script", "other.py", "--json").stdout)
    assert "never built" in json.dumps(report)
