"""A build script's own modules (a helper beside build.py): found whatever directory the
`acbuild` command starts in, and read from their source on each run — a helper edited
within the same second, to the same size, is planned as it reads now, never from a .pyc
of its older text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import SRC, Project

METHOD = '''
options = {"n": 0}

def synthesis(options):
    return options.n
'''

SCRIPT = '''
import helpers
from tools.values import K

def main(urd):
    urd.build("a", n=helpers.N + K)
'''


def _installed_command(project: Project, tmp_path: Path, *args: str) -> dict[str, Any]:
    """As the installed `acbuild` command runs: its own directory first on sys.path, not
    the current one (``python -m`` would put the project there)."""
    entry = tmp_path / "bin" / "acbuild"
    entry.parent.mkdir(exist_ok=True)
    entry.write_text("import sys\nfrom acbuild.cli import main\nsys.exit(main())\n")
    proc = subprocess.run(
        [sys.executable, str(entry), "run", "--json", *args], cwd=project.root,
        env={**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC)},
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _n(project: Project, report: dict[str, Any]) -> int:
    (job,) = report["jobs"]
    setup = json.loads((project.workdir / job["id"] / "setup.json").read_text())
    return int(setup["options"]["n"])


def _rewrite_in_place(path: Path, text: str) -> None:
    """New bytes of the same size, with the mtime the file had: what a .pyc is checked by."""
    before = path.stat()
    assert len(text.encode()) == before.st_size
    path.write_text(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_helper_beside_the_script_is_found_and_read_from_its_source(
        project: Project, tmp_path: Path) -> None:
    project.method("a", METHOD)
    project.write("helpers.py", "N = 3\n")
    project.write("tools/__init__.py", "")
    project.write("tools/values.py", "K = 10\n")
    project.script(SCRIPT)
    assert _n(project, _installed_command(project, tmp_path)) == 13
    assert not list(project.root.rglob("__pycache__"))  # nothing written beside them

    _rewrite_in_place(project.root / "helpers.py", "N = 4\n")
    _rewrite_in_place(project.root / "tools" / "values.py", "K = 20\n")
    report = _installed_command(project, tmp_path)
    assert [j["state"] for j in report["jobs"]] == ["built"]
    assert _n(project, report) == 24


def test_a_stale_pyc_beside_a_helper_is_not_read(project: Project) -> None:
    """Even a __pycache__ that Python itself would take as current (written by an earlier
    import, then the source changed with its size and mtime kept)."""
    project.method("a", METHOD)
    helper = project.write("helpers.py", "N = 3\n")
    project.write("tools/__init__.py", "")
    project.write("tools/values.py", "K = 10\n")
    project.script(SCRIPT)
    subprocess.run([sys.executable, "-c", "import helpers"], cwd=project.root, check=True,
                   env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""})
    assert list((project.root / "__pycache__").glob("helpers.*.pyc"))
    _rewrite_in_place(helper, "N = 7\n")
    assert _n(project, project.run_json()) == 17
