"""Crash safety: `acbuild run` killed (SIGKILL) at random moments, and Ctrl-C.

After every kill the work directory is sound — `verify` and `doctor` find nothing
wrong, every row has its finished directory — and a last run builds exactly the
jobs that had not finished, which a ledger outside the job directories counts.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from conftest import (
    SRC,
    Project,
    assert_sound,
    db_rows,
    descendants,
    finished_dirs,
    ledger,
    side_effect_project,
    staging_leftovers,
    wait_gone,
)

SEED = int(os.environ.get("ACBUILD_FAULT_SEED", "20240611"))
# Kills per round, at most (a round ends sooner when all its jobs are built); seconds of
# killing, after which a round stops once it has killed MIN_KILLS times. Raise them for a
# soak (README: Reliability). What is asserted depends on neither: each kill waits for an
# event of the run (a job staged, its side effect done, a job published), never a clock.
MAX_KILLS = int(os.environ.get("ACBUILD_FAULT_KILLS", "12"))
TIME_BUDGET = float(os.environ.get("ACBUILD_FAULT_SECONDS", "40"))
ROUNDS = int(os.environ.get("ACBUILD_FAULT_ROUNDS", "1"))
MIN_KILLS = 6
EVENT_TIMEOUT = 120.0  # a run that shows no progress for this long is stuck: a failure
POLL = 0.01


def graph_script(rng: random.Random) -> str:
    """32 jobs in four layers; naps of 50-250 ms, so a kill lands mid-build."""
    naps = [round(rng.uniform(0.05, 0.25), 3) for _ in range(32)]
    return f'''
NAPS = {naps}

def main(urd):
    leaves = [urd.build("work", tag=f"leaf{{i}}", nap=NAPS[i]) for i in range(8)]
    mids = [urd.build("work", tag=f"mid{{i}}", nap=NAPS[8 + i], a=leaves[i],
                      b=leaves[(i + 3) % 8]) for i in range(8)]
    sliced = [urd.build("sliced", tag=f"sliced{{i}}", nap=NAPS[16 + i], src=mids[i])
              for i in range(8)]
    for i in range(8):
        urd.build("work", tag=f"top{{i}}", nap=NAPS[24 + i], a=sliced[i], b=mids[7 - i])
'''


def start_run(project: Project, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC)}
    # Its own session, as a terminal gives a command: a signal to the group reaches acbuild
    # and its launcher, not the jobs (each in a group of its own).
    return subprocess.Popen([sys.executable, "-m", "acbuild", "run", *args], cwd=project.root,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def check_after_kill(project: Project) -> Counter[str]:
    """The work directory is sound; what a crash may leave, which the next run repairs."""
    assert_sound(project.workdir)
    project.acbuild("verify")
    doctor = json.loads(project.acbuild("doctor", "--json").stdout)
    assert doctor["problems"] == 0, doctor["findings"]
    return Counter(f["kind"] for f in doctor["findings"])


def test_sigkill_at_random_moments_loses_nothing(project: Project) -> None:
    rng = random.Random(SEED)
    side_effect_project(project)
    began = time.monotonic()
    totals: Counter[str] = Counter()
    for _ in range(ROUNDS):  # each round a graph of new jobs (new naps, new ids)
        totals += kill_until_built(project, rng, began)
    # Each round stages jobs before its first kill can land: kills did hit builds.
    assert totals["mid-build"] >= 1, totals
    print(f"\n  seed {SEED}: {dict(totals)} in {time.monotonic() - began:.1f}s")


def kill_until_built(project: Project, rng: random.Random, began: float) -> Counter[str]:
    project.script(graph_script(rng))
    every = {j["id"] for j in project.status_json()["jobs"]}
    assert len(every) == 32
    stats: Counter[str] = Counter(rounds=1)
    while stats["kills"] < MAX_KILLS and not finished_dirs(project.workdir) >= every:
        if stats["kills"] >= MIN_KILLS and time.monotonic() - began > TIME_BUDGET:
            break
        if not kill_once(project, rng, every, stats):
            break  # the run built everything before a kill could land

    finished = finished_dirs(project.workdir) & every
    counted = Counter(ledger(project))
    report = project.run_json("-j", "2")
    built = {j["id"] for j in report["jobs"] if j["state"] == "built"}
    reused = {j["id"] for j in report["jobs"] if j["state"] == "reused"}
    assert built == every - finished  # only what had not finished
    assert reused == finished  # every finished job reused, recorded or not
    assert Counter(ledger(project)) - counted == Counter(built)  # each built once, now
    assert set(ledger(project)) >= every  # every job's work was done
    assert set(db_rows(project.workdir)) >= every
    assert staging_leftovers(project.workdir) == []
    project.acbuild("verify")
    assert json.loads(project.acbuild("doctor", "--json").stdout)["findings"] == []
    return stats


def kill_once(project: Project, rng: random.Random, every: set[str],
              stats: Counter[str]) -> bool:
    """Start a run, wait for a seeded choice of event in it, SIGKILL it, check the promise:
    nothing finished is lost or built again, nothing outlives it, the directory is sound.
    False when the run ended by itself before the kill (everything was built)."""
    before = finished_dirs(project.workdir)
    noted = len(ledger(project))
    staged = set(staging_leftovers(project.workdir))
    published = set(project.job_dirs())  # a published directory is a finished job
    count = rng.randint(1, 4)  # the kill follows the count-th such event of the run
    seen: set[str] = set()

    def staged_enough() -> bool:
        seen.update(set(staging_leftovers(project.workdir)) - staged)
        return len(seen) >= count

    event, happened = rng.choice([
        ("staged", staged_enough),
        ("noted", lambda: len(ledger(project)) >= noted + count),
        ("published", lambda: len(set(project.job_dirs()) - published) >= count),
    ])
    whole_group = stats["kills"] % 3 == 2  # as a power cut would: acbuild and its launcher
    pause = rng.uniform(0, 0.05)  # a random moment after the event
    proc = start_run(project, "-j", "2")
    below: set[int] = set()
    if wait_for(happened, proc):
        time.sleep(pause)
        below = descendants(proc.pid)
        if whole_group:  # the leader, not reaped yet, keeps the group alive
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    _, err = proc.communicate()
    if proc.returncode != -signal.SIGKILL:  # it ended before the kill (all was built)
        assert proc.returncode == 0, err
        return False
    stats["kills"] += 1
    stats["whole group"] += whole_group
    stats[f"after {event}"] += 1
    # The launcher ends its jobs when acbuild dies; each job dies with its launcher.
    assert wait_gone(below) == set(), "processes outlived the killed run"
    # The kill landed mid-build when it left a staging directory of this run behind.
    left = set(staging_leftovers(project.workdir)) - staged
    stats["mid-build"] += bool(left)
    stats.update({f"mid-build of {name.split('-')[0]}" for name in left})
    stats.update(f"left {kind}" for kind in check_after_kill(project).elements())
    after = finished_dirs(project.workdir)
    assert after >= before, f"finished jobs lost: {before - after}"
    rebuilt = set(ledger(project)[noted:]) & before
    assert not rebuilt, f"finished jobs built again: {rebuilt}"
    assert after - before <= every  # only jobs of this graph were built
    return True


def wait_for(happened: Callable[[], bool], proc: subprocess.Popen[str]) -> bool:
    """Wait until ``happened()``; False when the run ended first."""
    deadline = time.monotonic() + EVENT_TIMEOUT
    while not happened():
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(POLL)
    return True


def test_ctrl_c_stops_jobs_keeps_finished_exits_130(project: Project) -> None:
    side_effect_project(project)
    project.method("slow", '''
        import os
        import time

        import _ledger

        options = {"tag": ""}

        def synthesis(job):
            with open(os.path.join(os.path.dirname(_ledger.LEDGER), "pids"), "a") as f:
                f.write(f"{os.getpid()}\\n")
            time.sleep(60)
            _ledger.note(job)
    ''')
    project.script('''
        def main(urd):
            for i in range(3):
                urd.build("work", tag=f"quick{i}")
            urd.build("slow", tag="a")
            urd.build("slow", tag="b")
    ''')
    proc = start_run(project, "-j", "2")
    pids = project.root / "pids"
    deadline = time.monotonic() + 30
    while not (pids.exists() and len(pids.read_text().split()) == 2):
        assert time.monotonic() < deadline, "the slow jobs never started"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in out
    assert wait_gone({int(p) for p in pids.read_text().split()}) == set()
    quick = {j for j in finished_dirs(project.workdir) if j.startswith("work-")}
    assert len(quick) == 3 and set(db_rows(project.workdir)) == quick
    assert_sound(project.workdir)
    assert not any(d.startswith("slow-") for d in project.job_dirs())
    # The stopped jobs' directories are kept, with what they printed, for `acbuild show`.
    assert len(list((project.workdir / ".failed").iterdir())) == 2
    project.method("slow", 'options = {"tag": ""}\n\ndef synthesis():\n    return 1\n')
    report = project.run_json()
    assert sorted(j["state"] for j in report["jobs"]) == ["built"] * 2 + ["reused"] * 3


def _forget(workdir: Path, job_id: str) -> None:
    conn = sqlite3.connect(workdir / "acbuild.db")
    with conn:
        conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
    conn.close()


def test_each_crash_window_leaves_a_state_the_next_run_repairs(project: Project) -> None:
    """The moments a kill can split, made by hand: after the publish, before the row (a
    directory without its row); a forced rebuild between forgetting the old row and the
    rename (the same); between retiring the old directory and the rename (a leftover only)."""
    side_effect_project(project)
    project.script('def main(urd):\n' + ''.join(
        f'    urd.build("work", tag="{t}")\n' for t in ("unrecorded", "retired", "kept")))
    project.run_json("-j", "1")
    unrecorded, retired, kept = ledger(project)  # built in the script's order
    _forget(project.workdir, unrecorded)
    _forget(project.workdir, retired)
    os.replace(project.workdir / retired, project.workdir / ".tmp" / f"{retired}.replaced.1")
    assert_sound(project.workdir)
    doctor = json.loads(project.acbuild("doctor", "--json").stdout)
    assert doctor["problems"] == 0
    assert sorted(f["kind"] for f in doctor["findings"]) == ["leftover", "unindexed"]
    project.acbuild("verify")
    counted = Counter(ledger(project))
    report = project.run_json()
    assert {j["id"]: j["state"] for j in report["jobs"]} == {
        unrecorded: "reused", retired: "built", kept: "reused"}
    assert Counter(ledger(project)) - counted == Counter([retired])
    assert set(db_rows(project.workdir)) == {unrecorded, retired, kept}
    assert staging_leftovers(project.workdir) == []
    assert json.loads(project.acbuild("doctor", "--json").stdout)["findings"] == []


def test_ctrl_c_while_the_script_runs(project: Project) -> None:
    project.script('import time\n\ndef main(urd):\n    print("evaluating", flush=True)\n'
                   '    time.sleep(60)\n')
    proc = start_run(project)
    assert proc.stdout is not None and proc.stdout.readline() == "evaluating\n"
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "Traceback" not in err
    assert "interrupted" in err
    conn = sqlite3.connect(project.workdir / "acbuild.db")
    assert [s for (s,) in conn.execute("SELECT status FROM runs")] == ["interrupted"]
    conn.close()
