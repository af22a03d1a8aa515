"""Reading a method's declarations from its source: the same values an import gives."""

from __future__ import annotations

import ast
import textwrap
from collections import OrderedDict
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from acbuild import options as optionsmod
from acbuild.codehash import CodeHasher, ModuleRef
from acbuild.declarations import (
    KEPT,
    KEYED,
    NeedsImport,
    check_resources,
    evaluate,
    module_refs,
    read_phases,
    star_names,
)
from acbuild.declarations.record import decode, encode
from acbuild.declarations.resources import memory_bytes
from acbuild.errors import MethodError
from acbuild.methods import MethodRegistry, import_method
from acbuild.options import Choice, Required

NAMES = (*KEYED, *KEPT)


class Project:
    def __init__(self, root: Path):
        self.root = root
        (root / "methods").mkdir(parents=True)

    def write(self, relpath: str, text: str) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    def read(self, text: str, name: str = "m") -> tuple[dict[str, Any], bool]:
        path = self.write(f"methods/{name}.py", text)
        hasher = CodeHasher(self.root, [self.root / "methods"])
        found = evaluate(ast.parse(path.read_bytes()), path, f"acbuild_method_{name}", NAMES,
                         lambda module: hasher.local_module(module, path))
        return found.values, found.pure

    def imported(self, name: str = "m") -> dict[str, Any]:
        path = self.root / "methods" / f"{name}.py"
        module = import_method(name, path, (self.root / "methods", self.root))
        return {n: getattr(module, n) for n in NAMES if hasattr(module, n)}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (an OrderedDict is not a dict)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Required):
        return same(a.form, b.form)
    if isinstance(a, Choice):
        return same(a.values, b.values) and same(a.default, b.default)
    return bool(a == b)


TRICKY = {
    "types and Required": '''
        from acbuild import Required
        options = {"a": Required(int), "b": Required([str]), "c": int, "d": [str],
                   "e": {str: int}, "f": {str: [float]}, "g": None, "h": 0.5, "i": ""}
    ''',
    "Choice": '''
        from acbuild.options import Choice
        from acbuild import Required
        options = {"c": Choice("a", "b", default="b"), "n": Choice(1, 2),
                   "r": Required(Choice("x", "y"))}
    ''',
    "dates and paths": '''
        import datetime as dt
        from datetime import date, datetime, time, timedelta
        from pathlib import Path, PurePosixPath
        options = {"d": date(2020, 1, 1), "dt": datetime(2020, 1, 2, 3, 4),
                   "t": time(1, 2), "span": timedelta(days=1, seconds=3),
                   "d2": dt.date.fromisoformat("2021-02-03"), "p": Path("data/x.csv"),
                   "pp": PurePosixPath("a/b"), "type": date}
    ''',
    "an OrderedDict, in its order": '''
        from collections import OrderedDict
        options = OrderedDict([("b", int), ("a", str)])
    ''',
    "built in steps": '''
        base = {"a": 1}
        options = base
        base["b"] = int
        options.update(c=[str])
        options.setdefault("d", 2.5)
        del options["a"]
        jobs = ("x",)
        jobs += ("y",)
    ''',
    "computed": '''
        NAMES = ("a", "b")
        options = {k: int for k in NAMES}
        options: dict = {**options, "n": len(NAMES), "s": "-".join(NAMES)}
        jobs = tuple(f"in{i}" for i in range(2))
        resources = {"cpus": 2, "memory": "4GiB", "gpus": 1}
    ''',
    "keyed ones": '''
        import _plugins
        depend_extra = (_plugins, "schema.json")
        equivalent_hashes = {"a" * 64: "b" * 64}
    ''',
    "a project module's names": '''
        from _shared import BASE, helpers
        import _shared
        import pkg.sub
        options = {**BASE, "k": helpers.K, "o": _shared.OTHER, "p": pkg.sub.P}
    ''',
    "what runs with the module but is no declaration's": '''
        import json
        options = {"a": 1}
        CONFIG = json.loads("{}")
        def synthesis(options):
            pass
        if CONFIG:
            raise SystemExit
        print("hello")
    ''',
}
HELPERS = {
    "methods/_plugins.py": "X = 1\n",
    "methods/schema.json": "{}\n",
    "methods/_shared.py": '''
        from datetime import date
        import _helpers as helpers
        BASE = {"start": date(2020, 1, 1)}
        OTHER = [str]
    ''',
    "methods/_helpers.py": "K = 3\n",
    "pkg/__init__.py": "",
    "pkg/sub.py": "from ._p import P\n",
    "pkg/_p.py": "P = {str: int}\n",
}


@pytest.mark.parametrize("case", TRICKY)
def test_read_from_the_source_as_an_import_gives_them(project: Project, case: str) -> None:
    for relpath, text in HELPERS.items():
        project.write(relpath, text)
    read, pure = project.read(TRICKY[case])
    imported = project.imported()
    assert set(read) == set(imported)
    for name in read:
        if name == "depend_extra":
            continue  # a module, named: compared through the code hash below
        assert same(read[name], imported[name]), (name, read[name], imported[name])
    if "options" in read:  # what the options mean is the same, to the last detail
        assert optionsmod.parse_declarations("m", read["options"]) == \
            optionsmod.parse_declarations("m", imported["options"])
    path = project.root / "methods/m.py"
    hasher = CodeHasher(project.root, [project.root / "methods"])
    extra = read.get("depend_extra", ())
    assert hasher.method_code("m", path, path.read_bytes(), module_refs(extra)).hash == \
        hasher.method_code("m", path, path.read_bytes(), imported.get("depend_extra", ())).hash
    assert pure


def test_a_project_module_is_read_not_run(project: Project) -> None:
    project.write("methods/_shared.py", '''
        import acbuild_no_such_module_xyz
        from datetime import date
        BASE = {"start": date(2020, 1, 1)}
        MODEL = acbuild_no_such_module_xyz.Model()
    ''')
    read, pure = project.read('''
        import acbuild_no_such_module_xyz
        from _shared import BASE
        options = dict(BASE)
        depend_extra = (acbuild_no_such_module_xyz,)
        MODEL = acbuild_no_such_module_xyz.fit(len(options))
    ''')
    assert read["options"] == {"start": date(2020, 1, 1)}
    assert module_refs(read["depend_extra"]) == (ModuleRef("acbuild_no_such_module_xyz"),)


@pytest.mark.parametrize(("text", "reason", "line"), [
    ("import json_tricks\noptions = {'n': json_tricks.DEFAULT}\n",
     "json_tricks.DEFAULT, from the third-party module json_tricks", 2),
    ("options = {}\nfor k in 'ab':\n    options[k] = int\n", "'options' may be set or changed "
     "by the for loop at line 2", 2),
    ("import sys\nif sys.platform:\n    jobs = ('a',)\n", "'jobs' may be set", 2),
    ("from acbuild_no_such_module_xyz import *\noptions = {'a': 1}\n", "star import", 1),
    ("options = {}\ndef f():\n    global options\n    options = {}\n", "declared global", None),
    ("options = {'a': undefined_name}\n", "NameError", 1),
    ("def helper():\n    return 1\noptions = {'a': helper()}\n", "the def at line 1", 1),
    ("import numpy\noptions = {'a': 1}\nMODEL = numpy.fit(options)\n",  # it may change it
     "numpy.fit, from the third-party module numpy", 3),
])
def test_what_cannot_be_read_says_why_and_where(project: Project, text: str, reason: str,
                                                line: int | None) -> None:
    with pytest.raises(NeedsImport) as caught:
        project.read(text)
    assert reason in caught.value.reason
    assert caught.value.where == str(project.root / "methods/m.py") + (
        f":{line}" if line else "")


@pytest.mark.parametrize(("text", "pure"), [
    ("from datetime import date\noptions = {'d': date(2020, 1, 1)}\n", True),
    ("from datetime import date\noptions = {'d': date.today()}\n", False),
    ("import os\noptions = {'home': os.environ.get('HOME', '')}\n", False),
    ("from pathlib import Path\noptions = {'p': Path(__file__).parent.name}\n", False),
    ("options = {'names': open('/dev/null').read().split()}\n", False),
    ("import math\noptions = {'x': math.floor(2.5) * 1.0}\n", True),
    ("from pathlib import Path\noptions = {'p': Path('a').with_suffix('.b')}\n", True),
    ("from pathlib import Path\noptions = {'p': Path('a').resolve()}\n", False),
])
def test_only_declarations_of_the_code_alone_are_pure(project: Project, text: str,
                                                      pure: bool) -> None:
    assert project.read(text)[1] is pure


def test_phases_come_from_plain_defs(project: Project) -> None:
    path = project.write("methods/m.py", '''
        def prepare(job): pass
        def synthesis(analysis_res, prepare_res): pass
        def analysis(sliceno): pass
    ''')
    assert read_phases(ast.parse(path.read_text()), path) == ("prepare", "analysis",
                                                               "synthesis")
    path.write_text("\n\ndef synthesis(job, nope):\n    pass\n")
    with pytest.raises(MethodError, match="parameter 'nope'") as caught:
        read_phases(ast.parse(path.read_text()), path)
    assert caught.value.where == f"{path}:3"
    for text in ("from _x import synthesis\n", "import functools\n@functools.cache\n"
                 "def synthesis():\n    pass\n", "synthesis = print\n",
                 "if True:\n    def synthesis():\n        pass\n"):
        path.write_text(text)
        with pytest.raises(NeedsImport):
            read_phases(ast.parse(text), path)


def test_a_record_keeps_every_value_and_type() -> None:
    values = {"options": OrderedDict([
        ("a", Required([str])), ("b", Choice("x", 2, default=2)), ("c", {str: int}),
        ("d", date(2020, 1, 2)), ("e", datetime(2020, 1, 2, 3, 4, 5, 6)), ("f", time(7, 8)),
        ("g", timedelta(days=-1, microseconds=3)), ("h", Path("x/y")),
        ("i", PurePosixPath("p")), ("j", (1, [2.5, None], {"k": True})), ("l", -0.0),
        ("m", float("inf")), ("n", 2**80), ("o", "\ud800é"), ("p", date)]),
        "jobs": ("a", "b"), "resources": {"cpus": 2}}
    text = encode(values, ("prepare", "synthesis"), "source")
    assert text is not None
    decoded = decode(text)
    assert decoded is not None
    assert same(decoded[0], values) and decoded[1:] == (("prepare", "synthesis"), "source")
    assert encode({"options": {"x": object()}}, (), "source") is None
    assert decode("{not json") is None and decode('{"format": 99}') is None


def test_resources_are_checked() -> None:
    assert check_resources({"cpus": 2, "memory": "4GiB", "gpus": 0}, "m.py:1") == \
        {"cpus": 2, "memory": "4GiB", "gpus": 0}
    assert memory_bytes("4GiB") == 4 * 1024**3 and memory_bytes("1.5 GB") == 1_500_000_000
    assert memory_bytes(1024) == 1024 and memory_bytes("lots") is None
    for bad in ([2], {"cpus": True}, {"cpus": 1.5}, {"gpus": -1}, {"memory": "0"},
                {"memory": "4 parsecs"}, {"disk": 1}):
        with pytest.raises(MethodError) as caught:
            check_resources(bad, "m.py:7")
        assert caught.value.where == "m.py:7"


class DictCache:
    """The registry's cache as a dict (the work directory's database in a real run)."""

    def __init__(self) -> None:
        self.kept: dict[str, str] = {}

    def cached_declarations(self, key: str) -> str | None:
        return self.kept.get(key)

    def keep_declarations(self, key: str, record: str) -> None:
        self.kept[key] = record


def test_a_method_read_by_importing_it_is_imported_once_per_code_change(
        project: Project) -> None:
    log = project.root / "imported.log"
    text = f'''
        with open({str(log)!r}, "a") as f:
            f.write("imported\\n")
        import json
        options = {{"n": json.loads("{{VALUE}}")}}  # a call we do not run: impure
        if True:
            jobs = ("a",)   # not readable: the method is imported
        def synthesis(options):
            pass
    '''
    project.write("methods/m.py", text.replace("{VALUE}", "1"))
    cache = DictCache()
    registry = MethodRegistry([project.root / "methods"], project.root, cache=cache)
    method = registry.get("m")
    assert method.inputs == ("a",) and method.read_by == "import"
    assert any("'jobs' may be set or changed by the if statement" in w
               for w in method.warnings)
    assert log.read_text() == "imported\n"
    again = MethodRegistry([project.root / "methods"], project.root, cache=cache).get("m")
    assert again.inputs == ("a",) and again.options["n"].default == 1
    assert log.read_text() == "imported\n" and again.warnings == ()
    project.write("methods/m.py", text.replace("{VALUE}", "2"))
    changed = MethodRegistry([project.root / "methods"], project.root, cache=cache).get("m")
    assert changed.options["n"].default == 2
    assert log.read_text() == "imported\n" * 2


def test_only_pure_declarations_read_from_the_source_are_kept(project: Project) -> None:
    cache = DictCache()
    project.write("methods/pure.py", "options = {'a': 1}\ndef synthesis():\n    pass\n")
    project.write("methods/clock.py", "import time\noptions = {'t': time.time()}\n"
                                      "def synthesis():\n    pass\n")
    registry = MethodRegistry([project.root / "methods"], project.root, cache=cache)
    assert registry.get("pure").read_by == "source"
    assert len(cache.kept) == 1
    assert registry.get("clock").read_by == "source"
    assert len(cache.kept) == 1  # read anew at each planning: the clock moves


def test_an_import_that_fails_is_the_error_reported_first(project: Project) -> None:
    project.write("methods/m.py", "import acbuild_no_such_module_xyz\nx = 1\n")
    registry = MethodRegistry([project.root / "methods"], project.root)
    with pytest.raises(MethodError, match="No module named 'acbuild_no_such_module_xyz'"):
        registry.get("m")  # not "defines none of prepare, analysis, synthesis"


def test_declarations_read_from_a_module_the_code_hash_misses_are_not_kept(
        project: Project) -> None:
    project.write("pkg/__init__.py", "import importlib\n"
                                     "sub = importlib.import_module('pkg.sub')\n")
    project.write("pkg/sub.py", "X = 1\n")
    project.write("methods/m.py", "import pkg\noptions = {'x': pkg.sub.X}\n"
                                  "def synthesis():\n    pass\n")
    cache = DictCache()
    method = MethodRegistry([project.root / "methods"], project.root, cache=cache).get("m")
    assert method.options["x"].default == 1 and "pkg/sub.py" not in method.sources
    assert cache.kept == {}  # an edit of pkg/sub.py would not change the key


def test_a_star_import_is_read_as_the_names_it_binds(project: Project) -> None:
    project.write("methods/_common.py", '''
        import acbuild_no_such_module_xyz
        from datetime import date
        BASE = {"start": date(2020, 1, 1)}
        _PRIVATE = 1
    ''')
    project.write("methods/_listed.py", "__all__ = ['A']\nA = [str]\nB = 2\n")
    read, pure = project.read('''
        from _common import *
        from _listed import *
        from math import *
        options = {**BASE, "a": A, "pi": pi, "d": date}
        def synthesis():
            pass
    ''')
    assert read["options"] == {"start": date(2020, 1, 1), "a": [str], "pi": 3.141592653589793,
                               "d": date}
    assert pure
    path = project.write("methods/m.py", "from _listed import *\nB = 1\n"
                                         "def synthesis():\n    pass\n")
    hasher = CodeHasher(project.root, [project.root / "methods"])
    star = star_names(lambda module: hasher.local_module(module, path))
    assert read_phases(ast.parse(path.read_text()), path, star) == ("synthesis",)
    project.write("methods/_phases.py", "def synthesis():\n    pass\n")
    path.write_text("from _phases import *\n")
    with pytest.raises(NeedsImport, match="'synthesis'"):
        read_phases(ast.parse(path.read_text()), path, star)
