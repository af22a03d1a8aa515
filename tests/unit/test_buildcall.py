"""buildcall: urd.build's fast path makes the spec the general path makes — the same
identity bytes, hash, id, options (values, types and order), inputs and line — for every
value it takes, and leaves every other value (and every error) to the general path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acbuild import buildcall, canonical, graph
from acbuild.errors import AcbuildError
from acbuild.methods import MethodRegistry
from acbuild.script import JobHandle, Urd

METHOD = '''
from datetime import date
from pathlib import Path
from acbuild import Choice, Required
options = {"n": 0, "f": 0.5, "s": "", "flag": False, "any": None, "i": int, "ch": Choice("a b c*"),
           "lst": [], "d": {}, "day": date(2020, 1, 1), "p": Path("x"), "cho": Choice("x y", default="y")}
jobs = ("a", "b")
def synthesis():
    pass
'''
SLICED = '''
from acbuild import Required
options = {"n": Required(int), "m": 7}
jobs = ("prev",)
def analysis(sliceno):
    pass
'''
NAMES = ["n", "f", "s", "flag", "any", "i", "ch", "lst", "d", "day", "p", "cho"]
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-3, 3), st.text(max_size=4),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["a", "b", "c", "cz", "y"]),
    st.text("é\udc80%", max_size=3), st.dates())
_values = _scalars | st.lists(_scalars, max_size=2) | st.dictionaries(st.text(max_size=2),
                                                                     _scalars, max_size=2)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("buildcall")
    (root / "methods").mkdir()
    (root / "methods" / "m.py").write_text(METHOD)
    (root / "methods" / "sliced.py").write_text(SLICED)
    (root / "build.py").write_text("def main(urd):\n    pass\n")
    return root


def urd_of(root: Path, force: frozenset[str] = frozenset()) -> Urd:
    registry = MethodRegistry([root / "methods"], root)

    def realize(spec: graph.JobSpec) -> Path:
        raise AssertionError("nothing is realized here")

    return Urd(registry, 3, root / "build.py", root, realize, lambda p: "0" * 64,
               force_methods=force)


def same(fast: graph.JobSpec, general: graph.JobSpec) -> None:
    """Every field, the options by their bytes, their types and their order too."""
    assert canonical.encode(dict(fast.options)) == canonical.encode(dict(general.options))
    assert list(fast.options) == list(general.options)
    assert [type(v) for v in fast.options.values()] == \
        [type(v) for v in general.options.values()]
    assert fast._replace(options={}) == general._replace(options={})  # (compares the hash)
    assert tuple(fast._replace(options={})) == tuple(general._replace(options={}))
    assert fast.hash == graph.job_hash(graph.identity_record(
        general.method, general.code_hash, general.options, dict(general.inputs),
        general.slices))


def shape_and_general(root: Path, method: str, params: dict[str, Any],
                      force: frozenset[str] = frozenset()) -> None:
    """The fast path's spec is the general path's wherever the general path takes the
    values and they are plain (it must then take them); where the general path refuses
    them, the fast path does not take them."""
    urd = urd_of(root, force)
    # jobs of the other method: never the job asked for, so the general path makes its spec
    other = "sliced" if method == "m" else "m"
    given = {k: urd.build(other, n=1) if v == "job" else v for k, v in params.items()}
    try:
        general = urd._build(method, None, None, None, False, dict(given), "build.py:9").spec
    except AcbuildError:
        general = None
    made = urd._registry.get(method)
    # What urd.build makes once the general path took a call of these names.
    shape = buildcall.shape_of(made, tuple(given), 3 if made.has_analysis else None,
                               method in force, JobHandle, urd)
    if shape is None:
        assert any(o.required and n not in given for n, o in made.options.items())
        return
    fast = shape.spec(given, "build.py:9")
    if general is None:
        assert fast is None
        return
    plain = all(type(v) in (str, int, bool, float, type(None))
                for k, v in general.options.items() if k in given) and \
        all(v is None or isinstance(v, JobHandle) for k, v in given.items() if k in made.inputs)
    assert (fast is not None) == plain
    if fast is not None:
        same(fast, general)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(NAMES), _values, max_size=5),
       st.sampled_from([{}, {"a": "job"}, {"b": "job", "a": None}, {"a": 3}, {"b": [None]}]))
def test_the_fast_path_gives_the_general_paths_spec(project: Path, options: dict[str, Any],
                                                    inputs: dict[str, Any]) -> None:
    shape_and_general(project, "m", {**options, **inputs})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(_values, st.sampled_from([{}, {"m": 1}, {"m": 2.0}]), st.sampled_from([{}, {"prev": "job"}]),
       st.booleans())
def test_the_fast_path_gives_the_general_paths_spec_with_slices_and_force(
        project: Path, n: Any, more: dict[str, Any], inputs: dict[str, Any], forced: bool) -> None:
    shape_and_general(project, "sliced", {"n": n, **more, **inputs},
                      frozenset(["sliced"]) if forced else frozenset())


def test_a_plain_call_takes_the_fast_path_and_keeps_what_the_general_path_says(
        project: Path) -> None:
    urd = urd_of(project)
    first = urd.build("m", n=1, s="x")  # the general path: it makes the shape
    shape = urd._shapes[("m", "n", "s")]
    assert shape is not None
    second = urd.build("m", n=2, s="é")
    assert isinstance(second, JobHandle) and second.spec.where == f"{project / 'build.py'}"
    fast = shape.spec({"n": 2, "s": "é"}, second.spec.where)
    assert fast is not None and fast.hash == second.spec.hash
    same(fast, urd_of(project)._build("m", None, None, None, False, {"n": 2, "s": "é"},
                                      second.spec.where).spec)
    assert urd.build("m", n=1, s="x") is not first and urd.build("m", n=1, s="x") == first
    # values it does not take: the general path, and its errors
    with pytest.raises(AcbuildError, match="option 'n'"):
        urd.build("m", n="seven", s="x")
    assert shape.spec({"n": [1], "s": "x"}, "w") is None  # (refused by the converter)
    assert shape.spec({"n": 1, "s": canonical.InputFile("f", "0" * 64)}, "w") is None
    other = urd_of(project).build("m", n=1)
    assert urd._shapes.get(("m", "a")) is None
    urd.build("m", a=None)
    assert urd._shapes[("m", "a")] is not None
    with pytest.raises(AcbuildError, match="another build"):
        urd.build("m", a=other)


@given(st.one_of(_scalars, st.binary(max_size=2), st.lists(st.integers(), max_size=1)))
def test_a_scalar_encodes_as_encode_says_and_anything_else_is_left_to_it(value: Any) -> None:
    fast = canonical.encode_scalar(value)
    if type(value) in (str, int, bool, type(None)) or (
            type(value) is float and value == value and abs(value) != float("inf")):
        assert fast == canonical.encode(value)
    else:
        assert fast is None
