"""Looking back at a job: ``job.output(part)``, ``params`` / ``job.params``, ``with
status()`` in a failed job's report, and the error a build script catches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from acbuild import statusmsg
from acbuild.console import _said
from conftest import SRC, Project

PRINTER = '''
options = {"n": 3}

def prepare(params):
\tprint("prepare says", params.options.n, params.method)

def analysis(sliceno, params):
\tprint("slice", sliceno, "of", params.slices)

def synthesis(job):
\tprint("synthesis says", job.params.options.n)
\treturn job.output("prepare")
'''

READER = '''
jobs = ("src",)

def synthesis(jobs):
\tsrc = jobs.src
\treturn {"prepare": src.output("prepare"), "slice1": src.output(1),
\t        "analysis": src.output("analysis"), "synthesis": src.output("synthesis"),
\t        "all": src.output(), "n": src.params.options.n, "id": src.params.id}
'''


def test_output_and_params_on_the_job_inputs_and_in_the_script(project: Project) -> None:
    project.method("printer", PRINTER)
    project.method("reader", READER)
    project.script('''
        def main(urd):
            src = urd.build("printer", n=5)
            got = urd.build("reader", src=src).load()
            print("GOT", repr(got))
            print("SCRIPT", repr(src.output("synthesis")), src.params.options.n,
                  src.params.method)
    ''')
    out = project.acbuild("run").stdout
    got = eval(next(line for line in out.splitlines() if line.startswith("GOT "))[4:])
    printer_id = got.pop("id")
    assert printer_id.startswith("printer-")
    assert got == {
        "prepare": "prepare says 5 printer\n",
        "slice1": "slice 1 of 2\n",
        "analysis": "slice 0 of 2\nslice 1 of 2\n",
        "synthesis": "synthesis says 5\n",
        "all": "prepare says 5 printer\nslice 0 of 2\nslice 1 of 2\nsynthesis says 5\n",
        "n": 5,
    }
    assert "SCRIPT 'synthesis says 5\\n' 5 printer" in out
    # the job's own output while it runs: prepare's, read in synthesis, is its result
    job_dir = project.workdir / printer_id
    assert json.loads((job_dir / "setup.json").read_text())["options"] == {"n": 5}


FAILER = '''
from acbuild import status

options = dict(die_in=str, status1=str, status2=str)

def die_here():
\twith status(options.status1):
\t\tif options.status2:
\t\t\twith status(options.status2):
\t\t\t\t1/0
\t\telse:
\t\t\t1/0

def prepare():
\tif options.die_in == "prepare":
\t\tdie_here()

def analysis(sliceno):
\tif options.die_in == "analysis" and sliceno == 1:
\t\tdie_here()

def synthesis():
\twith status("fine, and done before the error"):
\t\tpass
\tif options.die_in == "synthesis":
\t\tdie_here()
'''


def test_a_failed_jobs_report_says_the_status_when_the_error_happened(
        project: Project) -> None:
    project.method("failer", FAILER)
    for where, status1, status2, want in (
        ("prepare", "reading", None, "reading"),
        ("analysis", "outer", "inner", "outer › inner"),
        ("synthesis", "only", None, "only"),
    ):
        project.script(f'''
            def main(urd):
                urd.build("failer", die_in={where!r}, status1={status1!r}, status2={status2!r})
        ''')
        proc = project.acbuild("run", check=1)
        assert f"status when the error happened: {want}\n" in proc.stderr, proc.stderr
        assert "ZeroDivisionError" in proc.stderr
        assert "fine, and done" not in proc.stderr
        kept = next(line.split("kept in ", 1)[1] for line in proc.stderr.splitlines()
                    if "its directory is kept in " in line)
        error = json.loads((Path(kept) / "post.json").read_text())["error"]
        assert error["phase"] == where and error["status"] == want.split(" › ")
        shown = project.acbuild("show", kept).stdout
        assert f"status when the error happened: {want}" in shown
        shown_json = json.loads(project.acbuild("show", "--json", kept).stdout)
        assert shown_json["error"]["status"] == want.split(" › ")


def test_the_script_catches_a_failed_job_with_its_job_phase_and_error(
        project: Project) -> None:
    project.method("failer", FAILER)
    project.script('''
        from acbuild import JobError

        def main(urd):
            bad = urd.build("failer", die_in="analysis", status1="counting")
            try:
                bad.load()
            except JobError as e:
                print("CAUGHT", e.job is bad, e.job.id == bad.id, e.phase, e.sliceno,
                      repr(e.error), e.status)
                print("MSG", e.format_msg().replace(chr(10), " | "))
    ''')
    proc = project.acbuild("run", check=1)
    assert ("CAUGHT True True analysis 1 'ZeroDivisionError: division by zero' "
            "('counting',)") in proc.stdout
    assert ("MSG job failer-" in proc.stdout and "failed in analysis slice 1: "
            "ZeroDivisionError: division by zero | status when the error happened: counting"
            in proc.stdout)


def test_an_uncaught_failed_job_stops_the_script_at_its_line(project: Project) -> None:
    project.method("failer", FAILER)
    project.script('''
        def main(urd):
            bad = urd.build("failer", die_in="prepare", status1="x")
            bad.load()
    ''')
    proc = project.acbuild("run", check=1)
    assert "build.py:3" in proc.stderr
    assert "which failed in prepare: ZeroDivisionError: division by zero" in proc.stderr


WAITER = '''
import os, time
from acbuild import status

options = {"flags": str}

def analysis(sliceno):
\twith status("counting"):
\t\tpass

def prepare():
\twith status("outer"):
\t\twith status("inner") as update:
\t\t\tupdate("inner, waiting")
\t\t\topen(os.path.join(options.flags, "ready"), "w").close()
\t\t\tdeadline = time.monotonic() + 60
\t\t\twhile not os.path.exists(os.path.join(options.flags, "go")):
\t\t\t\tassert time.monotonic() < deadline, "never told to go"
\t\t\t\ttime.sleep(0.02)
\treturn "done"
'''


def test_a_running_job_says_its_status_where_the_live_display_reads_it(
        project: Project, tmp_path: Path) -> None:
    flags = tmp_path / "flags"
    flags.mkdir()
    project.method("waiter", WAITER)
    project.script(f'def main(urd):\n    urd.build("waiter", flags={str(flags)!r})\n')
    env = {**os.environ, "ACBUILD_PLAIN": "1", "PYTHONPATH": str(SRC)}
    run = subprocess.Popen([sys.executable, "-m", "acbuild", "run"], cwd=project.root, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (flags / "ready").exists():
            assert time.monotonic() < deadline and run.poll() is None, run.communicate()
            time.sleep(0.02)
        (staging,) = [p for p in (project.workdir / ".tmp").iterdir() if p.is_dir()]
        assert statusmsg.read(staging) == "outer › inner, waiting"
        assert "outer › inner, waiting" in _said(str(staging))
    finally:
        (flags / "go").touch()
        out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    (job_dir,) = [p for p in project.workdir.iterdir() if p.name.startswith("waiter-")]
    assert not (job_dir / statusmsg.STATUS_FILE).exists()  # a finished job says nothing
    assert not list(job_dir.glob("slice-logs/*.status"))
    assert statusmsg.STATUS_FILE not in json.loads((job_dir / "post.json").read_text())["files"]


def test_the_script_catches_a_job_not_built_because_its_input_failed(
        project: Project) -> None:
    project.method("failer", FAILER)
    project.method("after", 'jobs = ("src",)\n\ndef synthesis(jobs):\n    return 1\n')
    project.script('''
        from acbuild import JobError

        def main(urd):
            bad = urd.build("failer", die_in="synthesis", status1="s")
            after = urd.build("after", src=bad)
            try:
                after.load()
            except JobError as e:
                print("CAUGHT", e.job is after, e.phase, e.error)
    ''')
    proc = project.acbuild("run", "--keep-going", check=1)
    line = next(line for line in proc.stdout.splitlines() if line.startswith("CAUGHT"))
    assert line.startswith("CAUGHT True None input failer-") and line.endswith(" failed")
