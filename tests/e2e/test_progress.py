"""Progress while building: plain lines without a terminal, the live display in a real one
(tmux), `-v` streaming jobs' output and `-q` printing only the summary and errors."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import SRC, Project

WAIT_LIMIT = 60.0  # seconds a test waits for the pane to show something before giving up


def talking_project(project: Project) -> Project:
    project.method("talk", '''
        options = {"n": 0}

        def synthesis(options):
            for i in range(options.n):
                print(f"line {i} of {options.n}")
            return options.n
    ''')
    project.script('def main(urd):\n    urd.build("talk", n=2)\n    urd.build("talk", n=3)\n')
    return project


def test_plain_output_is_one_line_per_event(project: Project) -> None:
    talking_project(project)
    # Not a terminal, and ACBUILD_PLAIN unset: plain lines all the same.
    out = project.acbuild("run", "-j", "1", env={"ACBUILD_PLAIN": ""}).stdout.splitlines()
    assert [line.split()[0] for line in out] == ["start", "built", "start", "built", "done:"]
    assert re.fullmatch(r"start   talk-\w{12}  \(never built\)", out[0])
    assert re.fullmatch(r"built   talk-\w{12}  \d+\.\d\ds", out[1])
    assert out[-1].startswith("done: 2 built, 0 reused")
    again = project.acbuild("run", "-v").stdout.splitlines()
    assert [line.split()[0] for line in again] == ["reused", "reused", "nothing"]


def test_verbose_streams_each_jobs_output_and_quiet_prints_the_summary(
        project: Project) -> None:
    talking_project(project)
    out = project.acbuild("run", "-v", "-j", "1").stdout
    streamed = re.findall(r"^(talk-\w{12})\| (line \d of \d)$", out, re.M)
    assert [line for _, line in streamed] == ["line 0 of 2", "line 1 of 2", "line 0 of 3",
                                              "line 1 of 3", "line 2 of 3"]
    assert "--- acbuild:" not in out  # the phase markers stay in the logs
    project.script('def main(urd):\n    urd.build("talk", n=4)\n')
    quiet = project.acbuild("run", "-q")
    assert quiet.stdout.splitlines() == [quiet.stdout.splitlines()[0]]
    assert quiet.stdout.startswith("done: 1 built, 0 reused")
    project.method("talk", "options = {'n': 0}\n\ndef synthesis():\n"
                           "    raise ValueError('loud')\n")
    failed = project.acbuild("run", "-q", check=1)
    assert failed.stdout.startswith("FAILED: 0 built")
    assert "ValueError: loud" in failed.stderr


GATED = '''
import os
import time

options = {"gate": "", "n": 0}

def synthesis(options):
    print("waiting at the gate", flush=True)
    deadline = time.time() + 60
    while options.gate and not os.path.exists(options.gate) and time.time() < deadline:
        time.sleep(0.05)
    return options.n
'''


class Pane:
    """A command running in a detached tmux session of its own (a real terminal)."""

    def __init__(self, name: str, command: str):
        self.socket = name
        self._tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", "t", command)

    def _tmux(self, *args: str) -> str:
        env = {k: v for k, v in os.environ.items() if k != "TMUX"}
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, env=env,
                              capture_output=True, text=True).stdout

    def text(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, shows: Callable[[str], bool]) -> str:
        deadline = time.monotonic() + WAIT_LIMIT
        while True:
            text = self.text()
            if shows(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"the pane never showed it:\n{text}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_live_display_in_a_real_terminal(project: Project) -> None:
    project.method("gated", GATED)
    gate = project.root / "open-the-gate"
    project.script(f'def main(urd):\n    urd.build("gated", n=1)\n'
                   f'    urd.build("gated", n=2, gate={str(gate)!r})\n')
    runner = project.write("run.sh", f"""
        cd {shlex.quote(str(project.root))}
        unset ACBUILD_PLAIN
        export PYTHONPATH={shlex.quote(str(SRC))}
        {shlex.quote(sys.executable)} -m acbuild run -v -j 2
        echo "EXIT=$?"
        sleep 600
    """)
    pane = Pane(f"acbuild-test-{os.getpid()}", f"sh {shlex.quote(str(runner))}")
    try:
        # Both jobs print the line: wait for the running one's, which -v streams as it comes.
        # (and the finished job's line: the screen may be read between two redraws)
        live = pane.wait_for(lambda t: "1 built" in t and "1 running" in t
                             and re.search(r"built   (gated-\w{12})", t) is not None and any(
            f"{m.group(1)}| waiting at the gate" in t
            for m in re.finditer(r"▸ (gated-\w{12})  \d+\.\ds", t)))
        quick, slow = (re.search(r"built   (gated-\w{12})", live),
                       re.search(r"▸ (gated-\w{12})  \d+\.\ds", live))
        assert quick and slow, live
        assert re.search(r"1 built +0 reused +1 running +0 failed", live), live
        assert f"{slow.group(1)}| waiting at the gate" in live, live  # -v: as it comes
        gate.write_text("")
        done = pane.wait_for(lambda t: "EXIT=" in t)
    finally:
        pane.close()
    assert "EXIT=0" in done and "done: 2 built, 0 reused" in done, done
    assert f"built   {slow.group(1)}" in done, done
    assert "running" not in done, done  # the live area is gone; the finished lines stay
    assert not Path(gate).with_name(".failed").exists()
