"""`acbuild init`: a new project that builds at once, and never a file overwritten unasked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import SRC


def acbuild(cwd: Path, *args: str, check: int = 0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC), "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "acbuild", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == check, f"{proc.stdout}\n{proc.stderr}"
    return proc


def test_init_then_run_builds_from_scratch(tmp_path: Path) -> None:
    proc = acbuild(tmp_path, "init", "newproj")
    root = tmp_path / "newproj"
    for name in ("acbuild.toml", "methods/wordcount.py", "build.py", ".gitignore"):
        assert (root / name).is_file() and f"created newproj/{name}" in proc.stdout
    assert "cd newproj && acbuild run" in proc.stdout
    assert "/workdirs/" in (root / ".gitignore").read_text().splitlines()
    assert (root / "methods/wordcount.py").read_text().count("#") >= 5  # commented
    first = json.loads(acbuild(root, "run", "--json").stdout)
    assert first["counts"] == {"built": 2, "reused": 0, "failed": 0, "skipped": 0}
    assert "again" in acbuild(root, "run").stdout  # the script prints the top words
    assert json.loads(acbuild(root, "status", "--json").stdout)["counts"]["stale"] == 0
    # Edit an input file: exactly the job that reads it is built again.
    (root / "data/second.txt").write_text("reproducible reproducible computations\n")
    report = json.loads(acbuild(root, "run", "--json").stdout)
    assert report["counts"]["built"] == 1 and report["counts"]["reused"] == 1


def test_init_here_and_refusing_to_overwrite(tmp_path: Path) -> None:
    acbuild(tmp_path, "init")
    (tmp_path / "build.py").write_text("def main(urd):\n    pass\n")
    proc = acbuild(tmp_path, "init", check=2)
    assert "already has acbuild.toml" in proc.stderr and "--force" in proc.stderr
    assert (tmp_path / "build.py").read_text() == "def main(urd):\n    pass\n"
    acbuild(tmp_path, "init", "--force")
    assert "urd.build" in (tmp_path / "build.py").read_text()


def test_init_adds_to_an_existing_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.pyc")
    acbuild(tmp_path, "init")
    assert (tmp_path / ".gitignore").read_text().splitlines()[0] == "*.pyc"
    acbuild(tmp_path, "init", "--force")
    text = (tmp_path / ".gitignore").read_text()
    assert text.count("/workdirs/") == 1 and text.startswith("*.pyc\n")
