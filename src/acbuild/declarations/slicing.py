"""Which top-level statements of a module make the names asked for: a backward slice.

Only simple statements are taken: assignments, imports, ``del`` and expressions that
may change a value taken (``options.update(...)``). A name that a ``def``, a ``class``,
an ``if``, a ``for``, a ``try``, a ``with``, a star import or a ``global`` may set or
change cannot be read without running the module: ``NeedsImport`` says which and where.
Names that may share an object (``base = options``, ``options = {"x": SHARED}``) are
followed together, so a change made through one of them is taken too. Pure syntax: runs
nothing, imports nothing.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterable

_SIMPLE = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.Expr,
           ast.Delete, ast.Pass)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_BUILTINS = frozenset(dir(builtins))
# Builtins that change nothing they are handed.
_READ_ONLY = frozenset({"print", "len", "repr", "str", "bool", "int", "float", "list", "tuple",
                        "dict", "set", "frozenset", "sorted", "isinstance", "type", "min",
                        "max", "sum", "any", "all", "format", "id", "hash"})


Star = Callable[[ast.ImportFrom], "frozenset[str] | None"]


class NeedsImport(Exception):
    """What cannot be read from the source alone; ``where`` is ``file:line``."""

    def __init__(self, reason: str, where: str):
        super().__init__(reason)
        self.reason = reason
        self.where = where


def select(body: list[ast.stmt], wanted: Iterable[str], path: str,
           star: Star | None = None) -> list[ast.stmt]:
    """The statements of ``body`` that make ``wanted``, in their order. ``star`` says which
    names a star import binds, when it can tell: it is then taken as the import of those
    of them that are needed."""
    values = _assigned(body)
    groups = _sharing(body, values)
    needed = set(wanted)
    chosen: list[ast.stmt] = []
    for stmt in reversed(body):
        if _is_star(stmt) and star is not None:
            stmt = _named(stmt, star(stmt), needed)  # type: ignore[arg-type]
        reach = _widen(needed, groups)
        simple = isinstance(stmt, _SIMPLE) and not _is_star(stmt)
        touched = ((binds(stmt) if simple else opaque_binds(stmt)) & needed
                   ) | (_changes(stmt, values) & reach)
        if simple and touched:
            chosen.append(stmt)
            needed = (needed - _kills(stmt)) | loads(stmt)
        elif not simple and (touched or (_is_star(stmt) and needed - _BUILTINS)):
            name = min(touched) if touched else min(needed - _BUILTINS)
            raise NeedsImport(f"{name!r} may be set or changed by the {_kind(stmt)} at line "
                              f"{stmt.lineno}", f"{path}:{stmt.lineno}")
    shared = _widen(needed | set(wanted), groups) & _globals_of_functions(body)
    if shared:
        raise NeedsImport(f"{min(shared)!r} is declared global in a function, which may "
                          "change it", path)
    return chosen[::-1]


def _named(stmt: ast.ImportFrom, names: frozenset[str] | None,
           needed: set[str]) -> ast.stmt:
    """A star import as the import of the needed names it binds (a ``pass`` if none), or
    as it is when which names it binds is not known."""
    if names is None:
        return stmt
    hit = sorted(names & needed)
    if not hit:
        return ast.copy_location(ast.Pass(), stmt)
    aliases = [ast.copy_location(ast.alias(name=n), stmt) for n in hit]
    return ast.copy_location(ast.ImportFrom(module=stmt.module, level=stmt.level,
                                            names=aliases), stmt)


def public_names(tree: ast.Module) -> frozenset[str] | None:
    """The names ``from module import *`` binds, from the module's tree: its ``__all__``
    when that is one literal, else every top-level name without a leading underscore;
    None when it cannot tell (a star import of its own, an ``__all__`` computed or
    changed)."""
    bound: set[str] = set()
    declared: list[ast.stmt] = []
    for stmt in tree.body:
        if _is_star(stmt):
            return None
        names = binds(stmt) if isinstance(stmt, _SIMPLE) else opaque_binds(stmt)
        bound |= names
        if "__all__" in names | _changes(stmt, {"__all__"}):
            declared.append(stmt)
    if not declared:
        return frozenset(n for n in bound if not n.startswith("_"))
    only = declared[0]
    if len(declared) > 1 or not isinstance(only, ast.Assign):
        return None
    try:
        listed = ast.literal_eval(only.value)
    except ValueError:
        return None
    if not isinstance(listed, (list, tuple)) or not all(isinstance(n, str) for n in listed):
        return None
    return frozenset(listed)


def binds(stmt: ast.stmt) -> set[str]:
    """The module-level names a simple statement binds (or unbinds)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {_alias_name(a, stmt) for a in stmt.names}
    found: set[str] = set()
    for node in _walk_scope(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
    return found


def loads(stmt: ast.stmt) -> set[str]:
    """The names a statement reads (a name bound inside a comprehension or a lambda is
    its own, not the module's)."""
    read: set[str] = set()
    local: set[str] = set()
    if isinstance(stmt, ast.AnnAssign):  # the annotation is not run for the value's sake
        return loads(ast.Assign(targets=[stmt.target], value=stmt.value)) if stmt.value else set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            read.add(node.id)
        elif isinstance(node, ast.comprehension):
            local |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
        elif isinstance(node, ast.Lambda):
            local |= {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        read.add(stmt.target.id)  # x += 1 reads x
    return read - local


def _kills(stmt: ast.stmt) -> set[str]:
    """The names a statement binds anew, whatever they held before."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return binds(stmt)
    targets = stmt.targets if isinstance(stmt, ast.Assign) else (
        [stmt.target] if isinstance(stmt, ast.AnnAssign) and stmt.value is not None else [])
    return {n.id for t in targets for n in _unpacked(t)}


def _unpacked(target: ast.expr) -> list[ast.Name]:
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for item in target.elts for n in _unpacked(item)]
    if isinstance(target, ast.Starred):
        return _unpacked(target.value)
    return []


def _changes(stmt: ast.stmt, values: set[str]) -> set[str]:
    """Names whose object a statement may change as the module runs: ``x[k] = …``,
    ``x.a = …``, ``x += …``, ``del x[k]``, and, for names bound by assignment (values, not
    the modules and classes that imports bind), ``x.update(…)`` or a call handed ``x``."""
    changed: set[str] = set()
    for node in _walk_scope(stmt, into_classes=True):
        if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(
                node.ctx, (ast.Store, ast.Del)):
            changed |= _roots(node.value)
        elif isinstance(node, ast.AugAssign):
            changed |= _roots(node.target)
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                changed |= _roots(node.func.value) & values
            if isinstance(node.func, ast.Name) and node.func.id in _READ_ONLY:
                continue  # print(options) changes nothing
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                changed |= _handed(arg) & values
    return changed


def _handed(arg: ast.expr) -> set[str]:
    """The names whose objects an argument hands over: not the functions it calls, nor
    what it hands to a builtin that makes something new of it (``len(options)``)."""
    names: set[str] = set()
    pending: list[ast.AST] = [arg]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in _READ_ONLY:
                continue
            pending.extend([*node.args, *(k.value for k in node.keywords)])
            if isinstance(node.func, ast.Attribute):
                pending.append(node.func.value)  # x.copy() hands over x
        elif isinstance(node, ast.Name):
            names.add(node.id)
        else:
            pending.extend(ast.iter_child_nodes(node))
    return names


def _assigned(body: list[ast.stmt]) -> set[str]:
    """Names some top-level assignment binds: values (imports bind modules and classes)."""
    return {name for stmt in body if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign))
            for name in binds(stmt)}


def _roots(node: ast.expr) -> set[str]:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return {node.id} if isinstance(node, ast.Name) else set()


def _sharing(body: list[ast.stmt], values: set[str]) -> dict[str, set[str]]:
    """Value name -> every value name that may hold (part of) the same object, over the
    whole module: an assignment that binds some values from others joins them all."""
    group: dict[str, set[str]] = {}
    for stmt in body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            joined = (binds(stmt) | loads(stmt)) & values
            merged = set(joined).union(*(group.get(n, set()) for n in joined))
            for name in merged:
                group[name] = merged
    return group


def _widen(names: set[str], groups: dict[str, set[str]]) -> set[str]:
    return names.union(*(groups.get(n, set()) for n in names))


def _is_star(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names)


def _alias_name(alias: ast.alias, stmt: ast.Import | ast.ImportFrom) -> str:
    if alias.asname:
        return alias.asname
    return alias.name.split(".")[0] if isinstance(stmt, ast.Import) else alias.name


def opaque_binds(stmt: ast.stmt) -> set[str]:
    """Every module-level name a compound statement, a def or a class may bind."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    found: set[str] = set()
    for node in _walk_scope(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found |= {_alias_name(a, node) for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
    return found


def _walk_scope(node: ast.AST, into_classes: bool = False) -> list[ast.AST]:
    """The nodes that run with the module: a function's body (and a lambda's, and a
    comprehension's) runs later, or in a scope of its own; its decorators and defaults
    run now. A class body runs now, in a scope of its own (``into_classes``)."""
    found: list[ast.AST] = []
    pending: list[ast.AST] = [node]
    while pending:
        current = pending.pop()
        found.append(current)
        if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef)):
            pending.extend([*current.decorator_list, *current.args.defaults,
                            *(d for d in current.args.kw_defaults if d is not None)])
        elif isinstance(current, ast.Lambda):
            pending.extend([*current.args.defaults,
                            *(d for d in current.args.kw_defaults if d is not None)])
        elif isinstance(current, ast.ClassDef) and not into_classes:
            pending.extend([*current.decorator_list, *current.bases,
                            *(k.value for k in current.keywords)])
        elif isinstance(current, _COMPREHENSIONS) and not into_classes:
            pending.extend(g.iter for g in current.generators[:1])
        else:
            pending.extend(ast.iter_child_nodes(current))
    return found


def _globals_of_functions(body: list[ast.stmt]) -> set[str]:
    """Names some function declares ``global``: calling it may rebind them."""
    return {name for stmt in body for node in ast.walk(stmt) if isinstance(node, ast.Global)
            for name in node.names}


def _kind(stmt: ast.stmt) -> str:
    kinds = {ast.FunctionDef: "def", ast.AsyncFunctionDef: "async def", ast.ClassDef: "class",
             ast.If: "if statement", ast.For: "for loop", ast.While: "while loop",
             ast.Try: "try statement", ast.With: "with statement"}
    if _is_star(stmt):
        return "star import"
    return kinds.get(type(stmt), f"{type(stmt).__name__.lower()} statement")
