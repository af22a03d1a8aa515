"""Whether the statements that make declarations are a function of the code alone.

Judged from the statements, never by running them: only literals, the builtins and
standard-library names listed here (types and constructors such as ``date(2020, 1, 1)``
or ``OrderedDict(...)``), acbuild's ``Required`` and ``Choice``, names from project
modules, and value methods that read nothing outside (``.copy()``, ``.split()``) count.
A call or a name outside these (the clock, the environment, a file, ``__file__``, a
function of the project) makes the declarations impure: they are then evaluated anew at
each planning instead of being kept by code hash. Erring towards impure costs time only.
"""

from __future__ import annotations

import ast

# Origins: bound name -> (kind, dotted name), kind one of "local", "stdlib", "acbuild",
# "outside" (third-party).
Origins = dict[str, tuple[str, str]]

_BUILTINS = frozenset({
    "int", "float", "str", "bool", "bytes", "complex", "list", "dict", "tuple", "set",
    "frozenset", "object", "range", "slice", "len", "sorted", "reversed", "min", "max", "sum",
    "abs", "round", "zip", "enumerate", "any", "all", "repr", "isinstance", "issubclass",
    "divmod", "pow", "chr", "ord", "hex", "oct", "bin", "format", "map", "filter", "type",
    "Ellipsis", "__name__",
})
_MODULES = frozenset({"math", "string", "fractions", "decimal", "collections", "itertools",
                      "operator"})
_NAMES = frozenset({
    "datetime", "datetime.date", "datetime.datetime", "datetime.time", "datetime.timedelta",
    "datetime.timezone", "datetime.timezone.utc", "datetime.date.fromisoformat",
    "datetime.datetime.fromisoformat", "datetime.time.fromisoformat",
    "datetime.datetime.combine", "datetime.date.min", "datetime.date.max",
    "pathlib", "pathlib.Path", "pathlib.PurePath", "pathlib.PurePosixPath",
    "pathlib.PureWindowsPath", "pathlib.PosixPath",
    "acbuild", "acbuild.Required", "acbuild.Choice", "acbuild.options",
    "acbuild.options.Required", "acbuild.options.Choice", "acbuild.JobWithFile",
    "acbuild.job.JobWithFile",
})
_METHODS = frozenset({
    "copy", "update", "setdefault", "pop", "popitem", "get", "items", "keys", "values",
    "fromkeys", "move_to_end", "append", "extend", "insert", "remove", "sort", "reverse",
    "index", "count", "split", "rsplit", "splitlines", "strip", "lstrip", "rstrip", "join",
    "format", "replace", "lower", "upper", "title", "capitalize", "casefold", "startswith",
    "endswith", "partition", "rpartition", "zfill", "ljust", "rjust", "center", "encode",
    "decode", "union", "intersection", "difference", "symmetric_difference", "add", "discard",
    "with_suffix", "with_name", "with_stem", "joinpath", "as_posix", "isoformat",
    "fromisoformat", "total_seconds",
})


def is_pure(statements: list[ast.stmt], origins: Origins) -> bool:
    """Whether running ``statements`` gives the same values in every process and place."""
    assigned = {n.id for stmt in statements if not isinstance(stmt, (ast.Import, ast.ImportFrom))
                for n in ast.walk(stmt) if isinstance(n, ast.Name)
                and isinstance(n.ctx, (ast.Store, ast.Del))}
    for stmt in statements:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            continue
        local = _comprehension_names(stmt)
        for node in ast.walk(stmt):
            if isinstance(node, ast.Lambda):
                return False
            if isinstance(node, ast.Call) and not _pure_call(node.func, origins, assigned):
                return False
            if isinstance(node, ast.Attribute) and not _pure_attribute(node, origins):
                return False
            if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
                    and node.id not in assigned and node.id not in local
                    and not _pure_name(node.id, origins)):
                return False
    return True


def _pure_name(name: str, origins: Origins) -> bool:
    if name in origins:
        kind, dotted = origins[name]
        return _pure_dotted(kind, dotted)
    return name in _BUILTINS


def _pure_dotted(kind: str, dotted: str) -> bool:
    if kind == "local":
        return True  # read the same way, and judged so, when its value is asked for
    if kind == "outside":
        return False
    return dotted in _NAMES or dotted.split(".")[0] in _MODULES


def _pure_attribute(node: ast.Attribute, origins: Origins) -> bool:
    """``math.pi`` or ``date.fromisoformat`` is pure, ``os.environ`` is not; an attribute
    of a value is."""
    dotted = _dotted(node, origins)
    return dotted is None or _pure_dotted(*dotted)


def _pure_call(func: ast.expr, origins: Origins, assigned: set[str]) -> bool:
    if isinstance(func, ast.Name):
        if func.id in origins:
            kind, dotted = origins[func.id]
            return kind != "local" and _pure_dotted(kind, dotted)
        return func.id not in assigned and func.id in _BUILTINS
    if isinstance(func, ast.Attribute):
        found = _dotted(func, origins)
        if found is not None:
            return found[0] != "local" and _pure_dotted(*found)
        return func.attr in _METHODS  # a method of a value
    return False


def _dotted(node: ast.Attribute, origins: Origins) -> tuple[str, str] | None:
    """(kind, "module.attr.attr") for an attribute of an imported name; None for a value's."""
    attrs: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        attrs.append(current.attr)
        current = current.value
    if isinstance(current, ast.Name) and current.id in origins:
        kind, dotted = origins[current.id]
        return kind, ".".join([dotted, *reversed(attrs)])
    return None


def _comprehension_names(stmt: ast.stmt) -> set[str]:
    return {n.id for c in ast.walk(stmt) if isinstance(c, ast.comprehension)
            for n in ast.walk(c.target) if isinstance(n, ast.Name)}
