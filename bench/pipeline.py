"""The real-pipeline case of acbuild's benchmark: methods that import a heavy library.

A project of 9 jobs (3 methods, each imported by 3 jobs of a chain of layers) whose
methods ``import sklearn.ensemble`` where scikit-learn is installed, else a generated
module (outside the project, on PYTHONPATH, as an installed library is) that takes about
``IMPORT_SECONDS`` of CPU to import. Measures, in the same minutes: the import itself
(``python -c "import <module>"``), a no-op ``acbuild run`` and ``acbuild status`` — so
that planning is compared with what importing the methods would cost.
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

IMPORT_SECONDS = 0.5

METHOD = '''
"""Layer {k}: a trivial job in a method that imports a heavy library."""
import {module}

options = {{"n": 0}}
jobs = ("prev",)


def synthesis(options):
    return options.n
'''

SCRIPT = """
def main(urd):
    prev = None
    for n in range(3):
        for k in range(3):
            prev = urd.build(f"layer{k}", n=n, prev=prev)
"""

HEAVY = '''
"""A stand-in for a heavy library: importing it costs about {seconds} s of CPU."""


def _load():  # in a function, as the calibration loop: the same cost per iteration
    x = 0
    for i in range({loops}):
        x += i ^ 3
    return x


_load()
'''


def heavy_module(lib: Path, seconds: float = IMPORT_SECONDS) -> str:
    """``sklearn.ensemble`` when installed, else a generated module in ``lib``: its name."""
    if importlib.util.find_spec("sklearn") is not None:
        return "sklearn.ensemble"
    began, loops = time.process_time(), 2_000_000
    x = 0
    for i in range(loops):
        x += i ^ 3
    per_loop = max(1e-9, time.process_time() - began) / loops
    lib.mkdir(parents=True, exist_ok=True)
    (lib / "heavy_lib.py").write_text(
        HEAVY.format(seconds=seconds, loops=int(seconds / per_loop)).lstrip())
    return "heavy_lib"


def write_pipeline(path: Path, module: str) -> None:
    (path / "methods").mkdir(parents=True)
    (path / "acbuild.toml").write_text('methods = ["methods"]\nslices = 1\n')
    for k in range(3):
        (path / "methods" / f"layer{k}.py").write_text(
            METHOD.format(k=k, module=module).lstrip())
    (path / "build.py").write_text(SCRIPT.lstrip())


def pipeline_figures(base: Path, env: dict[str, str], acbuild: list[str], repeat: int,
                     timed: Callable[[list[str], Path, dict[str, str]], float]
                     ) -> dict[str, float]:
    """{"import", "noop", "status"}: medians of whole processes, interleaved."""
    lib = base / "pipeline-lib"
    module = heavy_module(lib)
    env = {**env, "PYTHONPATH": f"{env.get('PYTHONPATH', '')}:{lib}"}
    path = base / "pipeline"
    write_pipeline(path, module)
    timed([*acbuild, "run", "-q"], path, env)  # the cold build: the jobs import it
    check_reused(path, env, acbuild)
    runs: dict[str, list[float]] = {"import": [], "noop": [], "status": []}
    for _ in range(repeat):
        runs["import"].append(timed([sys.executable, "-c", f"import {module}"], path, env))
        runs["noop"].append(timed([*acbuild, "run"], path, env))
        runs["status"].append(timed([*acbuild, "status"], path, env))
    return {name: statistics.median(values) for name, values in runs.items()}


def check_reused(path: Path, env: dict[str, str], acbuild: list[str]) -> None:
    """The no-op run reuses every job (else the figure measures building)."""
    out = subprocess.run([*acbuild, "run"], cwd=path, env=env, capture_output=True,
                         text=True, check=True).stdout
    assert "nothing to build" in out, out
