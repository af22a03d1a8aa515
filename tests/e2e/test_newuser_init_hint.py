"""`acbuild init DIR`'s closing line is a command a user can paste (README "A first project").

For a directory with a space in its name it used to print `cd other dir/sub && acbuild
run`, which a shell splits into two arguments.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def _init(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "ACBUILD_PLAIN": "1"}
    return subprocess.run([sys.executable, "-m", "acbuild", "init", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=True)


def test_the_printed_command_runs_in_a_shell(tmp_path: Path):
    proc = _init(tmp_path, "my project/sub")
    line = proc.stdout.strip().splitlines()[-1]
    command = line.split("build it with:", 1)[1].strip()
    words = shlex.split(command)
    assert words[:2] == ["cd", "my project/sub"], command
    assert (tmp_path / words[1] / "build.py").is_file()


def test_a_plain_name_stays_plain(tmp_path: Path):
    proc = _init(tmp_path, "myproject")
    assert proc.stdout.strip().endswith("build it with:  cd myproject && acbuild run")
