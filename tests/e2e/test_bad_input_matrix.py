"""The bad-input matrix: every way a user can hand acbuild something wrong.

Each case runs the real command on a copy of a project that already holds a finished
job. Each must give one clear message (no raw traceback), its documented exit status,
and lose nothing: the finished job, its row and its files are as they were, and no
directory is left half-built.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import Project, db_rows, finished_dirs, staging_leftovers

TYPED = '''
from datetime import date, datetime, time, timedelta
from pathlib import Path

from acbuild import Required
from acbuild.options import Choice

options = {"f": 0.5, "i": 3, "s": "", "b": True, "l": [], "d": {}, "ls": [str],
           "dsi": {str: int}, "day": date(2020, 1, 1), "when": datetime(2020, 1, 1),
           "at": time(1), "span": timedelta(1), "p": Path("a"), "it": int, "any": None,
           "req": Required(int), "ch": Choice("a", "b")}

def synthesis():
    pass
'''
GOOD = 'options = {"count": 1}\n\ndef synthesis(options):\n    return options.count\n'
GOOD_SCRIPT = 'def main(urd):\n    urd.build("good")\n'


def script(*lines: str) -> dict[str, str]:
    return {"build.py": "def main(urd):\n    urd.build('good')\n"
                        + "".join(f"    {line}\n" for line in lines)}


def method(text: str, name: str = "m", call: str = "urd.build('m')") -> dict[str, str]:
    return {f"methods/{name}.py": text, **script(call)}


def typed(call: str) -> dict[str, str]:
    return {"methods/typed.py": TYPED, **script(f"urd.build('typed', {call})")}


@dataclass(frozen=True)
class Case:
    files: dict[str, str] = field(default_factory=dict)  # written over the project
    args: tuple[str, ...] = ("run",)
    status: int = 2
    needles: tuple[str, ...] = ()
    breaks: Callable[[Path], None] | None = None  # does to the project what files cannot
    db_intact: bool = True  # the case itself breaks the database
    job_fails: bool = False


def _first_job(root: Path) -> Path:
    return next(p for p in (root / "workdirs/dev").iterdir() if p.name.startswith("good-"))


def _write(relpath: str, data: bytes) -> Callable[[Path], None]:
    def breaks(root: Path) -> None:
        path = root / relpath if not relpath.startswith("JOB/") else \
            _first_job(root) / relpath[4:]
        path.write_bytes(data)
    return breaks


def _newer_schema(root: Path) -> None:
    conn = sqlite3.connect(root / "workdirs/dev/acbuild.db")
    conn.execute("PRAGMA user_version = 99")
    conn.close()


CASES: dict[str, Case] = {
    # -- build scripts ---------------------------------------------------------------------
    "script/unknown method": Case(script("urd.build('nosuch')"),
                                  needles=("unknown method 'nosuch'", "build.py:3")),
    "script/misspelt option": Case(script("urd.build('good', cuont=2)"),
                                   needles=("has no option or input 'cuont'",
                                            "did you mean 'count'")),
    "script/syntax error": Case({"build.py": "def main(urd):\n    urd.build('good'\n"},
                                needles=("syntax error", "build.py:")),
    "script/raises": Case(script("1 / 0"), needles=("ZeroDivisionError", "build.py:3")),
    "script/no main": Case({"build.py": "x = 1\n"}, needles=("must define main(urd)",)),
    "script/main not callable": Case({"build.py": "main = 3\n"},
                                     needles=("must define main(urd)",)),
    "script/sys.exit in main": Case(script("import sys; sys.exit(3)"),
                                    needles=("SystemExit: 3", "build.py:3")),
    "script/sys.exit at top level": Case({"build.py": "import sys\nsys.exit(0)\n"},
                                         needles=("SystemExit: 0", "build.py:2")),
    "script/imports a missing module": Case({"build.py": "import nosuch_xyz\n"},
                                            needles=("nosuch_xyz", "build.py:1")),
    "script/input not a job": Case(method('jobs = ("a",)\n\ndef synthesis():\n    pass\n',
                                          call="urd.build('m', a='x')"),
                                   needles=("input 'a' must be a job from urd.build",)),
    "script/label names two jobs": Case(script("urd.build('good', count=2, name='x')",
                                               "urd.build('good', count=3, name='x')"),
                                        needles=("label 'x' names two different jobs",)),
    "script/parameter clash": Case(method('options = {"force": 1}\n\ndef synthesis():\n'
                                          '    pass\n', call="urd.build('m', force=True)"),
                                   needles=("both a parameter of urd.build and an option",)),
    "script/missing": Case(args=("run", "nosuch.py"), needles=("nosuch.py", "does not exist")),
    "script/a directory": Case(args=("run", "methods"), needles=("methods",)),
    "script/reads a result that failed": Case(
        {"methods/bad.py": "def synthesis():\n    raise ValueError('no')\n",
         **script("urd.build('bad').load()")}, status=1, job_fails=True,
        needles=("ValueError: no", "needs the result of bad-", "build.py:3")),
    # -- methods ---------------------------------------------------------------------------
    "method/syntax error": Case(method("def synthesis(:\n    pass\n"),
                                needles=("methods/m.py:1", "syntax error")),
    "method/import error": Case(method("import nosuch_xyz\n"), needles=("nosuch_xyz",)),
    "method/raises on import": Case(method("raise ValueError('at import')\n"),
                                    needles=("ValueError: at import", "methods/m.py:1")),
    "method/sys.exit on import": Case(method("import sys\nsys.exit(4)\n"),
                                      needles=("SystemExit: 4", "methods/m.py:2")),
    "method/broken helper": Case({"methods/_util.py": "def f(:\n",
                                  **method("import _util\n\ndef synthesis():\n    pass\n")},
                                 needles=("_util.py:1",)),
    "method/missing helper": Case(method("import _nosuch\n\ndef synthesis():\n    pass\n"),
                                  needles=("_nosuch",)),
    "method/no phase": Case(method("x = 1\n"), needles=("defines none of prepare",)),
    "method/unknown phase parameter": Case(method("def synthesis(jobz):\n    pass\n"),
                                           needles=("'jobz'",)),
    "method/options not a dict": Case(method("options = 5\n\ndef synthesis():\n    pass\n"),
                                      needles=("options", "dict")),
    "method/option declaration": Case(method("options = {'x': object()}\n\n"
                                             "def synthesis():\n    pass\n"),
                                      needles=("option 'x' has an invalid declaration",)),
    "method/typed list of two": Case(method("options = {'x': [int, str]}\n\n"
                                            "def synthesis():\n    pass\n"),
                                     needles=("one element type",)),
    "method/option name not str": Case(method("options = {1: int}\n\n"
                                              "def synthesis():\n    pass\n"),
                                       needles=("option names are str",)),
    "method/jobs not names": Case(method("jobs = ('a b',)\n\ndef synthesis():\n    pass\n"),
                                  needles=("'jobs' must be a tuple of names",)),
    "method/option and input": Case(method("options = {'a': 1}\njobs = ('a',)\n\n"
                                           "def synthesis():\n    pass\n"),
                                    needles=("both an option and an input",)),
    "method/depend_extra missing": Case(method("depend_extra = ('nosuch.json',)\n\n"
                                               "def synthesis():\n    pass\n"),
                                        needles=("nosuch.json",)),
    "method/equivalent_hashes": Case(method("equivalent_hashes = 5\n\n"
                                            "def synthesis():\n    pass\n"),
                                     needles=("equivalent_hashes",)),
    # -- options: every type rule ----------------------------------------------------------
    "option/str for float": Case(typed("req=1, f='x'"), needles=("'f' expects float",)),
    "option/nan for float": Case(typed("req=1, f=float('nan')"), needles=("finite float",)),
    "option/float for int": Case(typed("req=1, i=7.9"), needles=("'i' expects int, got float",)),
    "option/bool for int": Case(typed("req=1, i=True"), needles=("expects int, got bool",)),
    "option/str for int": Case(typed("req=1, i='7'"), needles=("expects int, got str",)),
    "option/int for str": Case(typed("req=1, s=3"), needles=("'s' expects str, got int",)),
    "option/str for bool": Case(typed("req=1, b='false'"), needles=("expects bool, got str",)),
    "option/int for bool": Case(typed("req=1, b=1"), needles=("expects bool, got int",)),
    "option/str for list": Case(typed("req=1, l='abc'"), needles=("expects list, got str",)),
    "option/list for dict": Case(typed("req=1, d=[1]"), needles=("expects dict, got list",)),
    "option/typed list item": Case(typed("req=1, ls=['a', 3]"),
                                   needles=("'ls'[1] expects str, got int",)),
    "option/typed dict value": Case(typed("req=1, dsi={'a': 'b'}"),
                                    needles=("'dsi'['a'] expects int",)),
    "option/typed dict key": Case(typed("req=1, dsi={1: 2}"), needles=("expects str keys",)),
    "option/bad ISO date": Case(typed("req=1, day='2024-13-01'"),
                                needles=("'day' expects date or an ISO date string",)),
    "option/int for date": Case(typed("req=1, day=5"), needles=("'day' expects date",)),
    "option/bad datetime": Case(typed("req=1, when='noon'"), needles=("'when' expects datetime",)),
    "option/bad time": Case(typed("req=1, at='25:00'"), needles=("'at' expects time",)),
    "option/str for timedelta": Case(typed("req=1, span='1 day'"),
                                     needles=("'span' expects timedelta",)),
    "option/int for Path": Case(typed("req=1, p=3"), needles=("'p' expects Path, got int",)),
    "option/str for int type": Case(typed("req=1, it='x'"), needles=("'it' expects int",)),
    "option/not JSON": Case(typed("req=1, any=object()"), needles=("'any'", "JSON value")),
    "option/non-str JSON key": Case(typed("req=1, any={1: 'a'}"), needles=("'any'",)),
    "option/required missing": Case(typed(""), needles=("option 'req' is required (int)",)),
    "option/required None": Case(typed("req=None"), needles=("'req' expects int, got None",)),
    "option/not a choice": Case(typed("req=1, ch='c'"), needles=("expects one of 'a', 'b'",)),
    "option/unknown": Case(typed("req=1, zz=1"), needles=("has no option or input 'zz'",)),
    # -- configuration ---------------------------------------------------------------------
    "config/not TOML": Case({"acbuild.toml": "methods = [\n"},
                            needles=("acbuild.toml", "not valid TOML")),
    "config/unknown key": Case({"acbuild.toml": 'methods = ["methods"]\nslicez = 2\n'},
                               needles=("acbuild.toml", "slicez")),
    "config/methods not a list": Case({"acbuild.toml": 'methods = "methods"\n'},
                                      needles=("acbuild.toml", "methods")),
    "config/slices a str": Case({"acbuild.toml": 'slices = "2"\n'},
                                needles=("acbuild.toml", "slices")),
    "config/slices 0": Case({"acbuild.toml": "slices = 0\n"},
                            needles=("'slices' must be at least 1",)),
    "config/keep_runs negative": Case({"acbuild.toml": "keep_runs = -1\n"},
                                      needles=("'keep_runs' must not be negative",)),
    "config/target not a str": Case({"acbuild.toml": "[workdirs]\ntarget = 5\n"},
                                    needles=("acbuild.toml", "target")),
    "config/unknown workdirs key": Case({"acbuild.toml": "[workdirs]\ntargte = 'x'\n"},
                                        needles=("acbuild.toml", "targte")),
    "config/target is a file": Case({"acbuild.toml": '[workdirs]\ntarget = "build.py"\n'},
                                    needles=("build.py", "work directory")),
    # -- input files -----------------------------------------------------------------------
    "file/missing": Case(script("urd.build('good', count=urd.file('data/none.csv'))"),
                         needles=("none.csv", "does not exist", "build.py:3")),
    # -- the work directory ----------------------------------------------------------------
    "storage/corrupt database": Case(breaks=_write("workdirs/dev/acbuild.db", b"garbage" * 200),
                                     db_intact=False,
                                     needles=("acbuild.db", "doctor --rebuild")),
    "storage/newer database": Case(breaks=_newer_schema, db_intact=False,
                                   needles=("newer than this acbuild", "upgrade acbuild")),
    "storage/corrupt setup.json, show": Case(breaks=_write("JOB/setup.json", b"{not json"),
                                             args=("show", "good"),
                                             needles=("setup.json", "corrupt")),
    "storage/newer setup.json, show": Case(breaks=_write("JOB/setup.json", b'{"format": 9}'),
                                           args=("show", "good"),
                                           needles=("format 9", "upgrade acbuild")),
    "storage/corrupt setup.json, verify": Case(breaks=_write("JOB/setup.json", b"{"),
                                               args=("verify",), status=1,
                                               needles=("setup.json", "corrupt")),
    "storage/changed result, verify": Case(breaks=_write("JOB/result.pickle", b"x"),
                                           args=("verify",), status=1,
                                           needles=("result.pickle", "size")),
    "storage/corrupt post.json, doctor": Case(breaks=_write("JOB/post.json", b"{"),
                                              args=("doctor",), status=1,
                                              needles=("not-finished", "post.json")),
    # -- naming a job ----------------------------------------------------------------------
    "job/matches nothing": Case(args=("show", "nosuch"), needles=("no job matches 'nosuch'",)),
    "job/too far back": Case(args=("show", "good~3"), needles=("has 1 finished job(s)",)),
    "job/not a number back": Case(args=("show", "good~x"), needles=("after '~' comes a number",)),
    "job/verify matches nothing": Case(args=("verify", "nosuch"), needles=("no job matches",)),
    "job/force unknown method": Case(args=("run", "--force", "nosuch"),
                                     needles=("unknown method 'nosuch'",)),
    "job/gc keep unknown": Case(args=("gc", "--keep", "nosuch"), needles=("no job matches",)),
    # -- the command line ------------------------------------------------------------------
    "usage/-j 0": Case(args=("run", "-j", "0"), needles=("-j",)),
    "usage/unknown command": Case(args=("frobnicate",), needles=("frobnicate",)),
    "usage/unknown flag": Case(args=("run", "--frob"), needles=("--frob",)),
    "usage/bad age": Case(args=("gc", "--keep-newer", "5x"), needles=("is not an age",)),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = Project(tmp_path_factory.mktemp("template") / "proj")
    project.method("good", GOOD)
    project.script(GOOD_SCRIPT)
    project.acbuild("run")
    return project.root


def snapshot(root: Path) -> dict[str, str]:
    """Every file of every finished job, by content."""
    workdir = root / "workdirs/dev"
    return {str(p.relative_to(workdir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for job in sorted(finished_dirs(workdir)) for p in (workdir / job).rglob("*")
            if p.is_file()}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(template: Path, tmp_path: Path, name: str) -> None:
    case = CASES[name]
    project = Project.__new__(Project)
    project.root = tmp_path / "proj"
    shutil.copytree(template, project.root)
    for relpath, text in case.files.items():
        project.write(relpath, textwrap.dedent(text))
    if case.breaks is not None:
        case.breaks(project.root)
    before = snapshot(project.root)
    rows = db_rows(project.workdir) if case.db_intact else {}
    proc = project.acbuild(*case.args, check=case.status)
    output = proc.stdout + proc.stderr
    if not case.job_fails:  # a failed job's own traceback is the story of its failure
        assert "Traceback" not in output, output
    for needle in case.needles:
        assert needle in output, output
    if case.status == 2:
        lines = proc.stderr.splitlines()  # one message, and perhaps its hint
        assert lines[0].startswith("acbuild: error: ") or "Usage:" in proc.stderr, lines
        assert all(line.startswith("  hint: ") for line in lines[1:]) or "Usage:" in lines[0]
        assert "nothing to build" not in proc.stdout and "done:" not in proc.stdout
    # Nothing lost, nothing half-built.
    assert snapshot(project.root) == before
    if case.db_intact:
        assert db_rows(project.workdir) == rows
    assert staging_leftovers(project.workdir) == []


def test_matrix_size() -> None:
    """The README's reliability section quotes this number: the table, and the three
    cases after it that need another user, a small disk or a repair."""
    assert len(CASES) + 3 == 87


def test_a_run_an_error_stopped_is_recorded_but_claims_nothing(template: Path,
                                                                tmp_path: Path) -> None:
    root = shutil.copytree(template, tmp_path / "proj")
    (root / "build.py").write_text("def main(urd):\n    urd.build('good')\n    1 / 0\n")
    project = Project.__new__(Project)
    project.root = root
    proc = project.acbuild("run", check=2)
    assert proc.stdout == ""  # no summary: the run built and reused nothing it could use
    conn = sqlite3.connect(project.workdir / "acbuild.db")
    assert [s for (s,) in conn.execute("SELECT status FROM runs ORDER BY run")] == ["ok", "error"]
    conn.close()


# -- cases that need more than files: another user, a full disk, a repair --------------------
def test_unreadable_input_file_and_work_directory(tmp_path: Path) -> None:
    """Run as an unprivileged user (root reads everything, whatever the mode)."""
    from test_workdirs import NOBODY, _as_nobody, _python_for_nobody

    python = _python_for_nobody()
    base = Path(tempfile.mkdtemp(prefix="acbuild-nobody-"))
    try:
        os.chmod(base, 0o755)
        project = Project(base / "proj")
        project.method("good", GOOD)
        project.script("def main(urd):\n    urd.build('good', count=urd.file('data/in'))\n")
        secret = project.write("data/in/secret.csv", "1,2\n")
        subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(project.root)], check=True)
        secret.chmod(0o600)
        os.chown(secret, 0, 0)
        proc = _as_nobody(python, project.root, "run")
        assert proc.returncode == 2, proc.stderr
        assert "cannot read input file 'data/in' (" in proc.stderr
        assert "secret.csv): Permission denied" in proc.stderr and "build.py:2" in proc.stderr
        assert "Traceback" not in proc.stderr
        os.chown(project.root / "workdirs", 0, 0)  # the work directory's parent, not ours
        (project.root / "workdirs").chmod(0o755)
        shutil.rmtree(project.workdir)
        proc = _as_nobody(python, project.root, "run")
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert "cannot create the work directory: Permission denied" in proc.stderr
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_full_disk_fails_the_job_and_publishes_nothing(project: Project,
                                                       small_disk: Path) -> None:
    project.method("good", GOOD)
    project.method("big", 'def synthesis(job):\n    print("writing")\n'
                          '    with job.open("big", "wb") as f:\n'
                          '        f.write(b"x" * 4_000_000)\n')
    project.script(GOOD_SCRIPT)
    project.acbuild("run")
    before = snapshot(project.root)
    project.script(GOOD_SCRIPT + '    urd.build("big")\n')
    proc = project.acbuild("run", check=1)
    assert proc.stderr.count("FAILED") == 1 and "Traceback" not in proc.stderr
    assert f"the disk of the work directory {small_disk} is full" in proc.stderr
    assert "FAILED: 0 built, 1 reused, 1 failed" in proc.stdout
    assert not any(d.startswith("big-") for d in project.job_dirs())  # nothing published
    assert snapshot(project.root) == before  # nothing lost
    kept = next((small_disk / ".failed").iterdir())
    assert "No space left on device" in (kept / "stderr.log").read_text()
    assert not (kept / "big").exists()  # its partial output went, to free the disk
    assert json.loads(project.acbuild("doctor", "--json").stdout)["problems"] == 0
    project.method("big", 'def synthesis(job):\n    with job.open("big", "wb") as f:\n'
                          '        f.write(b"x" * 400)\n')
    assert project.run_json()["counts"]["built"] == 1


def test_corrupt_database_is_rebuilt_from_the_directories(project: Project) -> None:
    project.method("good", GOOD)
    project.script("def main(urd):\n" + "".join(
        f"    urd.build('good', count={n})\n" for n in range(5)))
    project.acbuild("run")
    (project.workdir / "acbuild.db").write_bytes(b"\0garbage" * 512)
    for side in ("-wal", "-shm"):
        (project.workdir / f"acbuild.db{side}").unlink(missing_ok=True)
    proc = project.acbuild("run", check=2)
    assert "doctor --rebuild" in proc.stderr
    assert project.acbuild("doctor", check=1).stdout.startswith("PROBLEM  database")
    fixed = project.acbuild("doctor", "--rebuild").stdout
    assert "rebuilt the index from the job directories: 5 job(s)" in fixed
    assert any(p.name.startswith("acbuild.db.broken-") for p in project.workdir.iterdir())
    assert project.run_json()["counts"] == {"built": 0, "reused": 5, "failed": 0, "skipped": 0}
