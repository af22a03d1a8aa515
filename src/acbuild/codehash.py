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

# No ``from __future__ import annotations`` here: a named tuple's string annotations are
# compiled one by one when it is defined, at every start (issue 12, start-up).
import ast
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

from acbuild import canonical, hashing
from acbuild.errors import MethodError

EQUIVALENT_NAME = "equivalent_hashes"
_DOCSTRING_OWNERS = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class ModuleRef:
    """A module named in ``depend_extra`` and read from the source: by name, not imported."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModuleRef) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"<module {self.name!r}>"


class MethodCode(NamedTuple):  # not a dataclass: cheaper to make at import
    """A method's code hash, and what it was computed from."""

    hash: str
    sources: dict[str, bytes]  # project-relative path -> bytes, for the job's source/ copy
    external: tuple[str, ...]  # top-level names of non-local, non-stdlib imports
    # What importing the method imports for sure (unconditional top-level imports, followed
    # through local modules), outside the project: (top-level module name, "file:line").
    loads: tuple[tuple[str, str], ...] = ()
    local: frozenset[str] = frozenset()  # the project modules hashed, by name


class LocalModule:
    """A project file that an import statement of a method loads."""

    __slots__ = ("name", "package", "path", "source")

    def __init__(self, name: str, path: Path, source: bytes, package: str | None):
        self.name, self.path, self.source = name, path, source
        self.package = package  # what its relative imports are relative to


class _Module(NamedTuple):  # not a dataclass: cheaper to make at import
    """One parsed Python file: its digest and what it imports."""

    name: str
    path: Path
    digest: str
    source: bytes
    imports: tuple[str, ...]
    package: str | None
    loads: tuple[tuple[str, int], ...]  # unconditional top-level imports: (module, line)


class CodeHasher:
    """Hashes methods' code; local modules are parsed once and shared between methods."""

    def __init__(self, project_root: Path, methods_dirs: Sequence[Path] = ()):
        self.project_root = project_root
        self.methods_dirs = tuple(methods_dirs)
        self._modules: dict[tuple[tuple[Path, ...], str], _Module | None] = {}

    def roots(self, method_path: Path) -> tuple[Path, ...]:
        """Where a method's imports find project modules: the job's sys.path, in its order.

        Other methods directories come last: a job may find them on sys.path too (its process
        has run other methods), and a module hashed needlessly costs nothing, while one
        missed could leave a job stale.
        """
        others = tuple(d for d in self.methods_dirs
                       if d not in (method_path.parent, self.project_root))
        return (method_path.parent, self.project_root, *others)

    def local_module(self, name: str, method_path: Path) -> LocalModule | None:
        """The project file ``import name`` loads in the method's job; None when not local."""
        found = self._module(name, self.roots(method_path))
        return None if found is None else LocalModule(found.name, found.path, found.source,
                                                      found.package)

    def method_code(self, name: str, path: Path, source: bytes,
                    depend_extra: Sequence[object]) -> MethodCode:
        roots = self.roots(path)
        tree = _parse(path, source)  # a tree of our own: _strip changes it
        imports = module_imports(tree, None)
        loads = [(n, f"{path}:{line}") for n, line in top_level_imports(tree, None)]
        sources = {self._relpath(path): source}
        extra = {}
        for entry in depend_extra:
            if isinstance(entry, (ModuleType, ModuleRef)) and self._is_local(entry, roots):
                imports.append(entry.__name__ if isinstance(entry, ModuleType) else entry.name)
                continue  # followed like an import, its helpers too
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
        return MethodCode(digest, sources, tuple(sorted(external)),
                          tuple(self._outside(loads, roots)), frozenset(digests))

    def _outside(self, loads: list[tuple[str, str]], roots: tuple[Path, ...]
                 ) -> list[tuple[str, str]]:
        """The modules outside the project that importing the method surely imports."""
        outside: dict[str, str] = {}
        seen: set[str] = set()
        while loads:
            name, where = loads.pop()
            if name in seen:
                continue
            seen.add(name)
            module = self._module(name, roots)
            top = name.split(".")[0]
            if module is None:
                if not _builtin(top) and self._module(top, roots) is None:
                    outside.setdefault(top, where)
            else:
                loads.extend((n, f"{module.path}:{line}") for n, line in module.loads)
        return sorted(outside.items())

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
                # `from _util import NAME` asks for `_util.NAME` first: a local module's name
                if not _builtin(top) and self._module(top, roots) is None:
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

    def _is_local(self, module: ModuleType | ModuleRef, roots: tuple[Path, ...]) -> bool:
        if isinstance(module, ModuleRef):
            return self._module(module.name, roots) is not None
        found = self._module(module.__name__, roots)
        file = getattr(module, "__file__", None)
        return found is not None and file is not None and (
            Path(file).resolve() == found.path.resolve())

    def _extra(self, entry: object, method_path: Path) -> tuple[str, Path]:
        if isinstance(entry, (ModuleType, ModuleRef)):
            name = entry.__name__ if isinstance(entry, ModuleType) else entry.name
            file = getattr(entry, "__file__", None) if isinstance(entry, ModuleType) else (
                installed_file(name))
            if not file:
                raise MethodError(f"depend_extra: module {name} has no file",
                                  where=str(method_path))
            return f"module:{name}", Path(file)
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
                loads = top_level_imports(tree, package)
                if "." in name:  # importing a.b runs a/__init__.py first
                    imports.append(name.rpartition(".")[0])
                    loads.append((name.rpartition(".")[0], 1))
                return _Module(name, candidate, normalized_digest(tree), source, tuple(imports),
                               package, tuple(loads))
    return None


def _builtin(top: str) -> bool:
    """A module that comes with Python or acbuild: neither hashed nor a package version."""
    return top in sys.stdlib_module_names or top == "acbuild"


def installed_file(name: str) -> str | None:
    """The file of a module outside the project, found as an import would, without running
    it (a package's ``__init__``, or a module, the same file its ``__file__`` names)."""
    import importlib.machinery  # here: rarely needed (a third-party module in depend_extra)
    import importlib.util

    loaded = sys.modules.get(name)
    if loaded is not None:
        return getattr(loaded, "__file__", None)
    top, *rest = name.split(".")
    try:
        spec = importlib.util.find_spec(top)  # a top-level name: nothing is imported
    except (ImportError, ValueError):
        return None
    for part in rest:  # down a package without running its __init__
        if spec is None or not spec.submodule_search_locations:
            return None
        spec = importlib.machinery.PathFinder.find_spec(f"{spec.name}.{part}",
                                                        list(spec.submodule_search_locations))
    return spec.origin if spec and spec.has_location else None


def top_level_imports(tree: ast.Module, package: str | None) -> list[tuple[str, int]]:
    """The modules that running ``tree`` surely imports: its unconditional top-level import
    statements (not those in a function, a ``try`` or an ``if``), with their lines."""
    found: list[tuple[str, int]] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = absolute_module(node.module, node.level, package)
            if base:
                found.append((base, node.lineno))
    return found


def module_imports(tree: ast.Module, package: str | None) -> list[str]:
    """The module names an import statement anywhere in ``tree`` may load."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                names.extend(".".join(parts[: i + 1]) for i in range(len(parts)))
        elif isinstance(node, ast.ImportFrom):
            base = absolute_module(node.module, node.level, package)
            if base is None:
                continue
            if base:
                names.append(base)
            # `from pkg import mod` may import a submodule.
            names.extend(f"{base}.{a.name}" if base else a.name for a in node.names
                         if a.name != "*")
    return names


def absolute_module(module: str | None, level: int, package: str | None) -> str | None:
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
