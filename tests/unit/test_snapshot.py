"""snapshot: a job imports its method and helpers from its source/, never the live files."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from acbuild import snapshot


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    """What these tests import from snapshots leaves this process as it found it."""
    yield
    snapshot._FINDER.take_out()
    snapshot._FINDER.layout = None


class Tree:
    """A project with live files, and job directories whose source/ holds other bytes."""

    def __init__(self, root: Path):
        self.root = root
        self.count = 0

    def live(self, files: dict[str, str]) -> None:
        for relpath, text in files.items():
            (self.root / relpath).parent.mkdir(parents=True, exist_ok=True)
            (self.root / relpath).write_text(text)

    def job(self, method: str, files: dict[str, str]) -> tuple[dict[str, Any], str]:
        self.count += 1
        job = self.root / "work" / f"{method}-{self.count}"
        for relpath, text in files.items():
            (job / "source" / relpath).parent.mkdir(parents=True, exist_ok=True)
            (job / "source" / relpath).write_text(text)
        setup = {"method": method, "method_file": str(self.root / "methods" / f"{method}.py"),
                 "project_root": str(self.root),
                 "sys_path": [str(self.root / "methods"), str(self.root)],
                 "code": {"hash": str(self.count) * 64, "sources": sorted(files)}}
        return setup, str(job)

    def code(self, method: str, files: dict[str, str]) -> snapshot.Code:
        setup, job = self.job(method, files)
        return snapshot.import_method(snapshot.Layout.of(setup), job)


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    tree = Tree(tmp_path / "proj")
    tree.live({"methods/m.py": "VALUE = 'live'\n", "methods/_util.py": "VALUE = 'live'\n",
               "lib/__init__.py": "", "lib/deep.py": "VALUE = 'live'\n"})
    return tree


def test_the_layout_finds_modules_as_the_code_hash_resolved_them(tree: Tree) -> None:
    setup, _ = tree.job("m", {"methods/m.py": "", "methods/_util.py": "", "lib/__init__.py": "",
                              "lib/deep.py": "", "methods/time.py": ""})
    layout = snapshot.Layout.of(setup)
    live = tree.root
    assert layout.method_copy == "methods/m.py"
    assert layout.find("_util") == ("methods/_util.py", str(live / "methods/_util.py"), False)
    assert layout.find("lib") == ("lib/__init__.py", str(live / "lib/__init__.py"), True)
    assert layout.find("lib.deep") == ("lib/deep.py", str(live / "lib/deep.py"), False)
    assert layout.find("time") is None, "a module built into Python is found before files"
    assert layout.find("numpy") is None


def test_the_method_and_its_helpers_run_from_the_snapshot(tree: Tree) -> None:
    code = tree.code("m", {
        "methods/m.py": "import _util\nfrom lib import deep\n"
                        "VALUE = 'snapshot'\n"
                        "def later():\n    import _util as again\n    return again.VALUE\n",
        "methods/_util.py": "VALUE = 'snapshot'\n",
        "lib/__init__.py": "", "lib/deep.py": "VALUE = 'snapshot'\n"})
    module = code.module
    assert (module.VALUE, module._util.VALUE, module.deep.VALUE, module.later()) == (
        "snapshot",) * 4
    # Named after the live files: tracebacks, and data files beside a method, find them.
    assert module.__file__ == str(tree.root / "methods" / "m.py")
    assert module.deep.__file__ == str(tree.root / "lib" / "deep.py")
    assert set(code.modules) == {"acbuild_method_m", "_util", "lib", "lib.deep"}


def test_two_codes_never_share_a_helper(tree: Tree) -> None:
    source = "import _util\ndef value():\n    import _util as now\n    return _util.VALUE, now.VALUE\n"
    one = tree.code("m", {"methods/m.py": source, "methods/_util.py": "VALUE = 1\n"})
    two = tree.code("m", {"methods/m.py": source, "methods/_util.py": "VALUE = 2\n"})
    _, job = tree.job("m", {})
    snapshot.activate(one, job)
    assert one.module.value() == (1, 1) and sys.modules["acbuild_method_m"] is one.module
    snapshot.activate(two, job)
    assert two.module.value() == (2, 2) and sys.modules["acbuild_method_m"] is two.module
    snapshot.activate(one, job)
    assert one.module.value() == (1, 1)


def test_a_traceback_names_the_live_file_and_quotes_the_code_that_ran(tree: Tree) -> None:
    code = tree.code("m", {"methods/m.py": "def fail():\n    raise ValueError('x')  # ran\n"})
    with pytest.raises(ValueError) as exc:
        code.module.fail()
    text = "".join(traceback.format_exception(exc.value))
    assert f'File "{tree.root / "methods" / "m.py"}", line 2, in fail' in text
    assert "raise ValueError('x')  # ran" in text


def test_the_producer_of_a_result_is_imported_beside_the_active_code(tree: Tree) -> None:
    running = tree.code("m", {"methods/m.py": "import _util\n",
                              "methods/_util.py": "VALUE = 'mine'\n"})
    _, job = tree.job("m", {})
    snapshot.activate(running, job)
    setup, producer = tree.job("p", {"methods/p.py": "import _util\nclass Point:\n    pass\n",
                                     "methods/_util.py": "VALUE = 'producer'\n"})
    Path(producer, "setup.json").write_text(__import__("json").dumps(setup))
    assert not snapshot.import_producer(producer, "acbuild_method_other")
    assert snapshot.import_producer(producer, "acbuild_method_p")
    p = sys.modules["acbuild_method_p"]
    assert p._util.VALUE == "producer" and p.Point.__module__ == "acbuild_method_p"
    assert sys.modules["_util"].VALUE == "mine", "the running job keeps its own helpers"
    assert sys.modules["acbuild_method_m"] is running.module
