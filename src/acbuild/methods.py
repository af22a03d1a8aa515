"""Methods: finding them, loading their declarations, and hashing their code.

A method is ``<methods dir>/<name>.py`` (a leading underscore marks a helper).
Its code hash covers the method file, every project-local module it imports
(found by reading imports, transitively) and its ``depend_extra`` files. Python
files are hashed as their syntax tree without docstrings, so comments,
formatting and docstrings are not code. Knows nothing of scripts or jobs.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import os
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from acbuild import options
from acbuild.codehash import EQUIVALENT_NAME, CodeHasher
from acbuild.errors import AcbuildError, MethodError

PHASES = ("prepare", "analysis", "synthesis")
PHASE_PARAMETERS = {
    "prepare": {"job", "options", "jobs", "slices"},
    "analysis": {"job", "options", "jobs", "slices", "sliceno", "prepare_res"},
    "synthesis": {"job", "options", "jobs", "slices", "prepare_res", "analysis_res"},
}


@dataclass(frozen=True)
class Method:
    """A loaded method: its declarations, its phases and its code hash."""

    name: str
    file: Path
    description: str
    options: dict[str, options.OptionSpec]
    inputs: tuple[str, ...]
    phases: tuple[str, ...]
    code_hash: str  # what enters job identities (an older hash when declared equivalent)
    current_hash: str  # the hash of the code as it is now
    sources: dict[str, bytes]  # project-relative path -> the exact bytes that were hashed
    external_modules: tuple[str, ...]  # top-level names of third-party modules it imports
    warnings: tuple[str, ...] = field(default=())

    @property
    def has_analysis(self) -> bool:
        return "analysis" in self.phases


class MethodRegistry:
    """The methods of a project, loaded on first use and cached for the run."""

    def __init__(self, methods_dirs: Sequence[Path], project_root: Path):
        self.methods_dirs = tuple(methods_dirs)
        self.project_root = project_root
        self.search_roots = (*self.methods_dirs, project_root)
        self._files: dict[str, Path] | None = None
        self._loaded: dict[str, Method] = {}
        self._hasher = CodeHasher(project_root, self.methods_dirs)

    def files(self) -> dict[str, Path]:
        """Method name -> file, for every method in the methods directories."""
        if self._files is None:
            found: dict[str, Path] = {}
            for directory in self.methods_dirs:
                for path in sorted(directory.glob("*.py")) if directory.is_dir() else ():
                    name = path.stem
                    if name.startswith("_"):
                        continue
                    if name in found:
                        raise MethodError(
                            f"method {name!r} is defined twice: {found[name]} and {path}")
                    found[name] = path
            self._files = found
        return self._files

    def names(self) -> list[str]:
        return sorted(self.files())

    def get(self, name: str) -> Method:
        method = self._loaded.get(name)
        if method is None:
            files = self.files()
            if name not in files:
                raise MethodError(_unknown_method_message(name, files,
                                                          self.methods_dirs))
            method = self._load(name, files[name])
            self._loaded[name] = method
        return method

    def _load(self, name: str, path: Path) -> Method:
        tree, source = parse_python(path)
        module = import_method(name, path, self.search_roots)
        declared_options = _declaration(module, "options", dict, {}, path)
        spec = options.parse_declarations(name, declared_options)
        inputs = _declaration(module, "jobs", (tuple, list), (), path)
        if not all(isinstance(i, str) and i.isidentifier() for i in inputs):
            raise MethodError(f"'jobs' must be a tuple of names, not {inputs!r}", where=str(path))
        clash = set(inputs) & set(spec)
        if clash:
            raise MethodError(f"{', '.join(sorted(clash))} is both an option and an input job",
                              where=str(path))
        phases = tuple(p for p in PHASES if callable(getattr(module, p, None)))
        if not phases:
            raise MethodError("defines none of prepare, analysis, synthesis", where=str(path))
        for phase in phases:
            _check_phase_signature(getattr(module, phase), phase, path)
        extra = _declaration(module, "depend_extra", (tuple, list), (), path)
        code = self._hasher.method_code(name, path, source, list(extra))
        code_hash, warnings = _equivalent(module, code.hash, path)
        return Method(
            name=name,
            file=path,
            description=(ast.get_docstring(tree) or "").strip().split("\n")[0],
            options=spec,
            inputs=tuple(inputs),
            phases=phases,
            code_hash=code_hash,
            current_hash=code.hash,
            sources=code.sources,
            external_modules=code.external,
            warnings=warnings,
        )


def _unknown_method_message(name: str, files: dict[str, Path], dirs: Sequence[Path]) -> str:
    import difflib

    known = ", ".join(sorted(files)) or "none"
    close = difflib.get_close_matches(name, list(files), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    where = ", ".join(str(d) for d in dirs)
    return f"unknown method {name!r} (methods in {where}: {known}){hint}"


def parse_python(path: Path) -> tuple[ast.Module, bytes]:
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # reading a FIFO would wait forever
            raise MethodError("a method file must be a regular file", where=str(path))
        source = path.read_bytes()
    except OSError as e:
        raise MethodError(f"cannot read: {e.strerror}", where=str(path)) from None
    try:
        return ast.parse(source, filename=str(path)), source
    except SyntaxError as e:
        raise MethodError(f"syntax error: {e.msg}", where=f"{path}:{e.lineno}") from None


def import_method(name: str, path: Path, search_roots: Sequence[Path]) -> ModuleType:
    """Import a method file under a private module name, its helpers resolved as in its job
    (and its code hash): its own directory first, then the project root (the last root)."""
    for entry in (str(search_roots[-1]), str(path.parent)):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
    # Another methods directory's helper of the same name (`_util`) must not stand in.
    others = tuple(f"{d}{os.sep}" for d in search_roots[:-1] if d != path.parent)
    for module_name, loaded in list(sys.modules.items()):
        if (getattr(loaded, "__file__", None) or "").startswith(others):
            del sys.modules[module_name]
    module_spec = importlib.util.spec_from_file_location(f"acbuild_method_{name}", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except AcbuildError:
        raise
    except (Exception, SystemExit) as e:  # sys.exit() at a method's top level ends not acbuild
        frame = _innermost_frame_in(e, search_roots) or f"{path}"
        raise MethodError(f"cannot load method {name!r}: {type(e).__name__}: {e}",
                          where=frame) from None
    return module


def _innermost_frame_in(error: BaseException, roots: Sequence[Path]) -> str | None:
    import traceback  # only on this error path: a command that meets no error never loads it

    if isinstance(error, SyntaxError) and error.filename:
        return f"{error.filename}:{error.lineno}"
    prefixes = tuple(str(r) for r in roots)
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if f.filename.startswith(prefixes)]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None


def _declaration(module: ModuleType, name: str, kind: type | tuple[type, ...],
                 default: Any, path: Path) -> Any:
    value = getattr(module, name, default)
    if not isinstance(value, kind):
        raise MethodError(f"'{name}' must be a {_kind_names(kind)}, not {type(value).__name__}",
                          where=str(path))
    return value


def _kind_names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _check_phase_signature(function: object, phase: str, path: Path) -> None:
    allowed = PHASE_PARAMETERS[phase]
    for parameter in inspect.signature(function).parameters.values():  # type: ignore[arg-type]
        if parameter.name not in allowed:
            line = getattr(getattr(function, "__code__", None), "co_firstlineno", None)
            raise MethodError(
                f"{phase}() takes a parameter {parameter.name!r} that acbuild cannot give; "
                f"{phase} may take: {', '.join(sorted(allowed))}",
                where=f"{path}:{line}" if line else str(path),
            )


def _equivalent(module: ModuleType, current: str, path: Path) -> tuple[str, tuple[str, ...]]:
    """The code hash for identities: an older one when the author declared this code equal.

    ``equivalent_hashes = {"<current code hash>": "<old code hash>"}``. Keyed by the current
    hash, so a declaration stops applying (with a warning) when the code changes again.
    Entries chain: with ``{v3: v2, v2: v1}`` code v3 gets the identity of v1's jobs.
    """
    declared = getattr(module, EQUIVALENT_NAME, None)
    if declared is None:
        return current, ()
    if not isinstance(declared, dict) or not all(
            _is_code_hash(k) and _is_code_hash(v) for k, v in declared.items()):
        raise MethodError(
            f"'{EQUIVALENT_NAME}' must be a dict {{current code hash: old code hash}}, "
            "each a full 64-digit hex string", where=str(path),
            hint=f"`acbuild methods {path.stem}` shows the current code hash and the hashes "
                 "its jobs were built from")
    if current not in declared:
        return current, (
            f"{path}: {EQUIVALENT_NAME} is ignored: it does not name the current code hash "
            f"{current} (the code changed since it was declared)",
        )
    identity, seen = current, {current}
    while identity in declared and declared[identity] not in seen:
        identity = declared[identity]
        seen.add(identity)
    return identity, ()


def _is_code_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(
        c in "0123456789abcdef" for c in value)
