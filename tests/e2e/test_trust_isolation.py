"""A job cannot damage another job, its siblings or the run, whatever its method does to
its current directory, its links, its stdout or its own directory; each part's output
(prepare, each slice, synthesis) stays its own."""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import Project, assert_sound

# A job that waits, while running, until the process whose pid is in ``pidfile`` (written
# whole, by a rename) has ended and been reaped: so it is surely running while that process
# misbehaves and ends.
SIBLING = '''
import os, time

options = {"pidfile": "", "tag": ""}

def synthesis(options):
    deadline = time.monotonic() + 30
    while not os.path.exists(options.pidfile) and time.monotonic() < deadline:
        time.sleep(0.01)
    with open(options.pidfile) as f:
        pid = int(f.read())
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    time.sleep(0.2)  # its end has been handled by now
    return "sibling " + options.tag
'''


def result(job_dir: Path) -> object:
    return pickle.loads((job_dir / "result.pickle").read_bytes())


def files_of(job_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(job_dir).as_posix(): p.read_bytes()
            for p in sorted(job_dir.rglob("*")) if p.is_file()}


def by_method(report: dict) -> dict[str, dict]:
    return {job["method"]: job for job in report["jobs"]}


# -- item 1: the job's records land in its own directory, wherever its method went ----------
@pytest.mark.parametrize("where", ["the input job", "outside the work directory"])
def test_a_method_that_changes_directory_damages_nothing(project: Project, where: str) -> None:
    outside = project.root / "outside"
    outside.mkdir(parents=True)
    target = "jobs.src.path" if where == "the input job" else repr(str(outside))
    project.method("src", '''
        def synthesis(job):
            with job.open("data.txt", "w") as f:
                f.write("the input's data")
            return {"from": "src"}
    ''')
    project.method("wander", f'''
        import os

        jobs = ("src",)

        def prepare(jobs):
            os.chdir({target})

        def analysis(sliceno, jobs):
            os.chdir({target})
            return sliceno

        def synthesis(job, jobs, analysis_res):
            os.chdir({target})
            with job.open("mine.txt", "w") as f:
                f.write("mine")
            return {{"from": "wander", "slices": list(analysis_res)}}
    ''')
    project.method("use", 'jobs = ("w",)\n\ndef synthesis(jobs):\n    return jobs.w.load()\n')
    project.script('''
        def main(urd):
            src = urd.build("src")
            urd.build("use", w=urd.build("wander", src=src))
    ''')
    first = by_method(project.run_json())
    src_dir = project.workdir / first["src"]["id"]
    src_files = files_of(src_dir)
    assert result(src_dir) == {"from": "src"}
    assert set(src_files) == {"setup.json", "post.json", "stdout.log", "stderr.log",
                              "result.pickle", "data.txt"} | {
        f for f in src_files if f.startswith("source/")}
    wander_dir = project.workdir / first["wander"]["id"]
    assert result(wander_dir) == {"from": "wander", "slices": [0, 1]}
    assert (wander_dir / "mine.txt").read_text() == "mine"
    assert json.loads((wander_dir / "post.json").read_text())["status"] == "ok"
    assert result(project.workdir / first["use"]["id"]) == {"from": "wander", "slices": [0, 1]}
    assert list(outside.iterdir()) == []
    # Nothing was damaged: the next run reuses all three, and verify finds every file as
    # its job wrote it.
    again = by_method(project.run_json())
    assert {job["state"] for job in again.values()} == {"reused"}
    assert files_of(src_dir) == src_files
    project.acbuild("verify")
    assert_sound(project.workdir)


def test_a_link_to_itself_does_not_reach_acbuilds_records(project: Project) -> None:
    project.method("selfish", '''
        import os

        def synthesis(job):
            os.symlink(".", "self")
            refused = []
            for name in ("self/post.json", "self/result.pickle", "self/setup.json"):
                try:
                    job.open(name, "w").write("overwritten")
                except (ValueError, PermissionError) as e:
                    refused.append(str(e))
            # A link where acbuild writes its record: replaced, never written through.
            os.symlink("setup.json", "post.json")
            return refused
    ''')
    project.script('def main(urd):\n    urd.build("selfish")\n')
    job = by_method(project.run_json())["selfish"]
    job_dir = project.workdir / job["id"]
    refused = result(job_dir)
    assert len(refused) == 3 and all("through the link 'self'" in r for r in refused)
    assert not (job_dir / "post.json").is_symlink()
    assert json.loads((job_dir / "post.json").read_text())["status"] == "ok"
    assert json.loads((job_dir / "setup.json").read_text())["id"] == job["id"]
    project.acbuild("verify")


def test_a_link_swapped_while_writing_never_leads_into_another_job(project: Project) -> None:
    """A thread swaps a name between a directory of the job and a link to the input job,
    as fast as it can, while the method writes through that name (bounded in count and
    time): no write lands in the input job."""
    project.method("src", 'def synthesis():\n    return "src"\n')
    project.method("racer", '''
        import os, sys, threading, time

        jobs = ("src",)

        def synthesis(job, jobs):
            os.mkdir("real")
            stop = threading.Event()

            def swap():
                while not stop.is_set():
                    os.symlink(str(jobs.src.path), "flip.new")
                    os.replace("flip.new", "flip")
                    os.rename("flip", "flip.old")
                    os.symlink("real", "flip.new")
                    os.unlink("flip.old")
                    os.unlink("flip.new")
                    os.rename("real", "flip")
                    os.rename("flip", "real")

            sys.setswitchinterval(1e-6)  # the two threads take turns as often as they can
            thread = threading.Thread(target=swap)
            thread.start()
            written = refused = 0
            deadline = time.monotonic() + 3
            try:
                for i in range(3000):
                    if time.monotonic() > deadline:
                        break
                    try:
                        with job.open(f"flip/x{i}.txt", "w") as f:
                            f.write("x")
                        written += 1
                    except (ValueError, OSError):
                        refused += 1
            finally:
                stop.set()
                thread.join()
            return written, refused
    ''')
    project.script('def main(urd):\n    urd.build("racer", src=urd.build("src"))\n')
    report = by_method(project.run_json())
    src_dir = project.workdir / report["src"]["id"]
    written, refused = result(project.workdir / report["racer"]["id"])
    assert written + refused > 0
    assert not [p for p in src_dir.iterdir() if p.name.startswith("x")]
    project.acbuild("verify")


# -- item 2: a misbehaving job fails alone, and the others finish ---------------------------
BROKEN_STDOUT = {
    # name: (what the method does, the job's state afterwards)
    "closes sys.stdout and prints": ("sys.stdout.close(); print('after')", "failed"),
    "closes fd 1 and prints": ("os.close(1); print('after', flush=True)", "failed"),
    "writes to /dev/full": ("os.dup2(os.open('/dev/full', os.O_WRONLY), 1); "
                            "print('x', flush=True)", "failed"),
    "closes sys.stdout and stderr and returns": (
        "sys.stdout.close(); sys.stderr.close()", "built"),
}


def bad_beside_a_sibling(project: Project, imports: str, parameters: str, act: str) -> None:
    """A method "bad" that says its pid (in bad.pid, written whole), then does ``act``, and
    a "sibling" job that waits until bad's process is gone; a script that builds both."""
    pidfile = project.root / "bad.pid"
    project.method("sibling", SIBLING)
    project.method("bad", f'''
        import {imports}

        def synthesis({parameters}):
            with open({str(pidfile)!r} + ".new", "w") as f:
                f.write(str(os.getpid()))
            os.replace({str(pidfile)!r} + ".new", {str(pidfile)!r})
            {act}
            return "bad"
    ''')
    project.script(f'''
        def main(urd):
            urd.build("sibling", pidfile={str(pidfile)!r}, tag="one")
            urd.build("bad")
    ''')


@pytest.mark.parametrize("case", sorted(BROKEN_STDOUT))
def test_a_job_that_breaks_its_stdout_fails_alone(project: Project, case: str) -> None:
    body, state = BROKEN_STDOUT[case]
    bad_beside_a_sibling(project, "os, sys", "", body)
    proc = project.acbuild("run", "--json", "-j", "2", check=None)
    report = by_method(json.loads(proc.stdout))
    assert report["sibling"]["state"] == "built"
    assert result(project.workdir / report["sibling"]["id"]) == "sibling one"
    assert report["bad"]["state"] == state
    if state == "failed":
        assert proc.returncode == 1
        human = project.acbuild("run", "-j", "2", check=1)
        assert re.search(rf"{report['bad']['id']}.* in synthesis: ", human.stderr)
    else:
        assert proc.returncode == 0
        assert result(project.workdir / report["bad"]["id"]) == "bad"
    assert_sound(project.workdir)


@pytest.mark.parametrize("how", ["removes", "renames"])
def test_a_job_that_removes_its_own_directory_fails_alone(project: Project, how: str) -> None:
    act = ("shutil.rmtree(job.path)" if how == "removes"
           else "os.rename(job.path, str(job.path) + '.moved')")
    bad_beside_a_sibling(project, "os, shutil", "job", act)
    proc = project.acbuild("run", "-j", "2", check=1)
    assert "Traceback" not in proc.stdout + proc.stderr
    bad = next(line for line in proc.stderr.splitlines() if "bad-" in line)
    assert "its directory" in bad and ("removed or moved" in bad)
    report = by_method(project.status_json())
    assert report["sibling"]["state"] == "cached"
    assert report["bad"]["state"] == "stale"
    sibling = next(p for p in project.workdir.iterdir() if p.name.startswith("sibling-"))
    assert result(sibling) == "sibling one"
    assert_sound(project.workdir)


def test_a_job_that_makes_its_own_directory_unreadable_fails_alone(tmp_path: Path) -> None:
    """As an unprivileged user (root reads everything, whatever the mode)."""
    from test_workdirs import NOBODY, _as_nobody, _python_for_nobody

    python = _python_for_nobody()
    base = Path(tempfile.mkdtemp(prefix="acbuild-nobody-"))
    try:
        os.chmod(base, 0o755)
        project = Project(base / "proj")
        pidfile = project.root / "bad.pid"
        project.method("sibling", SIBLING)
        project.method("bad", f'''
            import os

            def synthesis(job):
                with open({str(pidfile)!r} + ".new", "w") as f:
                    f.write(str(os.getpid()))
                os.replace({str(pidfile)!r} + ".new", {str(pidfile)!r})
                os.chmod(job.path, 0)
        ''')
        project.script(f'''
            def main(urd):
                urd.build("sibling", pidfile={str(pidfile)!r}, tag="one")
                urd.build("bad")
        ''')
        subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(project.root)], check=True)
        proc = _as_nobody(python, project.root, "run", "-j", "2")
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
        bad = next(line for line in proc.stderr.splitlines() if "bad-" in line)
        assert "its directory was made unreadable" in bad
        sibling = next(p for p in project.workdir.iterdir() if p.name.startswith("sibling-"))
        assert result(sibling) == "sibling one"
        kept = list((project.workdir / ".failed").iterdir())
        assert len(kept) == 1 and (kept[0] / "setup.json").is_file()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_process_the_method_forks_is_not_the_job(project: Project) -> None:
    """A careless ``os.fork()`` whose child returns from the phase function: the child ends
    there; the job's result and records are its own process's."""
    project.method("forker", """
        import os

        def forked(value):
            pid = os.fork()
            if pid == 0:
                return "the forked child"
            os.waitpid(pid, 0)
            return value

        def analysis(sliceno):
            return forked(sliceno)

        def synthesis(analysis_res):
            return forked(list(analysis_res))
    """)
    project.script('def main(urd):\n    urd.build("forker")\n')
    job = by_method(project.run_json("-j", "2"))["forker"]
    assert result(project.workdir / job["id"]) == [0, 1]


def test_a_slice_that_closes_stdout_harms_no_sibling_slice(project: Project) -> None:
    """Slice 1 closes its stdout and returns, while slice 0 is still running: the job is
    built, with both slices' results."""
    pidfile = project.root / "slice1.pid"
    project.method("sliced", f'''
        import os, sys, time

        def analysis(sliceno):
            if sliceno == 1:
                with open({str(pidfile)!r} + ".new", "w") as f:
                    f.write(str(os.getpid()))
                os.replace({str(pidfile)!r} + ".new", {str(pidfile)!r})
                sys.stdout.close()
                return 1
            deadline = time.monotonic() + 30
            while not os.path.exists({str(pidfile)!r}) and time.monotonic() < deadline:
                time.sleep(0.01)
            pid = int(open({str(pidfile)!r}).read())
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)  # a zombie until the job reaps it: it is done by then
                    time.sleep(0.01)
                except ProcessLookupError:
                    break
            return 0

        def synthesis(analysis_res):
            return list(analysis_res)
    ''')
    project.script('def main(urd):\n    urd.build("sliced")\n')
    job = by_method(project.run_json("-j", "2"))["sliced"]
    assert result(project.workdir / job["id"]) == [0, 1]


def test_a_slice_that_breaks_its_stdout_is_the_one_blamed(project: Project) -> None:
    project.method("sliced", '''
        import sys, time

        def analysis(sliceno):
            if sliceno == 1:
                sys.stdout.close()
                print("after")
            time.sleep(0.5)
            return sliceno

        def synthesis(analysis_res):
            return list(analysis_res)
    ''')
    project.script('def main(urd):\n    urd.build("sliced")\n')
    proc = project.acbuild("run", "-j", "2", check=1)
    assert " in analysis slice 1: " in proc.stderr
    assert "slice 0" not in proc.stderr
    assert "I/O operation on closed file" in proc.stderr


# -- item 12: each part's output is its own -------------------------------------------------
CHATTY = '''
import sys, time

def prepare():
    print("prepare says hello")

def analysis(sliceno):
    for i in range(20):
        print(f"slice {sliceno} line {i}", flush=True)
        print(f"slice {sliceno} warns {i}", file=sys.stderr, flush=True)
        time.sleep(0.005)
    return sliceno

def synthesis():
    print("synthesis says goodbye")
'''


def test_each_parts_output_is_recoverable_on_its_own(project: Project) -> None:
    project.write("acbuild.toml", 'methods = ["methods"]\nslices = 3\n')
    project.method("chatty", CHATTY)
    project.method("reader", '''
        from acbuild.joblog import read_output

        jobs = ("chatty",)

        def synthesis(jobs):
            path = jobs.chatty.path
            return {part: read_output(path, part)
                    for part in (None, "prepare", "analysis", 0, 1, 2, "synthesis")} | {
                "stderr 2": read_output(path, 2, "stderr")}
    ''')
    project.script('def main(urd):\n    urd.build("reader", chatty=urd.build("chatty"))\n')
    streamed = project.acbuild("run", "-v", "-j", "3").stdout
    report = by_method(project.status_json())
    chatty_id = report["chatty"]["id"]
    outputs = result(project.workdir / report["reader"]["id"])

    def lines(n: int, what: str = "line") -> str:
        return "".join(f"slice {n} {what} {i}\n" for i in range(20))

    assert outputs["prepare"] == "prepare says hello\n"
    assert outputs["synthesis"] == "synthesis says goodbye\n"
    assert [outputs[n] for n in range(3)] == [lines(0), lines(1), lines(2)]
    assert outputs["stderr 2"] == lines(2, "warns")
    assert outputs["analysis"] == lines(0) + lines(1) + lines(2)
    assert outputs[None] == ("prepare says hello\n" + lines(0) + lines(1) + lines(2)
                             + "synthesis says goodbye\n")
    # acbuild show --log: the whole log, each part after its marker, slices in order.
    log = project.acbuild("show", "--log", chatty_id).stdout
    out = log.split("==> stderr.log <==")[0]
    expected = ["--- acbuild: prepare ---", "prepare says hello", "--- acbuild: analysis ---"]
    for n in range(3):
        expected += [f"--- acbuild: analysis slice {n} ---", *lines(n).splitlines()]
    expected += ["--- acbuild: synthesis ---", "synthesis says goodbye"]
    assert [line for line in out.strip().splitlines()[1:] if "load" not in line] == expected
    # run -v streamed every line of every part, markers left out.
    mine = [line.split("| ", 1)[1] for line in streamed.splitlines()
            if line.startswith(f"{chatty_id}| ")]
    assert sorted(mine) == sorted(outputs[None].splitlines()
                                  + [f"slice {n} warns {i}" for n in range(3) for i in range(20)])
    assert not [line for line in mine if line.startswith("--- acbuild:")]
    shown = json.loads(project.acbuild("show", "--json", chatty_id).stdout)
    assert "synthesis says goodbye" in shown["log_tail"]
    project.acbuild("verify")  # the slices' logs are acbuild's records, not the job's files
