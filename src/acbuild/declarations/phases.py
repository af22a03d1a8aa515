"""The phases a method defines and the parameters each takes, read from its ``def``s.

Which phases exist decides whether slices are part of a job's identity, so this is read
from the syntax tree like every declaration: a phase is a plain top-level ``def``. A
phase name bound any other way (an import, an assignment, a decorator, a ``def`` inside
an ``if``) cannot be read without running the module and raises ``NeedsImport``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from acbuild.declarations.slicing import NeedsImport, Star, binds, opaque_binds
from acbuild.errors import MethodError

PHASES = ("prepare", "analysis", "synthesis")
PHASE_PARAMETERS = {
    "prepare": {"job", "options", "jobs", "slices", "params"},
    "analysis": {"job", "options", "jobs", "slices", "params", "sliceno", "prepare_res"},
    "synthesis": {"job", "options", "jobs", "slices", "params", "prepare_res", "analysis_res"},
}
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SIMPLE = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Import, ast.Expr, ast.Delete)


def read_phases(tree: ast.Module, path: Path, star: Star | None = None
                ) -> tuple[str, ...]:
    """The phases ``tree`` defines, in their order; a parameter acbuild cannot give is a
    MethodError naming the ``def``'s line. ``star``: the names a star import binds."""
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for stmt in tree.body:
        if isinstance(stmt, _DEFS) and stmt.name in PHASES and not stmt.decorator_list:
            defs[stmt.name] = stmt
            continue
        is_star = isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names)
        if is_star:
            named = star(stmt) if star is not None else None  # type: ignore[arg-type]
            bound = set(PHASES) if named is None else set(named)
        else:
            bound = binds(stmt) if isinstance(stmt, (*_SIMPLE, ast.ImportFrom)) else (
                opaque_binds(stmt))
        found = sorted(bound.intersection(PHASES))
        if found:
            how = "a decorated def" if isinstance(stmt, _DEFS) else "not a plain def"
            raise NeedsImport(f"{found[0]!r} at line {stmt.lineno} is {how}",
                              f"{path}:{stmt.lineno}")
    for phase, node in defs.items():
        _check_parameters(node, phase, path)
    return tuple(p for p in PHASES if p in defs)


def _check_parameters(node: ast.FunctionDef | ast.AsyncFunctionDef, phase: str,
                      path: Path) -> None:
    allowed = PHASE_PARAMETERS[phase]
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    names += [args.vararg.arg] if args.vararg else []
    names += [a.arg for a in args.kwonlyargs]
    names += [args.kwarg.arg] if args.kwarg else []
    for name in names:
        if name not in allowed:
            raise MethodError(
                f"{phase}() takes a parameter {name!r} that acbuild cannot give; "
                f"{phase} may take: {', '.join(sorted(allowed))}",
                where=f"{path}:{node.lineno}")


def description(tree: ast.Module) -> str:
    """The first line of the module's docstring (what ``acbuild methods`` shows), or of
    its ``description = "..."``, as the Accelerator's methods write it."""
    text = ast.get_docstring(tree)
    if text is None:
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id == "description"
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                text = node.value.value
    return (text or "").strip().split("\n")[0]
