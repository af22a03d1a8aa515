"""A method read by importing it is read from its source, never from a cached .pyc: Python
takes a .pyc whose source has the same size and mtime (in whole seconds) as its own, so an
edit within the second (a generated file, an editor's quick save, a checkout) planned the
job with the old declarations -- and kept them under the new code's hash."""

from __future__ import annotations

import importlib.util
import os
import py_compile

from conftest import Project

METHOD = """
import json
from helper import BASE

if True:  # not readable from the source alone: the method is imported to read it
    options = {"n": json.loads("VALUE") + BASE}


def synthesis(options):
    return options.n
"""


def stale_pyc(path: os.PathLike[str], old: str, new: str) -> None:
    """``path`` holds ``old``, compiled to its __pycache__ as Python itself would, then
    ``new`` (the same size) with the very same mtime: the .pyc looks current."""
    with open(path, "w") as f:
        f.write(old)
    py_compile.compile(str(path), cfile=importlib.util.cache_from_source(str(path)),
                       invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    before = os.stat(path)
    assert len(old) == len(new)
    with open(path, "w") as f:
        f.write(new)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_method_and_its_helper_are_read_from_the_source_not_a_stale_pyc(
        project: Project) -> None:
    project.script('def main(urd):\n    urd.build("m")\n')
    (project.root / "methods").mkdir()
    stale_pyc(project.root / "methods" / "helper.py", "BASE = 10\n", "BASE = 20\n")
    stale_pyc(project.root / "methods" / "m.py", METHOD.replace("VALUE", "1"),
              METHOD.replace("VALUE", "2"))
    report = project.run_json()
    assert [j["state"] for j in report["jobs"]] == ["built"]
    shown = project.acbuild("show", "m", "--json").stdout
    assert '"n": 22' in shown  # the source's 2 + 20; the stale bytecode's would be 11
    assert [j["state"] for j in project.run_json()["jobs"]] == ["reused"]
