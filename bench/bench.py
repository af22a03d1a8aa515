"""acbuild's benchmark: trivial-job graphs at 1,000 and 10,000 jobs, beside make and ninja.

Generates chain, wide and layered graphs of trivial jobs (a build script that loops
over ``urd.build``; a Makefile and a build.ninja whose rules ``touch`` their outputs
after their inputs), and measures, with the real commands in subprocesses:

- cold build rate at ``-j2``; a no-op ``acbuild run`` (whole process, median);
  ``acbuild status``; a one-edit incremental run (one job's option changes, and so
  everything downstream of it); peak memory of the 10,000-job no-op;
- launch overhead per job, inside the run: 1,000 independent trivial jobs at ``-j1``,
  from the engine's start of each job to the job's own start (post.json) plus from its
  end to the engine seeing it; and the time between one job's end and the next one's
  start (everything the engine does per job: publish, record, stage, launch);
- two CPU-bound jobs at ``-j2`` vs ``-j1``, and one CPU-bound ``analysis`` on 2 slices
  vs 1 (from post.json: the jobs' span, and the analysis phase's wall time);
- the real pipeline (``bench/pipeline.py``): methods that import a heavy library, no-op
  ``run`` and ``status`` beside the import itself.

Prints one table with the targets and whether each is met, then issue 12's table: each
figure as a ratio to make (or to the import), measured in the same run. ``make bench``;
``--quick`` for the wide graphs only, 3 runs a median.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pipeline  # noqa: E402  (bench/pipeline.py, beside this file)

ROOT = Path(__file__).resolve().parents[1]
# NOTE: nothing is deleted until the end of the whole run. On ext4 without a journal (this
# VM's disk), creating a file right after thousands were deleted costs 3-5 times as much
# (the inode allocator skips each recently deleted inode), for minutes; a benchmark that
# cleans up after each graph slows its own next cold builds, for acbuild, make and ninja.
# Python's default, bytecode caching, even where the environment turned it off: a user's
# installed acbuild has its .pyc files.
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
       "PYTHONPATH": str(ROOT / "src"), "ACBUILD_PLAIN": "1"}
ACBUILD = [sys.executable, "-m", "acbuild"]
SHAPES = ("chain", "wide", "layered")
LAYERS = 10

NOOP_METHOD = '''
"""A trivial job: it does nothing."""
options = {"i": 0, "edit": 0}
jobs = ("a", "b")


def synthesis():
    return None
'''

SCRIPTS = {
    "chain": """
def main(urd):
    a = None
    for i in range(N):
        a = urd.build("noop", i=i, edit=EDIT if i == N // 2 else 0, a=a)
""",
    "wide": """
def main(urd):
    for i in range(N):
        urd.build("noop", i=i, edit=EDIT if i == N // 2 else 0)
""",
    "layered": """
def main(urd):
    width = N // LAYERS
    layer = [None] * width
    for d in range(LAYERS):
        layer = [urd.build("noop", i=d * width + k, edit=EDIT if d * width + k == N // 2 else 0,
                           a=layer[k], b=layer[(k + 1) % width]) for k in range(width)]
""",
}

SPIN_METHOD = '''
"""CPU-bound: a pure-Python loop."""
options = {"work": 0, "seed": 0}


def synthesis(options):
    x, seed = 0, options.seed
    for i in range(options.work):
        x += i ^ seed
    return x
'''

SPLIT_METHOD = '''
"""CPU-bound analysis: the same total work, split over the slices."""
options = {"work": 0}


def analysis(sliceno, slices, options):
    x = 0
    for i in range(options.work // slices):
        x += i ^ sliceno
    return x
'''


# -- the graphs -------------------------------------------------------------------------------
def deps(shape: str, n: int, i: int) -> list[int]:
    """The inputs of job ``i``: the same edges as the build script's loop."""
    if shape == "chain":
        return [i - 1] if i else []
    if shape == "wide":
        return []
    width = n // LAYERS
    d, k = divmod(i, width)
    return [] if d == 0 else [(d - 1) * width + k, (d - 1) * width + (k + 1) % width]


def downstream(shape: str, n: int, i: int) -> int:
    """How many jobs a change to job ``i`` rebuilds (itself included)."""
    hit = {i}
    for j in range(i + 1, n):
        if any(p in hit for p in deps(shape, n, j)):
            hit.add(j)
    return len(hit)


def write_project(path: Path, shape: str, n: int) -> None:
    (path / "methods").mkdir(parents=True)
    (path / "acbuild.toml").write_text('methods = ["methods"]\nslices = 2\n')
    (path / "methods" / "noop.py").write_text(NOOP_METHOD.lstrip())
    set_edit(path, shape, n, 0)
    (path / "out").mkdir()
    (path / "edit.txt").write_text("0\n")
    mid = n // 2
    targets = [f"out/j{i}" for i in range(n)]
    with open(path / "Makefile", "w") as f:
        f.write("MAKEFLAGS += -r\n.SUFFIXES:\nall: " + " ".join(targets) + "\n")
        for i in range(n):
            extra = " edit.txt" if i == mid else ""
            f.write(f"out/j{i}: {' '.join(targets[p] for p in deps(shape, n, i))}{extra}\n"
                    "\ttouch $@\n")
    with open(path / "build.ninja", "w") as f:
        f.write("rule touch\n  command = touch $out\n")
        for i in range(n):
            extra = " edit.txt" if i == mid else ""
            f.write(f"build out/j{i}: touch {' '.join(targets[p] for p in deps(shape, n, i))}"
                    f"{extra}\n")


def set_edit(path: Path, shape: str, n: int, edit: int) -> None:
    head = f"N = {n}\nLAYERS = {LAYERS}\nEDIT = {edit}\n"
    (path / "build.py").write_text(head + SCRIPTS[shape])


# -- running things ---------------------------------------------------------------------------
def timed(cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    began = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env or ENV, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - began
    if proc.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed in {cwd}:\n{proc.stderr}")
    return seconds


def median(f: Callable[[], float], repeat: int) -> float:
    return statistics.median(f() for _ in range(repeat))


def peak_rss_mib(cmd: Sequence[str], cwd: Path) -> float:
    """The peak resident memory of ``cmd`` and its children, from a fresh process."""
    probe = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
             "stdout=subprocess.DEVNULL); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], cwd=cwd, env=ENV, check=True,
                         capture_output=True, text=True).stdout
    return int(out.split()[-1]) / 1024


def posts(project: Path) -> list[dict]:
    found = []
    for post in (project / "workdirs" / "dev").glob("*/post.json"):
        found.append(json.loads(post.read_text()))
    return found


# What no acbuild can do without in a no-op run: start Python, list the work directory, and
# one lstat of each job's post.json (how a no-op run sees a job still holds the finished job
# its row recorded). Nothing imported, no script evaluated, no database read: a floor.
FLOOR = """
import os, sys
root = sys.argv[1]
for name in os.listdir(root):
    if not name.startswith("."):
        try:
            os.lstat(f"{root}/{name}/post.json")
        except OSError:
            pass
"""


# -- the measurements -------------------------------------------------------------------------
def graph_figures(base: Path, shape: str, n: int, repeat: int) -> dict[str, float]:
    """Cold, no-op, status and one-edit figures for one graph, for acbuild, make and ninja."""
    path = base / f"{shape}-{n}"
    write_project(path, shape, n)
    fig: dict[str, float] = {}
    fig["cold"] = timed([*ACBUILD, "run", "-j2", "-q"], path)
    fig["noop"] = median(lambda: timed([*ACBUILD, "run"], path), repeat)
    fig["status"] = median(lambda: timed([*ACBUILD, "status"], path), repeat)
    floor = [sys.executable, "-S", "-c", FLOOR, str(path / "workdirs" / "dev")]
    fig["floor"] = median(lambda: timed(floor, path), repeat)
    set_edit(path, shape, n, 1)
    fig["edit"] = timed([*ACBUILD, "run", "-j2", "-q"], path)
    fig["edited"] = downstream(shape, n, n // 2)
    if n >= 10_000:
        fig["rss"] = peak_rss_mib([*ACBUILD, "run"], path)
    for tool, cmd in (("make", ["make", "-s", "-j2"]), ("ninja", ["ninja", "-j2"])):
        (path / "out").rename(path / f"out.before-{tool}")  # set aside, not deleted: see NOTE
        (path / "out").mkdir()
        fig[f"{tool}_cold"] = timed(cmd, path)
        fig[f"{tool}_noop"] = median(lambda cmd=cmd: timed(cmd, path), repeat)
        time.sleep(0.01)  # a new mtime, even on a coarse clock
        (path / "edit.txt").write_text(f"{tool}\n")
        fig[f"{tool}_edit"] = timed(cmd, path)
    return fig


# Builds in-process through the API, to read the engine's own events: when it started each
# job (after staging) and when it saw each one end (on reading the job's post.json).
ENGINE_EVENTS = """
import json
from pathlib import Path
from acbuild import events
from acbuild.config import load_project
from acbuild.session import Session, run_script
seen = events.CollectingReporter()
with Session(load_project()) as session:
    run_script(session, Path("build.py").resolve(), seen, 1)
started = {e.job.id: e.started for e in seen.events if isinstance(e, events.JobStarted)}
print(json.dumps([[e.path, started[e.job.id], e.seconds] for e in seen.events
                  if isinstance(e, events.JobBuilt)]))
"""


def launch_overhead(base: Path, n: int = 1000) -> tuple[float, float, float]:
    """For n independent trivial jobs at -j1: (launch overhead in ms: from the engine
    starting a job to the job's own start, plus from its end to the engine seeing it;
    ms per job beside its own time: from one job's end to the next one's start; jobs/s)."""
    path = base / "launch"
    write_project(path, "wide", n)
    began = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", ENGINE_EVENTS], cwd=path, env=ENV, check=True,
                         capture_output=True, text=True).stdout
    seconds = time.perf_counter() - began
    launch = []
    for job_path, started, took in json.loads(out):
        post = json.loads((Path(job_path) / "post.json").read_text())
        launch.append((post["start"] - started) + (started + took - post["end"]))
    jobs = sorted(posts(path), key=lambda p: p["start"])
    gap = (jobs[-1]["end"] - jobs[0]["start"] - sum(p["wall"] for p in jobs)) / (len(jobs) - 1)
    return 1000 * statistics.median(launch), 1000 * gap, n / seconds


def cpu_project(base: Path, slices: int, work: int) -> Path:
    path = base / "cpu"
    (path / "methods").mkdir(parents=True, exist_ok=True)
    (path / "acbuild.toml").write_text(f'methods = ["methods"]\nslices = {slices}\n')
    (path / "methods" / "spin.py").write_text(SPIN_METHOD.lstrip())
    (path / "methods" / "split.py").write_text(SPLIT_METHOD.lstrip())
    (path / "spin.py").write_text(
        "def main(urd):\n    urd.build('spin', work=WORK, seed=1)\n"
        "    urd.build('spin', work=WORK, seed=2)\n".replace("WORK", str(work)))
    (path / "split.py").write_text(f"def main(urd):\n    urd.build('split', work={2 * work})\n")
    return path


def spin_work(seconds: float = 2.0) -> int:
    """Loop iterations for about ``seconds`` of CPU on this machine (the jobs' loop)."""
    began, work = time.process_time(), 1_000_000
    x, seed = 0, 1
    for i in range(work):
        x += i ^ seed
    return int(seconds * work / max(1e-3, time.process_time() - began))


def speedups(base: Path, repeat: int) -> tuple[float, float]:
    """(two CPU-bound jobs: span at -j1 / span at -j2, analysis: 1 slice / 2 slices)."""
    work = spin_work()
    path = cpu_project(base, 2, work)

    def span(jobs: str) -> float:
        began = time.time()
        timed([*ACBUILD, "run", "-q", jobs, "--force", "spin", "spin.py"], path)
        spins = [p for p in posts(path) if "synthesis" in p["phases"] and p["start"] >= began]
        assert len(spins) == 2, spins
        return max(p["end"] for p in spins) - min(p["start"] for p in spins)

    def analysis(slices: int) -> float:
        cpu_project(base, slices, work)
        began = time.time()
        timed([*ACBUILD, "run", "-q", "-j2", "--force", "split", "split.py"], path)
        (wall,) = [p["phases"]["analysis"]["wall"] for p in posts(path)
                   if "analysis" in p["phases"] and p["start"] >= began]
        return float(wall)

    # Interleaved, so that a burst of other load on the machine hits both sides alike.
    j1, j2, s1, s2 = [], [], [], []
    for _ in range(repeat):
        j1.append(span("-j1"))
        j2.append(span("-j2"))
        s1.append(analysis(1))
        s2.append(analysis(2))
    return (statistics.median(j1) / statistics.median(j2),
            statistics.median(s1) / statistics.median(s2))


# -- the table --------------------------------------------------------------------------------
def table(figs: dict[tuple[str, int], dict[str, float]], launch: tuple[float, float, float],
          speed: tuple[float, float], sizes: Sequence[int],
          shapes: Sequence[str] = SHAPES) -> list[list[str]]:
    rows = [["figure", "graph", "acbuild", "make", "ninja", "target", "met"]]

    def row(figure: str, graph: str, value: str, target: str = "", met: bool | None = None,
            make: str = "", ninja: str = "") -> None:
        rows.append([figure, graph, value, make, ninja, target,
                     "" if met is None else ("yes" if met else "NO")])

    def s(x: float) -> str:
        return f"{x:.3f} s"

    for n in sizes:
        for shape in shapes:
            f = figs[(shape, n)]
            rate = n / f["cold"]
            # The target is for independent jobs: a chain runs one job at a time at any -j.
            target = " ≥ 300 jobs/s" if n == 1000 and shape == "wide" else ""
            row("cold build -j2", f"{shape} {n}", f"{rate:.0f} jobs/s ({s(f['cold'])})",
                target.strip(), rate >= 300 if target else None,
                s(f["make_cold"]), s(f["ninja_cold"]))
    for n in sizes:
        for shape in shapes:
            f = figs[(shape, n)]
            if n == 1000:
                row("no-op run", f"{shape} {n}", s(f["noop"]), "≤ 0.2 s", f["noop"] <= 0.2,
                    s(f["make_noop"]), s(f["ninja_noop"]))
            else:
                small = figs.get((shape, 1000), {}).get("noop")
                ratio = f["noop"] / small if small else float("nan")
                row("no-op run", f"{shape} {n}", f"{s(f['noop'])} ({ratio:.1f}× 1k)",
                    "≤ 0.5 s, ≤ 11× 1k", f["noop"] <= 0.5 and (not small or ratio <= 11),
                    s(f["make_noop"]), s(f["ninja_noop"]))
    for n in sizes:
        for shape in shapes:
            f = figs[(shape, n)]
            ok = f["status"] <= 0.5 if n >= 10_000 else None
            row("status", f"{shape} {n}", s(f["status"]), "≤ 0.5 s" if ok is not None else "", ok)
    for n in sizes:
        for shape in shapes:
            f = figs[(shape, n)]
            row("one-edit run", f"{shape} {n}", f"{s(f['edit'])} ({f['edited']:.0f} built)", "",
                None, s(f["make_edit"]), s(f["ninja_edit"]))
    overhead, gap, rate = launch
    row("launch overhead", "wide 1000 -j1", f"{overhead:.2f} ms/job (median)", "≤ 2 ms",
        overhead <= 2)
    row("job end to next start", "wide 1000 -j1", f"{gap:.2f} ms/job ({rate:.0f} jobs/s)")
    row("2 CPU-bound jobs", "-j2 vs -j1", f"{speed[0]:.2f}×", "≥ 1.8×", speed[0] >= 1.8)
    row("analysis", "2 slices vs 1", f"{speed[1]:.2f}×", "≥ 1.8×", speed[1] >= 1.8)
    for shape in shapes:
        rss = figs.get((shape, 10_000), {}).get("rss")
        if rss is not None:
            row("peak memory, no-op", f"{shape} 10000", f"{rss:.0f} MiB", "≤ 150 MiB",
                rss <= 150)
    return rows


def issue_table(figs: dict[tuple[str, int], dict[str, float]], pipe: dict[str, float],
                sizes: Sequence[int], shapes: Sequence[str]) -> list[list[str]]:
    """Issue 12's figures, each as a ratio to make (or to the import), from this run."""
    rows = [["figure", "graph", "acbuild", "reference", "ratio", "target", "met"]]

    def row(figure: str, graph: str, ours: float, ref: float, ref_name: str,
            limit: float | None, extra: str = "", extra_ok: bool = True) -> None:
        ratio = ours / ref if ref else float("nan")
        rows.append([figure, graph, f"{ours:.3f} s", f"{ref:.3f} s ({ref_name})",
                     f"{ratio:.1f}×", "" if limit is None else f"≤ {limit:g}×{extra}",
                     "" if limit is None else "yes" if ratio <= limit and extra_ok else "NO"])

    big, small = max(sizes), min(sizes)
    for shape in shapes:
        f = figs[(shape, big)]
        row("no-op run", f"{shape} {big}", f["noop"], f["make_noop"], "make no-op", 4)
    for shape in shapes:
        f = figs[(shape, big)]
        row("status", f"{shape} {big}", f["status"], f["make_noop"], "make no-op", 4)
    for shape in shapes:  # (what the no-op run's checks alone cost: see FLOOR)
        f = figs[(shape, big)]
        row("floor: python + lstat/job", f"{shape} {big}", f["floor"], f["make_noop"],
            "make no-op", None)
    if "wide" in shapes:
        f = figs[("wide", small)]
        row("cold build -j2", f"wide {small}", f["cold"], f["make_cold"], "make cold", 2.5)
        f = figs[("wide", big)]
        row("one stale job", f"wide {big}", f["edit"], f["make_edit"], "make one edit", 4)
    for name in ("noop", "status"):
        ours = pipe[name]
        row("real pipeline " + ("no-op run" if name == "noop" else "status"), "9 jobs",
            ours, pipe["import"], "the import", 0.5, ", ≤ 0.3 s", ours <= 0.3)
    return rows


def render(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="graph sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="runs per median")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="graph shapes, comma-separated")
    parser.add_argument("--quick", action="store_true",
                        help="the wide graphs only, 3 runs per median (issue 12's table whole)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    shapes = ["wide"] if args.quick else [s for s in args.shapes.split(",") if s in SHAPES]
    repeat = 3 if args.quick else args.repeat
    figs = {}
    load_before = os.getloadavg()[0]  # other work on the machine skews every figure
    with tempfile.TemporaryDirectory(prefix="acbuild-bench-") as tmp:
        base = Path(tmp)
        for n in sizes:
            for shape in shapes:
                print(f"bench: {shape} {n} ...", file=sys.stderr, flush=True)
                figs[(shape, n)] = graph_figures(base, shape, n, repeat)
        print("bench: real pipeline ...", file=sys.stderr, flush=True)
        pipe = pipeline.pipeline_figures(base, ENV, ACBUILD, repeat, timed)
        print("bench: launch overhead, speed-ups ...", file=sys.stderr, flush=True)
        launch = launch_overhead(base)
        speed = speedups(base, max(3, repeat))
    print(f"acbuild bench, {datetime.date.today()}, {platform.node()}: "
          f"{os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}; "
          f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(render(table(figs, launch, speed, sizes, shapes)))
    print("\nissue 12 (ratios of wall times measured in this run):")
    print(render(issue_table(figs, pipe, sizes, shapes)))


if __name__ == "__main__":
    main()
