"""Shared test helpers: temporary projects and the real ``acbuild`` command in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


class Project:
    """A temporary acbuild project: write files, run acbuild, look at what it left."""

    def __init__(self, root: Path):
        self.root = root
        self.write("acbuild.toml", 'methods = ["methods"]\nslices = 2\n')

    def write(self, relpath: str, text: str) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    def method(self, name: str, text: str) -> Path:
        return self.write(f"methods/{name}.py", text)

    def script(self, text: str, name: str = "build.py") -> Path:
        return self.write(name, text)

    @property
    def workdir(self) -> Path:
        return self.root / "workdirs" / "dev"

    def acbuild(self, *args: str, check: int | None = 0, timeout: float = 120,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC),
                    "COLUMNS": "200", **(env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "acbuild", *args], cwd=self.root, env=full_env,
            capture_output=True, text=True, timeout=timeout,
        )
        if check is not None and proc.returncode != check:
            raise AssertionError(
                f"acbuild {' '.join(args)} exited {proc.returncode}, expected {check}\n"
                f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
        return proc

    def run_json(self, *args: str, check: int | None = 0) -> dict[str, Any]:
        proc = self.acbuild("run", "--json", *args, check=check)
        return json.loads(proc.stdout)

    def status_json(self, *args: str) -> dict[str, Any]:
        return json.loads(self.acbuild("status", "--json", *args).stdout)

    def job_dirs(self) -> list[str]:
        if not self.workdir.exists():
            return []
        return sorted(p.name for p in self.workdir.iterdir()
                      if p.is_dir() and not p.name.startswith("."))


def states(report: dict[str, Any]) -> dict[str, str]:
    """method or label -> state, from a run/status JSON report (methods used once)."""
    return {job["method"]: job["state"] for job in report["jobs"]}


def built(report: dict[str, Any]) -> list[str]:
    return sorted(j["method"] for j in report["jobs"] if j["state"] == "built")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "proj")
