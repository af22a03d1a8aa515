"""A result edited after its job finished is never handed out as the job's result.

A run checks a job's files before it reads them, and ``status`` says "its files changed
since it was built". But ``acbuild show`` (and the board's job page, its JSON),
``acbuild compare`` and ``open_project(...).job(...).load()`` unpickled the edited
``result.pickle`` (same size, another value) and presented it as the job's result,
without a word. The promise: they say the result changed and do not present it.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

from conftest import SRC, Project


def edited(project: Project) -> Path:
    project.method("score", '''
        options = {"n": 0}

        def synthesis(options):
            return {"total": options.n}
    ''')
    project.script("def main(urd):\n    urd.build('score', n=4)\n")
    project.acbuild("run")
    [job] = [p for p in project.workdir.iterdir() if p.name.startswith("score-")]
    good = (job / "result.pickle").read_bytes()
    assert pickle.loads(good) == {"total": 4}
    bad = good.replace(b"K\x04", b"K\x09")  # the same pickle, another small int
    assert len(bad) == len(good) and pickle.loads(bad) == {"total": 9}
    (job / "result.pickle").write_bytes(bad)
    return job


def test_show_compare_and_the_reader_do_not_present_an_edited_result(
        project: Project) -> None:
    job = edited(project)
    shown = json.loads(project.acbuild("show", "score", "--json").stdout)
    assert shown.get("result") != {"total": 9}
    assert "9" not in json.dumps(shown.get("result"))
    compared = project.acbuild("compare", "score", "--json", check=None)
    assert 9 not in [row.get("result.total") for row in json.loads(compared.stdout)["rows"]]
    reader = subprocess.run(
        [sys.executable, "-c", "import acbuild\n"
         "try:\n"
         "    print('LOADED', acbuild.open_project('.').job('score').load())\n"
         "except acbuild.errors.AcbuildError as e:\n"
         "    print('REFUSED', e.message)\n"],
        cwd=project.root, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)
    assert reader.returncode == 0, reader.stderr
    assert reader.stdout.startswith("REFUSED") and "result.pickle" in reader.stdout
    # Nothing was changed by looking: a run that reads the result builds the job again.
    project.script("def main(urd):\n    print('GOT', urd.build('score', n=4).load())\n")
    run = project.acbuild("run", "--json")
    assert [j["state"] for j in json.loads(run.stdout)["jobs"]] == ["built"]
    assert "GOT {'total': 4}" in run.stderr
    assert pickle.loads((job / "result.pickle").read_bytes()) == {"total": 4}
    again = json.loads(project.acbuild("show", "score", "--json").stdout)
    assert again["result"] == {"total": 4}
