"""Running just the statements that make a method's declarations (chosen by ``slicing``).

They run in a fresh namespace whose ``__import__`` is our own. A standard-library
module and acbuild are imported as usual. A project module is not run: a stand-in
answers for it, reading each name asked of it the same way, from just the statements
that make that name. A third-party module is never imported: naming it is fine
(``depend_extra = (numpy,)``), using what is in it raises ``NeedsImport``, and so does
anything the statements raise (the caller imports the method instead, which then says
what is wrong exactly as before, or reads what we could not).
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from acbuild.codehash import LocalModule, ModuleRef, absolute_module, installed_file
from acbuild.declarations.purity import Origins, is_pure
from acbuild.declarations.slicing import NeedsImport, Star, public_names, select

Locate = Callable[[str], "LocalModule | None"]
_REAL_IMPORT = builtins.__import__


class Evaluated:
    """The values of the names asked for (those the module binds), whether they are a
    function of the code alone (see ``purity``), and the project modules they were read
    from (a value may be kept by code hash only when the code hash covers those)."""

    __slots__ = ("modules", "pure", "values")

    def __init__(self, values: dict[str, Any], pure: bool, modules: frozenset[str]):
        self.values, self.pure, self.modules = values, pure, modules


def evaluate(tree: ast.Module, path: Path, module: str, wanted: Iterable[str],
             locate: Locate) -> Evaluated:
    """The values ``tree`` (the method file at ``path``) binds to ``wanted``."""
    run = _Run(locate)
    values = run.names(tree, path, module, None, set(wanted))
    return Evaluated(values, run.pure, frozenset(name for name, _ in run.read))


def star_names(locate: Locate, package: str | None = None) -> Star:
    """What tells ``slicing`` (and ``phases``) the names a star import binds."""
    return functools.partial(_Run(locate).star_names, package=package)


def module_refs(value: Any) -> Any:
    """``value`` with each stand-in for a module that is a list's or tuple's item turned into
    a ``ModuleRef``, as ``depend_extra`` is read."""
    if isinstance(value, (list, tuple)):
        return type(value)(ModuleRef(v.name) if isinstance(v, _StandIn) else v for v in value)
    return value


class _Run:
    """One reading of a method's declarations: what it imports, and whether it is pure."""

    def __init__(self, locate: Locate):
        self.locate = locate
        self.pure = True
        self.builtins = {**builtins.__dict__, "__import__": self.import_}
        self._trees: dict[str, ast.Module] = {}
        self._values: dict[tuple[str, str], Any] = {}
        self.read = self._values.keys()  # (project module, name) read so far
        self._reading: set[tuple[str, str]] = set()

    def names(self, tree: ast.Module, path: Path, module: str, package: str | None,
              wanted: set[str]) -> dict[str, Any]:
        star = functools.partial(self.star_names, package=package)
        chosen = [_unannotated(s) for s in select(tree.body, wanted, str(path), star)]
        if self.pure and not is_pure(chosen, self._origins(chosen, package)):
            self.pure = False
        namespace: dict[str, Any] = {"__name__": module, "__file__": str(path),
                                     "__package__": package, "__builtins__": self.builtins}
        code = compile(ast.Module(body=chosen, type_ignores=[]), str(path), "exec")
        try:
            exec(code, namespace)
        except NeedsImport as e:
            e.where = e.where or _line(e, path)
            raise
        except (Exception, SystemExit) as e:
            raise NeedsImport(f"reading it raised {type(e).__name__}: {e}",
                              _line(e, path)) from None
        return {name: namespace[name] for name in wanted if name in namespace}

    def import_(self, name: str, globals: dict[str, Any] | None = None, locals: Any = None,
                fromlist: Any = (), level: int = 0) -> Any:
        """``__import__`` for the statements we run: see the module's docstring."""
        if level:
            name = absolute_module(name or None, level, (globals or {}).get("__package__")) or ""
            if not name:
                raise ImportError("attempted relative import with no known parent package")
        top = name.split(".")[0]
        if self.locate(top) is not None:
            return _Local(self, name if fromlist else top)
        if _standard(top):
            return _REAL_IMPORT(name, None, None, fromlist, 0)
        return _Outside(name if fromlist else top)

    def star_names(self, stmt: ast.ImportFrom, package: str | None) -> frozenset[str] | None:
        """The names ``stmt`` (``from module import *``) binds; None when not known without
        running a project or third-party module."""
        module = absolute_module(stmt.module, stmt.level, package)
        if not module:
            return None
        local = self.locate(module)
        if local is not None:
            return public_names(self._tree(local))
        top = module.split(".")[0]
        if self.locate(top) is not None or not _standard(top):
            return None
        try:
            real = importlib.import_module(module)
        except ImportError:
            return None
        listed = getattr(real, "__all__", None)
        if listed is not None:
            return frozenset(listed)
        return frozenset(n for n in vars(real) if not n.startswith("_"))

    def attribute(self, module: str, attr: str) -> Any:
        """What the project module ``module`` binds to ``attr``, read as a method is."""
        key = (module, attr)
        if key not in self._values:
            local = self.locate(module)
            assert local is not None
            if key in self._reading:
                raise NeedsImport(f"{module}.{attr} is needed to read itself (an import cycle)",
                                  str(local.path))
            self._reading.add(key)
            try:
                values = self.names(self._tree(local), local.path, module, local.package,
                                    {attr})
            finally:
                self._reading.discard(key)
            if attr not in values:
                raise AttributeError(f"module {module!r} has no attribute {attr!r}")
            self._values[key] = values[attr]
        return self._values[key]

    def _tree(self, local: LocalModule) -> ast.Module:
        if local.name not in self._trees:
            self._trees[local.name] = ast.parse(local.source, filename=str(local.path))
        return self._trees[local.name]

    def _origins(self, chosen: list[ast.stmt], package: str | None) -> Origins:
        """Where each name the chosen import statements bind comes from."""
        origins: Origins = {}
        for stmt in chosen:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    dotted = alias.name if alias.asname else alias.name.split(".")[0]
                    origins[alias.asname or dotted] = (self._kind(dotted), dotted)
            elif isinstance(stmt, ast.ImportFrom):
                base = absolute_module(stmt.module, stmt.level, package) or ""
                for alias in stmt.names:
                    dotted = f"{base}.{alias.name}"
                    origins[alias.asname or alias.name] = (self._kind(dotted), dotted)
        return origins

    def _kind(self, dotted: str) -> str:
        top = dotted.split(".")[0]
        if self.locate(top) is not None:
            return "local"
        if top == "acbuild":
            return "acbuild"
        return "stdlib" if top in sys.stdlib_module_names else "outside"


class _StandIn:
    """A module the declarations name, without running it."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<module {self.name!r}>"


class _Local(_StandIn):
    """A project module: each name asked of it is read from its source."""

    def __init__(self, run: _Run, name: str):
        super().__init__(name)
        self._run = run

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        sub = f"{self.name}.{attr}"
        if self._run.locate(sub) is not None:
            return _Local(self._run, sub)
        return self._run.attribute(self.name, attr)


class _Outside(_StandIn):
    """A third-party module: named, never imported."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        sub = f"{self.name}.{attr}"
        if installed_file(sub) is not None:
            return _Outside(sub)
        top = self.name.split(".")[0]
        raise NeedsImport(f"reading it needs {sub}, from the third-party module {top}", "")


def _standard(top: str) -> bool:
    return top in sys.stdlib_module_names or top == "acbuild"


def _unannotated(stmt: ast.stmt) -> ast.stmt:
    """``x: T = v`` as ``x = v``: the annotation is not a declaration's, and evaluating it
    could need what the module imports only for type checking."""
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        return ast.copy_location(ast.Assign(targets=[stmt.target], value=stmt.value), stmt)
    return stmt


def _line(error: BaseException, path: Path) -> str:
    import traceback  # only on this path: reading declarations rarely fails

    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == str(path)]
    return f"{path}:{frames[-1].lineno}" if frames else str(path)
