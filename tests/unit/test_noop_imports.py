"""What a no-op `acbuild run` and `status` import and define at start (issue 12: start-up).

Run in a fresh interpreter on a small built project: the modules a no-op never uses
(shutil and the compressors it brings, the other commands' modules, rich, the remote
cache, the executors, dataclasses, base64) are not imported, and the records every command defines are no dataclasses (one
costs 0.3-0.8 ms to define). The named tuples defined at every start compile no string
annotation, and the modules every start imports compile no pattern they rarely use.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "src"))

# Runs the command in this interpreter, counting the dataclasses each module defines (once
# something imports dataclasses: the probe does not, so that it may be in NEVER), then
# prints what was imported and defined.
PROBE = textwrap.dedent("""
    import builtins, collections, json, runpy, sys
    made = collections.Counter()
    real_import = builtins.__import__
    def watching(*args, **kwargs):
        module = real_import(*args, **kwargs)
        dataclasses = sys.modules.get("dataclasses")
        process = getattr(dataclasses, "_process_class", None)  # None: not yet, or not whole
        if process is not None and not hasattr(dataclasses, "probed"):
            dataclasses.probed = True
            def counted(cls, *args, **kwargs):
                made[cls.__module__] += 1
                return process(cls, *args, **kwargs)
            dataclasses._process_class = counted
        return module
    builtins.__import__ = watching
    sys.argv = ["acbuild", *sys.argv[1:]]
    try:
        runpy.run_module("acbuild", run_name="__main__")
    except SystemExit as e:
        code = e.code
    else:
        code = 0
    print(json.dumps({"code": code, "modules": sorted(sys.modules), "dataclasses": made}),
          file=sys.stderr)
""")

NEVER = ("shutil", "dataclasses", "base64", "bz2", "lzma", "tempfile", "rich", "acbuild.remote", "acbuild.executors",
         "acbuild.cli.board", "acbuild.cli.compare", "acbuild.cli.explore",
         "acbuild.cli.maintain", "acbuild.cli.methods", "acbuild.cli.query",
         "acbuild.cli.remote", "acbuild.cli.urd")
LIGHTER = {"acbuild.engine", "acbuild.events", "acbuild.methods", "acbuild.session", "acbuild.urdcalls",
           "acbuild.urdlists", "acbuild.subjob_requests", "acbuild.store", "acbuild.config",
           "acbuild.canonical", "acbuild.options"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("noop")
    (root / "methods").mkdir()
    (root / "acbuild.toml").write_text('methods = ["methods"]\n')
    (root / "methods" / "make.py").write_text(textwrap.dedent('''
        options = {"n": 0}

        def synthesis(options):
            return options.n
    '''))
    (root / "methods" / "use.py").write_text(textwrap.dedent('''
        jobs = ("src",)

        def synthesis(jobs):
            return jobs.src.load() + 1
    '''))
    (root / "build.py").write_text(textwrap.dedent('''
        def main(urd):
            for n in range(3):
                urd.build("use", src=urd.build("make", n=n))
    '''))
    _acbuild(root, "-m", "acbuild", "run", "-j1")  # built once: what follows is a no-op
    return root


def _acbuild(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "ACBUILD_PLAIN": "1"}
    return subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=120, check=True)


@pytest.mark.parametrize("command", [["run"], ["run", "-q"], ["run", "-j1", "-qv"], ["status"]])
def test_a_no_op_imports_nothing_it_does_not_use(project: Path, command: list[str]) -> None:
    proc = _acbuild(project, "-c", PROBE, *command)
    seen = json.loads(proc.stderr.strip().splitlines()[-1])
    assert seen["code"] == 0
    if command[0] == "run":
        assert "nothing to build: 6 job(s) reused" in proc.stdout
    else:
        assert proc.stdout.count("cached") >= 6
    modules = set(seen["modules"])
    assert "acbuild.session" in modules and "sqlite3" in modules  # the probe saw the command
    imported = sorted(m for m in modules if m.startswith(NEVER) and
                      any(m == n or m.startswith(f"{n}.") for n in NEVER))
    assert imported == []
    assert sorted(LIGHTER & set(seen["dataclasses"])) == []
    if command[0] == "run":  # what only status and run --json draw
        assert "acbuild.render_results" not in modules


LIGHT_RECORDS = ("acbuild.events", "acbuild.config", "acbuild.codehash", "acbuild.methods",
                 "acbuild.subjob_requests")


def test_the_named_tuples_every_start_defines_compile_no_annotation() -> None:
    """These modules define named tuples at every start: with string annotations (``from
    __future__ import annotations``), typing compiles each one (a ForwardRef) as it defines
    them, ~25 us apiece (~1 ms for events' 41)."""
    count = textwrap.dedent("""
        import collections, sys, typing
        made = collections.Counter()
        init = typing.ForwardRef.__init__
        def counted(self, *args, **kwargs):
            frame = sys._getframe(1)
            while frame.f_code.co_name != "<module>":  # the module being defined
                frame = frame.f_back
            made[frame.f_globals["__name__"]] += 1
            init(self, *args, **kwargs)
        typing.ForwardRef.__init__ = counted
        import acbuild.session
        print({name: made[name] for name in sys.argv[1:]})
        print(acbuild.events.RunFinished.__annotations__["failures"])
    """)
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", count, *LIGHT_RECORDS], env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.splitlines() == [str(dict.fromkeys(LIGHT_RECORDS, 0)),
                                "tuple[acbuild.events.JobFailed, ...]"]


@pytest.mark.parametrize(("given", "said"), [
    ("--quite", "Error: No such option '--quite'. Did you mean '--quiet'?"),
    ("--jbos=2", "Error: No such option '--jbos'. (Did you mean one of: '--jobs', '--json',"
                 " '--verbose'?)"),
    ("-x", "Error: No such option '-x'."),
    ("-qx", "Error: No such option '-x'."),
])
def test_an_unknown_option_is_named_as_before(project: Path, given: str, said: str) -> None:
    """An unknown option is an error naming it, with its close match when long."""
    env = {**os.environ, "PYTHONPATH": SRC, "ACBUILD_PLAIN": "1"}
    proc = subprocess.run([sys.executable, "-m", "acbuild", "run", given], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == said


@pytest.mark.parametrize("name", ["acbuild.canonical", "acbuild.joblog", "acbuild.jobrecords",
                                  "acbuild.urdlists"])
def test_a_module_every_start_imports_compiles_no_pattern_it_rarely_uses(name: str) -> None:
    """Each pattern compiled at import costs 0.1-0.2 ms; these are compiled at first use."""
    module = importlib.import_module(name)
    assert [k for k, v in vars(module).items() if isinstance(v, re.Pattern)] == []
