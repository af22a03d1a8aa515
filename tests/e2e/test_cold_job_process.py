"""A job process made cheaper (issue 12, item 5) keeps what it promised: Ctrl-C reaches
the method as KeyboardInterrupt, the job dies with its launcher (its parent-death signal
is SIGKILL), and post.json holds the bytes ``json.dumps`` would write (ASCII, its
separators), for a finished job and for a failed one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Project

_FACTS = '''
import ctypes, json, os, signal

def synthesis():
    facts = {"default_handler": signal.getsignal(signal.SIGINT) is signal.default_int_handler}
    try:
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(100):  # a loop's jump runs the handler, at once
            pass
        facts["interrupted"] = False
    except KeyboardInterrupt:
        facts["interrupted"] = True
    found = ctypes.c_int(-1)
    ctypes.CDLL(None).prctl(2, ctypes.byref(found))  # PR_GET_PDEATHSIG
    facts["death_signal"] = found.value
    with open("facts.json", "w") as f:
        json.dump(facts, f)
'''


def _job_dir(project: Project, report: dict[str, Any], method: str) -> Path:
    (job,) = [j for j in report["jobs"] if j["method"] == method]
    return project.workdir / job["id"]


def test_a_job_process_takes_ctrl_c_and_dies_with_its_launcher(project: Project) -> None:
    project.method("facts", _FACTS)
    project.script('def main(urd):\n    urd.build("facts")\n')
    report = project.run_json()
    facts = json.loads((_job_dir(project, report, "facts") / "facts.json").read_text())
    assert facts == {"default_handler": True, "interrupted": True, "death_signal": 9}


def test_post_json_is_what_json_dumps_writes(project: Project) -> None:
    project.method("fine", 'options = {"n": 0}\n\ndef synthesis():\n    return 1\n')
    project.method("fails", 'def synthesis():\n'
                            '    raise ValueError("caf\\u00e9 \\"quoted\\"\\nand a tab\\t, \\u2603")\n')
    project.script('def main(urd):\n    urd.build("fine", n=1)\n    urd.build("fails")\n')
    report = project.run_json("--keep-going", check=1)
    fine = _job_dir(project, report, "fine") / "post.json"
    (failed,) = (project.workdir / ".failed").iterdir()
    for path in (fine, failed / "post.json"):
        raw = path.read_bytes()
        post = json.loads(raw)
        assert raw == (json.dumps(post) + "\n").encode(), path
        assert raw.isascii()
    assert json.loads(fine.read_bytes())["status"] == "ok"
    error = json.loads((failed / "post.json").read_bytes())["error"]
    assert error["message"] == 'caf\u00e9 "quoted"\nand a tab\t, \u2603'
    assert error["type"] == "ValueError" and error["phase"] == "synthesis"


def test_setup_json_is_written_whole_as_a_plain_file(project: Project) -> None:
    """The parent writes setup.json with plain system calls: the same text (one item a
    line), a regular file of the usual mode, and the job reads it."""
    import os
    import stat

    from acbuild.jobrecords import setup_text

    project.method("fine", 'options = {"n": 0}\n\ndef synthesis(options):\n'
                           '    return options.n\n')
    project.script('def main(urd):\n    urd.build("fine", n=7)\n')
    report = project.run_json()
    path = _job_dir(project, report, "fine") / "setup.json"
    text = path.read_text()
    assert text == setup_text(json.loads(text))
    assert json.loads(text)["options"] == {"n": 7}
    umask = os.umask(0)
    os.umask(umask)
    st = path.lstat()
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o666 & ~umask
