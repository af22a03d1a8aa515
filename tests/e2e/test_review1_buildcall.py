"""Review (issue 12): urd.build's fast path (a call of a shape seen before) makes the same
job as the general path (``options=``, never fast) for every value, whatever its type: the
same id, the same options (values and types), or the same error naming the script line."""

from __future__ import annotations

import json

from conftest import Project

DECLARATIONS = {
    "int": "0", "float": "0.5", "bool": "False", "str": "''", "any": "None",
    "intornone": "int", "choice": "Choice('a', 'b', 1, default='a')",
    "nullchoice": "Choice('a', 2)", "required": "Required(int)",
    "requiredfloat": "Required(float, none_ok=True)", "list": "[int]",
}

SCRIPT = '''
import enum, json, math

class S(str):
    pass

class I(int):
    pass

class E(enum.IntEnum):
    ONE = 1

class SE(str, enum.Enum):
    A = "a"

class Index:
    def __index__(self):
        return 1

VALUES = [True, False, 1, 0, -1, 1.0, 0.0, -0.0, 0.5, float("nan"), float("inf"), 2**53,
          2**53 + 1, 2**63, 2**70, -2**70, "a", "", "b", "\\u00e9", "a\\ud800", S("a"), I(1),
          E.ONE, SE.A, Index(), None, [1], (1,), {"k": 1}]


def show(handle):
    return [handle.id, repr(handle.spec.options), [type(v).__name__
                                                   for v in handle.spec.options.values()]]


def attempt(call):
    try:
        return show(call())
    except Exception as e:
        return [type(e).__name__, str(e), getattr(e, "where", None)]


def main(urd):
    out = {}
    for method in METHODS:
        warm = urd.build(method, x=WARM[method])  # the first call: the general path
        for i, value in enumerate(VALUES):
            fast = attempt(lambda: urd.build(method, x=value))  # FAST
            general = attempt(lambda: urd.build(method, options={"x": value}))  # GENERAL
            out[f"{method} {i} {value!r}"] = [fast, general]
    for a, b in [(1, 2), (1.0, 2), (-0.0, 7)]:
        urd.build("two", a=0, b=0)
        urd.build("two", b=0, a=0)
        out[f"two {a!r} {b!r}"] = [show(urd.build("two", b=b, a=a)),
                                   show(urd.build("two", a=a, b=b)),
                                   show(urd.build("two", options={"b": b, "a": a}))]
    open("out.json", "w").write(json.dumps(out))
'''

WARM = {"int": 5, "float": 5.5, "bool": True, "str": "w", "any": 5, "intornone": 5,
        "choice": "b", "nullchoice": 2, "required": 5, "requiredfloat": 5.0, "list": [5]}


def test_the_fast_path_makes_the_general_paths_job(project: Project) -> None:
    for kind, declaration in DECLARATIONS.items():
        project.method(f"m_{kind}", f"from acbuild import Choice, Required\n"
                                    f"options = {{'x': {declaration}}}\n"
                                    f"def synthesis(options):\n    return options.x\n")
    project.method("two", "options = {'a': 0.5, 'b': 0}\ndef synthesis():\n    pass\n")
    methods = [f"m_{k}" for k in DECLARATIONS]
    warm = {f"m_{k}": v for k, v in WARM.items()}
    project.script(f"METHODS = {methods!r}\nWARM = {warm!r}\n" + SCRIPT)
    project.acbuild("status")
    out = json.loads((project.root / "out.json").read_text())
    lines = (project.root / "build.py").read_text().splitlines()
    fast_line = 1 + next(i for i, line in enumerate(lines) if "# FAST" in line)
    general_line = 1 + next(i for i, line in enumerate(lines) if "# GENERAL" in line)
    differ = {}
    for key, results in out.items():
        if key.startswith("two "):
            if not results[0] == results[1] == results[2]:
                differ[key] = results
            continue
        fast, general = results
        if len(fast) == 3 and fast[0].endswith("Error"):  # the same error, at its own line
            fast_at, general_at = f"build.py:{fast_line}", f"build.py:{general_line}"
            same = (fast[0] == general[0] and fast[2].endswith(fast_at)
                    and general[2].endswith(general_at)
                    and fast[1].replace(fast_at, "") == general[1].replace(general_at, ""))
        else:
            same = fast == general
        if not same:
            differ[key] = results
    assert differ == {}
    assert len(out) > 300
