"""Reading a method's declarations by importing it: what acbuild falls back to.

Used only where the source cannot be read alone (see the package's docstring), and on
the error path, so that a method whose import fails is reported by that failure first.
The module is imported as its job imports it, under a private name; what it raises is a
MethodError naming the innermost frame in the project.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from acbuild.declarations.phases import PHASE_PARAMETERS, PHASES
from acbuild.errors import AcbuildError, MethodError

# Where imports look for bytecode while a method is read: a path under a file, which no
# cache can be read from or written to (even by root, who may create any directory).
NO_BYTECODE = os.path.join(os.devnull, "acbuild-no-bytecode")


def read_module(module: ModuleType, names: Sequence[str], path: Path
                ) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The declarations ``names`` an imported method binds, and its phases, checked."""
    phases = tuple(p for p in PHASES if callable(getattr(module, p, None)))
    for phase in phases:
        _check_phase_signature(getattr(module, phase), phase, path)
    return {n: getattr(module, n) for n in names if hasattr(module, n)}, phases


def import_method(name: str, path: Path, search_roots: Sequence[Path]) -> ModuleType:
    """Import a method file under a private module name, its helpers resolved as in its job
    (and its code hash): its own directory first, then the project root (the last root)."""
    for entry in (str(search_roots[-1]), str(path.parent)):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
    import importlib.util  # here: planning imports no method, and so needs it not

    # Another methods directory's helper of the same name (`_util`) must not stand in.
    others = tuple(f"{d}{os.sep}" for d in search_roots[:-1] if d != path.parent)
    for module_name, loaded in list(sys.modules.items()):
        if (getattr(loaded, "__file__", None) or "").startswith(others):
            del sys.modules[module_name]
    module_spec = importlib.util.spec_from_file_location(f"acbuild_method_{name}", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    saved = sys.pycache_prefix
    # No .pyc read or written: Python trusts a cached one whose source has the same size and
    # mtime in whole seconds, so an edit within the second would be planned with the old
    # declarations -- and they are kept under the new code's hash. The source, compiled.
    sys.pycache_prefix = NO_BYTECODE
    try:
        module_spec.loader.exec_module(module)
    except AcbuildError:
        raise
    except (Exception, SystemExit) as e:  # sys.exit() at a method's top level ends not acbuild
        frame = _innermost_frame_in(e, search_roots) or f"{path}"
        raise MethodError(f"cannot load method {name!r}: {type(e).__name__}: {e}",
                          where=frame) from None
    finally:
        sys.pycache_prefix = saved
    return module


def _innermost_frame_in(error: BaseException, roots: Sequence[Path]) -> str | None:
    import traceback  # only on this error path: a command that meets no error never loads it

    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}"
    prefixes = tuple(str(r) for r in roots)
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if f.filename.startswith(prefixes)]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None


def _check_phase_signature(function: object, phase: str, path: Path) -> None:
    import inspect  # here: only a method that had to be imported is inspected

    allowed = PHASE_PARAMETERS[phase]
    for parameter in inspect.signature(function).parameters.values():  # type: ignore[arg-type]
        if parameter.name not in allowed:
            line = getattr(getattr(function, "__code__", None), "co_firstlineno", None)
            raise MethodError(
                f"{phase}() takes a parameter {parameter.name!r} that acbuild cannot give; "
                f"{phase} may take: {', '.join(sorted(allowed))}",
                where=f"{path}:{line}" if line else str(path),
            )
