"""The code hash of a method: its file, its project-local imports, its ``depend_extra``.

Python files are hashed as their syntax tree with docstrings removed (and, in
the method file, the ``equivalent_hashes`` declaration), so comments, blank
lines, formatting and docstrings are not code. The tree is written out in a
form of our own, not ``ast.dump``, whose text changes between Python versions:
the hash is the same on every Python acbuild supports.

Local modules are found by reading import statements and following them
through the project, resolved as the job's process resolves them (the method's
own directory first, then the project root, then other methods directories), so
a user never has to list a helper in ``depend_extra``. Names in the hash are
module names and method-relative paths, never absolute paths: the hash is the
same in every checkout.
"""

from __future__ import annotations

import ast
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from acbuild import canonical, hashing
from acbuild.errors import MethodError

EQUIVALENT_NAME = "equivalent_hashes"
_DOCSTRING_OWNERS = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class MethodCode:
    """A method's code hash, and what it was computed from."""

    hash: str
    sources: dict[str, bytes]  # project-relative path -> bytes, for the job's source/ copy
    external: tuple[str, ...]  # top-level names of non-local, non-stdlib imports


@dataclass(frozen=True)
class _Module:
    """One parsed Python file: its digest and what it imports."""

    name: str
    path: Path
    digest: str
    source: bytes
    imports: tuple[str, ...]


class CodeHasher:
    """Hashes methods' code; local modules are parsed once and shared between methods."""

    def __init__(self, project_root: Path, methods_dirs: Sequence[Path] = ()):
        self.project_root = project_root
        self.methods_dirs = tuple(methods_dirs)
        self._modules: dict[tuple[tuple[Path, ...], str], _Module | None] = {}

    def method_code(self, name: str, path: Path, source: bytes,
                    depend_extra: Sequence[object]) -> MethodCode:
        # The job's sys.path, in its order. Other methods directories come last: a job may
        # find them on sys.path too (its process has run other methods), and a module
        # hashed needlessly costs nothing, while one missed could leave a job stale.
        others = tuple(d for d in self.methods_dirs if d not in (path.parent, self.project_root))
        roots = (path.parent, self.project_root, *others)
        tree = _parse(path, source)  # a tree of our own: _strip changes it
        imports = module_imports(tree, None)
        sources = {self._relpath(path): source}
        extra = {}
        for entry in depend_extra:
            if isinstance(entry, ModuleType) and self._is_local(entry, roots):
                imports.append(entry.__name__)  # followed like an import, its helpers too
                continue
            key, extra_path = self._extra(entry, path)
            data = _read(extra_path, path)
            extra[key] = _source_digest(extra_path, data)
            sources[self._relpath(extra_path)] = data
        digests: dict[str, str] = {}
        external: set[str] = set()
        for module in self._local_closure(imports, roots, external):
            digests[module.name] = module.digest
            sources[self._relpath(module.path)] = module.source
        record = {
            "method": name,
            "code": normalized_digest(tree, drop_equivalent=True),
            "modules": digests,
            "extra": extra,
        }
        digest = hashing.hash_bytes(canonical.encode(record))
        return MethodCode(digest, sources, tuple(sorted(external)))

    def _local_closure(self, names: list[str], roots: tuple[Path, ...],
                       external: set[str]) -> list[_Module]:
        seen: dict[str, _Module] = {}
        pending = list(names)
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            module = self._module(name, roots)
            if module is None:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "acbuild":
                    external.add(top)
                continue
            seen[name] = module
            pending.extend(module.imports)
        return [seen[n] for n in sorted(seen)]

    def _module(self, name: str, roots: tuple[Path, ...]) -> _Module | None:
        key = (roots, name)
        if key not in self._modules:
            self._modules[key] = _find_module(name, roots)
        return self._modules[key]

    def _is_local(self, module: ModuleType, roots: tuple[Path, ...]) -> bool:
        found = self._module(module.__name__, roots)
        file = getattr(module, "__file__", None)
        return found is not None and file is not None and (
            Path(file).resolve() == found.path.resolve())

    def _extra(self, entry: object, method_path: Path) -> tuple[str, Path]:
        if isinstance(entry, ModuleType):
            file = getattr(entry, "__file__", None)
            if not file:
                raise MethodError(f"depend_extra: module {entry.__name__} has no file",
                                  where=str(method_path))
            return f"module:{entry.__name__}", Path(file)
        if isinstance(entry, (str, Path)):
            return f"file:{Path(entry).as_posix()}", method_path.parent / entry
        raise MethodError(f"depend_extra entries must be file names or modules, not {entry!r}",
                          where=str(method_path))

    def _relpath(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.project_root.resolve()).as_posix()
        except ValueError:
            return f"external/{path.name}"


def _find_module(name: str, roots: Sequence[Path]) -> _Module | None:
    """The project file that ``import name`` loads, parsed; None when it is not local."""
    parts = name.split(".")
    for root in roots:
        base = root.joinpath(*parts)
        for candidate, is_package in ((base.with_suffix(".py"), False),
                                      (base / "__init__.py", True)):
            if candidate.is_file():
                source = _read(candidate, candidate)
                tree = _parse(candidate, source)
                package = name if is_package else name.rpartition(".")[0] or None
                imports = module_imports(tree, package)
                if "." in name:  # importing a.b runs a/__init__.py first
                    imports.append(name.rpartition(".")[0])
                return _Module(name, candidate, normalized_digest(tree), source, tuple(imports))
    return None


def module_imports(tree: ast.Module, package: str | None) -> list[str]:
    """The module names an import statement anywhere in ``tree`` may load."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                names.extend(".".join(parts[: i + 1]) for i in range(len(parts)))
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, package)
            if base is None:
                continue
            if base:
                names.append(base)
            # `from pkg import mod` may import a submodule.
            names.extend(f"{base}.{a.name}" if base else a.name for a in node.names
                         if a.name != "*")
    return names


def _absolute(module: str | None, level: int, package: str | None) -> str | None:
    if level == 0:
        return module
    if package is None:
        return None  # a relative import outside a package cannot be resolved
    parts = package.split(".")
    if level - 1 > len(parts):
        return None
    base = ".".join(parts[: len(parts) - (level - 1)])
    return f"{base}.{module}" if module and base else (module or base)


def normalized_digest(tree: ast.Module, drop_equivalent: bool = False) -> str:
    """A digest of what the code does: no comments, formatting or docstrings. Changes ``tree``."""
    return hashing.hash_bytes(stable_dump(_strip(tree, drop_equivalent)).encode())


def stable_dump(node: object) -> str:
    """A syntax tree as text, the same on every Python version.

    ``ast.dump`` lists fields that newer Pythons added (``type_params=[]``) or
    omits empty ones (3.13), so its text differs between versions. Here a field
    that is None or an empty list is left out, which is unambiguous because
    every field present is named. A string's ``u`` prefix (``Constant.kind``)
    is spelling, not code. An f-string's literal parts are joined and empty
    ones dropped, as Pythons split them differently (3.12 adds empty ones).
    """
    if isinstance(node, ast.AST):
        fields = []
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(node, ast.JoinedStr) and name == "values":
                value = _joined_parts(node.values)
            if value is None or value == [] or (name == "kind" and isinstance(node, ast.Constant)):
                continue
            fields.append(f"{name}={stable_dump(value)}")
        return f"{type(node).__name__}({','.join(fields)})"
    if isinstance(node, list):
        return f"[{','.join(stable_dump(item) for item in node)}]"
    return ascii(node)  # not repr: which characters it escapes follows the Unicode version


def _joined_parts(values: list[ast.expr]) -> list[object]:
    parts: list[object] = []
    for value in values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            if parts and isinstance(parts[-1], str):
                parts[-1] += value.value
            elif value.value:
                parts.append(value.value)
        else:
            parts.append(value)
    return [ast.Constant(p) if isinstance(p, str) else p for p in parts]


def _strip(tree: ast.Module, drop_equivalent: bool) -> ast.Module:
    """Remove docstrings (and the equivalence declaration) in place."""
    for node in ast.walk(tree):
        if isinstance(node, _DOCSTRING_OWNERS) and node.body and _is_docstring(node.body[0]):
            node.body = node.body[1:] or [ast.Pass()]
    if drop_equivalent:
        tree.body = [n for n in tree.body if not _assigns(n, EQUIVALENT_NAME)]
    return tree


def _is_docstring(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _assigns(node: ast.stmt, name: str) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else (
        [node.target] if isinstance(node, ast.AnnAssign) else [])
    return any(isinstance(t, ast.Name) and t.id == name for t in targets)


def _source_digest(path: Path, data: bytes) -> str:
    if path.suffix == ".py":
        return normalized_digest(_parse(path, data))
    return hashing.hash_bytes(data)


def _parse(path: Path, source: bytes) -> ast.Module:
    try:
        return ast.parse(source, filename=str(path))
    except SyntaxError as e:
        raise MethodError(f"syntax error: {e.msg}", where=f"{path}:{e.lineno}") from None


def _read(path: Path, referrer: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError
        if not stat.S_ISREG(mode):  # reading a FIFO would wait for a writer forever
            raise MethodError(f"depend_extra: {path} is not a regular file (a FIFO, socket "
                              "or device)", where=str(referrer))
        return path.read_bytes()
    except IsADirectoryError:
        raise MethodError(f"depend_extra: {path} is a directory; list its files",
                          where=str(referrer)) from None
    except OSError as e:
        raise MethodError(f"cannot read {path}: {e.strerror}", where=str(referrer)) from None
