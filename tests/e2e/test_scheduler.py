"""The scheduler: jobs and analysis slices share one budget of processes (``-j``)."""

from __future__ import annotations

from conftest import Project

# Each working process (a slice, or a job without slices) counts itself in while it works,
# under a lock, and keeps the highest count seen. Until two have been in at once, each
# waits for company (a job's two slices meet, however slow the machine): so the highest
# count is 2 when the budget is shared, and more when it is exceeded.
COUNTER = '''
import fcntl
import os
import time


def busy(counter):
    with open(counter, "a+") as f:
        _add(f, 1)
        deadline = time.monotonic() + 30
        while _add(f, 0) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        _add(f, -1)


def _add(f, step):
    fcntl.flock(f, fcntl.LOCK_EX)
    f.seek(0)
    now, high = (int(x) for x in (f.read().split() or ["0", "0"]))
    now += step
    f.seek(0)
    f.truncate()
    f.write(f"{now} {max(now, high)}")
    f.flush()
    fcntl.flock(f, fcntl.LOCK_UN)
    return max(now, high)
'''


def test_slices_and_jobs_share_the_j_budget(project: Project) -> None:
    project.write("methods/_counter.py", COUNTER)
    project.method("sliced", '''
        from _counter import busy
        options = {"counter": "", "k": 0}

        def analysis(sliceno, options):
            busy(options.counter)
    ''')
    project.method("plain", '''
        from _counter import busy
        options = {"counter": "", "k": 0}

        def synthesis(options):
            busy(options.counter)
    ''')
    counter = project.root / "counter.txt"
    project.script(f'''
        def main(urd):
            for k in range(3):
                urd.build("sliced", counter={str(counter)!r}, k=k)
                urd.build("plain", counter={str(counter)!r}, k=k)
    ''')
    report = project.run_json("-j2")
    assert report["counts"]["built"] == 6
    now, high = (int(x) for x in counter.read_text().split())
    assert now == 0
    assert high == 2  # two at once (a job's two slices), never three or four
