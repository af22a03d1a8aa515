"""A run waiting for a job another run builds says so once (README "Progress", "Concurrent runs").

Without a terminal a run prints one plain line per event; the waiting run used to print
"waiting JOB: another acbuild run is building it" again at every lock retry (ten times a
second: 36,000 lines in a CI log for an hour-long job).
"""

from __future__ import annotations

import subprocess
import time

from test_concurrency import start_two_runs

from conftest import Project


def test_the_waiting_line_is_printed_once(project: Project) -> None:
    gate = project.root / "gate"
    project.method("gated", f'''
        import os
        import time

        def synthesis():
            deadline = time.monotonic() + 120
            while not os.path.exists({str(gate)!r}) and time.monotonic() < deadline:
                time.sleep(0.01)
            return 1
    ''')
    project.script('def main(urd):\n    urd.build("gated")\n')
    runs: list[subprocess.Popen[str]] = []
    try:
        start_two_runs(project, runs)
        assert runs[1].stdout is not None
        first = runs[1].stdout.readline()  # it found the job locked
        time.sleep(1.0)  # ten lock retries at least, however fast or slow the machine
    finally:
        gate.write_text("")
        results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    assert first.startswith("waiting ")
    rest = results[1][0]
    assert "waiting " not in rest, first + rest
    assert "nothing to build: 1 job(s) reused" in rest
