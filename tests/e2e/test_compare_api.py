"""Reading a project from Python (`acbuild.open_project`): a sweep's metrics into a list of
dicts, job handles, read-only, and `import acbuild` staying light until it is called."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from test_compare_sweep import sweep

from conftest import SRC, Project

READ = """
import json, sys
import acbuild

light = sorted(m for m in ("click", "rich", "sqlite3", "acbuild.reader") if m in sys.modules)
project = acbuild.open_project(sys.argv[1])
rows = project.compare("train", sort="roc_auc.test", descending=True)
best = project.job(rows[0]["job"])
prepare = project.job("prepare")
first_file = project.job(str(best.path / "metrics.json"))
print(json.dumps({
    "light": light,
    "rows": rows,
    "best": {"id": best.id, "method": best.method, "path": str(best.path),
             "params": best.params, "files": best.files(), "result": best.load(),
             "metrics": json.load(best.open("metrics.json"))},
    "prepare": prepare.load(),
    "by_file": first_file.id,
    "jobs": [j.id for j in project.jobs("train")],
}))
"""


def read(project: Project, script: str = READ, cwd: str | None = None
         ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-c", script, str(project.root)], env=env,
                          cwd=cwd or project.root.parent, capture_output=True, text=True,
                          timeout=120)


def test_a_sweeps_metrics_read_through_the_python_api_as_a_list_of_dicts(
        project: Project) -> None:
    sweep(project)
    proc = read(project)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["light"] == []  # import acbuild: no click, rich, sqlite3 or reader yet
    rows = out["rows"]
    assert [r["name"] for r in rows] == ["alpha=0.1", "alpha=0.5", "alpha=2.0"]
    assert [r["roc_auc.test"] for r in rows] == [0.9091, 0.6667, 0.3333]
    assert all(isinstance(r, dict) and r["alpha"] in (0.1, 0.5, 2.0) for r in rows)
    best = out["best"]
    assert best["id"] == rows[0]["job"] and best["method"] == "train"
    assert best["params"]["options"]["alpha"] == 0.1
    assert best["params"]["label"] == "alpha=0.1"
    assert best["params"]["jobs"]["source"].startswith("prepare-")
    assert best["files"] == ["metrics.json", "result.pickle"]
    assert best["result"]["roc_auc"]["test"] == 0.9091
    assert best["metrics"] == {"loss": 0.2, "rows": 20}
    assert out["prepare"] == list(range(20))
    assert out["by_file"] == best["id"]  # a file inside a job names its job
    assert sorted(out["jobs"]) == sorted(r["job"] for r in rows)


def test_the_python_api_is_read_only(project: Project) -> None:
    sweep(project)
    before = sorted(p.name for p in project.workdir.iterdir())
    db = (project.workdir / "acbuild.db").stat().st_mtime_ns
    write = READ.replace('print(json.dumps({', 'best.open("metrics.json", "w")\nprint(json.dumps({')
    proc = read(project, write)
    assert proc.returncode != 0 and "PermissionError" in proc.stderr
    assert sorted(p.name for p in project.workdir.iterdir()) == before
    assert (project.workdir / "acbuild.db").stat().st_mtime_ns == db
    # A project never built: nothing is made, and there are no jobs.
    empty = Project(project.root.parent / "empty")
    proc = read(empty, "import sys, acbuild\n"
                       "print(acbuild.open_project(sys.argv[1]).jobs())\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    assert not (empty.root / "workdirs").exists()
