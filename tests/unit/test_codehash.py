"""The code hash: what the code does, not how it is written; local imports followed."""

from __future__ import annotations

import ast
import re
import textwrap
import types
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acbuild import hashing
from acbuild.codehash import CodeHasher, module_imports, normalized_digest, stable_dump
from acbuild.errors import MethodError
from acbuild.methods import _equivalent


def digest(source: str) -> str:
    return normalized_digest(ast.parse(textwrap.dedent(source)))


# -- a property: comments and formatting are not code; constants are --------------------------
# A small program is a list of statements, each built from integer constants; a *style* says
# how each is written (spacing, redundant parentheses, comments, blank lines, docstrings).

STATEMENTS = (
    "v{i} = {a} + {b}",
    "v{i} = ({a}, {b}, [{a}, -{b}])",
    "def f{i}(x, y={a}):\n    return x * {b}",
    "if v0 > {a}:\n    v{i} = {b}\nelse:\n    v{i} = -{a}",
    "class C{i}:\n    k = {a}\n    def m(self):\n        return self.k - {b}",
    "for j in range({a}):\n    v{i} = j % ({b} or 1)",
    "v{i} = f'{{{a}!r:>{b}}}-{a}'",
)

programs = st.lists(st.tuples(st.integers(0, len(STATEMENTS) - 1),
                              st.integers(0, 999), st.integers(0, 999)), min_size=1, max_size=6)
comment_text = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20)


@st.composite
def styles(draw: st.DrawFn, n: int) -> list[dict[str, object]]:
    return [{"spaces": draw(st.booleans()), "parens": draw(st.booleans()),
             "comment": draw(st.one_of(st.none(), comment_text)),
             "blank": draw(st.integers(0, 2)), "doc": draw(st.one_of(st.none(), comment_text)),
             "trailing": draw(st.one_of(st.none(), comment_text))} for _ in range(n)]


def render(program: list[tuple[int, int, int]], style: list[dict[str, object]]) -> str:
    lines = ["v0 = 0"]
    for i, ((kind, a, b), how) in enumerate(zip(program, style, strict=True), start=1):
        text = STATEMENTS[kind].format(i=i, a=a, b=b)
        if how["parens"]:
            text = re.sub(rf"= {a}\b", f"= ({a})", text, count=1).replace("return ", "return (", 1)
            text = text + ")" if "return (" in text else text
        if how["spaces"]:
            text = text.replace(" + ", "  +   ").replace(" = ", " =  ").replace(", ", " ,")
        if how["doc"] is not None and kind in (2, 4):  # a docstring in the def or class
            head, _, body = text.partition("\n")
            text = f"{head}\n    {how['doc']!r}\n{body}"
        out = text.split("\n")
        if how["trailing"] is not None:
            out[0] += "  # " + str(how["trailing"])
        if how["comment"] is not None:
            out.insert(1 if len(out) > 1 else 0, "        # " + str(how["comment"]))
        lines.extend([""] * int(how["blank"]) + out)
    return "\n".join(lines) + "\n"


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_code_hash_ignores_comments_formatting_and_docstrings(data: st.DataObject) -> None:
    program = data.draw(programs)
    one = render(program, data.draw(styles(len(program))))
    other = render(program, data.draw(styles(len(program))))
    assert digest(one) == digest(other), (one, other)
    assert digest(ast.unparse(ast.parse(one))) == digest(one)  # Python's own re-formatting


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_code_hash_sees_every_constant(data: st.DataObject) -> None:
    program = data.draw(programs)
    style = data.draw(styles(len(program)))
    where = data.draw(st.integers(0, len(program) - 1))
    kind, a, b = program[where]
    changed = list(program)
    changed[where] = (kind, a, b + 1)
    assert digest(render(program, style)) != digest(render(changed, style))


# -- examples ------------------------------------------------------------------------------
def test_pinned_normalized_digest() -> None:
    # The same on every Python version acbuild supports (checked on 3.10 to 3.13): a
    # change here changes every job id, so it must be deliberate.
    source = 'def f(a, b=1, *c, d, **e) -> int:\n    """doc"""\n    return f"{a!r:>{b}}x" + u"é"\n'
    assert digest(source) == "541f7049b91300fd19a45c4e4301ff22834e2faa8b3cad38d580ffece84b4acf"


def test_stable_dump_leaves_out_empty_fields_and_spelling() -> None:
    assert stable_dump(ast.parse("x = u'a'")) == stable_dump(ast.parse("x = 'a'"))
    assert "type_ignores" not in stable_dump(ast.parse("pass"))
    assert "\\xe9" in stable_dump(ast.parse("x = 'é'"))  # ascii: no Unicode-version drift
    assert stable_dump(ast.parse("f'a' f'{x}' 'b'")) == stable_dump(ast.parse("f'a{x}b'"))


def test_docstrings_are_not_code_but_other_strings_are() -> None:
    assert digest('def f():\n    "one"\n    return 1\n') == digest("def f():\n    return 1\n")
    assert digest('"""module doc"""\nx = 1\n') == digest("x = 1\n")
    assert digest('x = 1\n"not a docstring"\n') != digest("x = 1\n")
    assert digest("x = 'a'\n") != digest("x = 'b'\n")


def test_equivalent_hashes_declaration_is_not_code() -> None:
    plain = normalized_digest(ast.parse("x = 1\n"), drop_equivalent=True)
    declared = normalized_digest(ast.parse(f'x = 1\nequivalent_hashes = {{"{"a" * 64}": '
                                           f'"{"b" * 64}"}}\n'), drop_equivalent=True)
    assert plain == declared


def test_module_imports_resolves_relative_and_dotted_names() -> None:
    tree = ast.parse("import a.b.c\nfrom . import sib\nfrom ..up import thing\n"
                     "def f():\n    import inner\n")
    names = module_imports(tree, "pkg.sub")
    assert names == ["a", "a.b", "a.b.c", "pkg.sub", "pkg.sub.sib", "pkg.up", "pkg.up.thing",
                     "inner"]
    assert module_imports(ast.parse("from . import x\n"), None) == []


# -- CodeHasher on files -------------------------------------------------------------------
@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "methods").mkdir()
    (tmp_path / "lib").mkdir()
    files = {
        "methods/m.py": "import json\nimport click\nimport _a\nfrom lib import tool\n"
                        "def synthesis():\n    return _a.f() + tool.g()\n",
        "methods/_a.py": "import _b\ndef f():\n    return _b.K\n",
        "methods/_b.py": "K = 1\n",
        "methods/other.py": "def synthesis():\n    return 2\n",
        "lib/__init__.py": "",
        "lib/tool.py": "def g():\n    return 3\n",
        "methods/schema.json": '{"a": 1}',
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def code(root: Path, name: str, extra: tuple[object, ...] = ()) -> tuple[str, dict[str, bytes],
                                                                          tuple[str, ...]]:
    path = root / "methods" / f"{name}.py"
    result = CodeHasher(root).method_code(name, path, path.read_bytes(), extra)
    return result.hash, result.sources, result.external


def test_local_imports_are_followed_transitively(tree: Path) -> None:
    first, sources, external = code(tree, "m")
    assert sorted(sources) == ["lib/__init__.py", "lib/tool.py", "methods/_a.py",
                               "methods/_b.py", "methods/m.py"]
    assert external == ("click",)  # json is stdlib: neither hashed nor listed
    (tree / "methods/_b.py").write_text("K = 2\n")
    assert code(tree, "m")[0] != first
    (tree / "methods/_b.py").write_text("# a comment\n\nK = 1\n")
    assert code(tree, "m")[0] == first
    (tree / "lib/tool.py").write_text("def g():\n    return 4\n")
    assert code(tree, "m")[0] != first


def test_the_methods_own_directory_comes_before_the_project_root(tree: Path) -> None:
    (tree / "_b.py").write_text("K = 'root'\n")  # shadowed by methods/_b.py, as in the job
    before = code(tree, "m")[0]
    (tree / "_b.py").write_text("K = 'changed'\n")
    assert code(tree, "m")[0] == before


def test_depend_extra_files_and_modules(tree: Path) -> None:
    plain = code(tree, "other")[0]
    with_file, sources, _ = code(tree, "other", ("schema.json",))
    assert with_file != plain and "methods/schema.json" in sources
    (tree / "methods/schema.json").write_text('{"a": 2}')
    assert code(tree, "other", ("schema.json",))[0] != with_file
    # A local module (say, one imported with importlib) is followed with its own imports.
    module = types.ModuleType("_a")
    module.__file__ = str(tree / "methods/_a.py")
    with_module, sources, _ = code(tree, "other", (module,))
    assert {"methods/_a.py", "methods/_b.py"} <= set(sources)
    (tree / "methods/_b.py").write_text("K = 3\n")
    assert code(tree, "other", (module,))[0] != with_module


def test_depend_extra_errors_name_the_method(tree: Path) -> None:
    with pytest.raises(MethodError, match="cannot read .*missing.json"):
        code(tree, "other", ("missing.json",))
    with pytest.raises(MethodError, match="is a directory"):
        code(tree, "other", (".",))
    with pytest.raises(MethodError, match="file names or modules"):
        code(tree, "other", (42,))


# -- equivalent_hashes -------------------------------------------------------------------
def test_equivalent_hashes_maps_the_current_hash_and_chains() -> None:
    v1, v2, v3 = "1" * 64, "2" * 64, "3" * 64
    path = Path("methods/m.py")

    def declared(value: object) -> types.ModuleType:
        module = types.ModuleType("m")
        module.equivalent_hashes = value  # type: ignore[attr-defined]
        return module

    assert _equivalent(types.ModuleType("m"), v3, path) == (v3, ())
    assert _equivalent(declared({v3: v2, v2: v1}), v3, path) == (v1, ())
    assert _equivalent(declared({v2: v3, v3: v2}), v3, path) == (v2, ())  # a loop ends
    identity, warnings = _equivalent(declared({v2: v1}), v3, path)
    assert identity == v3 and "does not name the current code hash" in warnings[0]
    for bad in ([v1], {v3: [v1]}, {v3: "abc"}, {v3: "A" * 64}):
        with pytest.raises(MethodError, match="64-digit hex"):
            _equivalent(declared(bad), v3, path)


# -- directories -----------------------------------------------------------------------------
def test_hash_tree_covers_names_and_contents_and_ends_on_symlink_loops(tmp_path: Path) -> None:
    root = tmp_path / "d"
    (root / "sub").mkdir(parents=True)
    (root / "a").write_text("1")
    (root / "sub" / "b").write_text("2")
    first = hashing.hash_tree(root)
    (root / "sub" / "b").rename(root / "sub" / "c")
    assert hashing.hash_tree(root) != first
    (root / "sub" / "c").rename(root / "sub" / "b")
    assert hashing.hash_tree(root) == first
    (root / "sub" / "loop").symlink_to(root)
    seen: list[str] = []
    hashing.hash_tree(root, lambda p: seen.append(p.name) or hashing.hash_file(p))
    assert sorted(seen) == ["a", "b"]


def test_a_helper_only_in_another_methods_directory_is_hashed_too(tree: Path) -> None:
    (tree / "more").mkdir()
    (tree / "more/_far.py").write_text("X = 1\n")
    (tree / "methods/far.py").write_text("import _far\ndef synthesis():\n    return _far.X\n")
    path = tree / "methods/far.py"
    hasher = CodeHasher(tree, [tree / "methods", tree / "more"])
    first = hasher.method_code("far", path, path.read_bytes(), ())
    assert "more/_far.py" in first.sources
    (tree / "more/_far.py").write_text("X = 2\n")
    hasher = CodeHasher(tree, [tree / "methods", tree / "more"])
    assert hasher.method_code("far", path, path.read_bytes(), ()).hash != first.hash
