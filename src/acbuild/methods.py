"""Methods: finding them, reading their declarations, and hashing their code.

A method is ``<methods dir>/<name>.py`` (a leading underscore marks a helper).
Its code hash covers the method file, every project-local module it imports
(found by reading imports, transitively) and its ``depend_extra`` files. Python
files are hashed as their syntax tree without docstrings, so comments,
formatting and docstrings are not code.

Planning never imports a method (DESIGN.md section 5): its declarations are read
from its source (``acbuild.declarations``) and the evaluated ones kept by code hash
in a cache the caller gives (the work directory's database). Only what cannot be
read so is imported, as before: once per change of its code (at every planning
when it is ``depend_extra`` or ``equivalent_hashes``, which decide the code hash),
with a warning that says why. A method with an error in its declarations is
imported too, so that an import that fails is reported first, as it always was.
Knows nothing of scripts or jobs.
"""

# No ``from __future__ import annotations`` here: a named tuple's string annotations are
# compiled one by one when it is defined, at every start (issue 12, start-up).
import ast
import functools
import stat
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple, Protocol

import acbuild
from acbuild import declarations, options
from acbuild.codehash import EQUIVALENT_NAME, CodeHasher, MethodCode
from acbuild.declarations import KEPT, KEYED, PHASE_PARAMETERS, PHASES, NeedsImport, record
from acbuild.declarations.imported import import_method, read_module
from acbuild.declarations.slicing import binds
from acbuild.errors import AcbuildError, MethodError

__all__ = ["PHASES", "PHASE_PARAMETERS", "DeclarationCache", "Method", "MethodRegistry",
           "import_method"]


class Method(NamedTuple):  # not a frozen dataclass: ~0.8 ms to define, at every start
    """A method's declarations, its phases and its code hash."""

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
    warnings: tuple[str, ...] = ()
    resources: dict[str, Any] = {}  # scheduling, never identity (never changed: shared)
    read_by: str = "source"  # how its declarations were read: "source" or "import"
    list_inputs: frozenset[str] = frozenset()  # inputs declared ``["name"]``: lists of jobs

    @property
    def has_analysis(self) -> bool:
        return "analysis" in self.phases


class DeclarationCache(Protocol):
    """Where evaluated declarations are kept by key (the target work directory's database)."""

    def cached_declarations(self, key: str) -> str | None: ...

    def keep_declarations(self, key: str, record: str) -> None: ...


class _Reading:
    """One method being read: its file, its tree, and its module once it was imported."""

    def __init__(self, name: str, path: Path, tree: ast.Module, source: bytes):
        self.name, self.path, self.tree, self.source = name, path, tree, source
        self.module: ModuleType | None = None
        self.imported = False  # tried: an import that failed is not tried again
        self.warnings: list[str] = []

    def where(self, declaration: str) -> str:
        """``file:line`` of the statement that last binds a declaration at the top level."""
        lines = [s.lineno for s in self.tree.body if declaration in binds(s)]
        return f"{self.path}:{lines[-1]}" if lines else str(self.path)


class MethodRegistry:
    """The methods of a project, read on first use and cached for the run."""

    def __init__(self, methods_dirs: Sequence[Path], project_root: Path,
                 cache: DeclarationCache | None = None):
        self.methods_dirs = tuple(methods_dirs)
        self.project_root = project_root
        self.search_roots = (*self.methods_dirs, project_root)
        self._files: dict[str, Path] | None = None
        self._loaded: dict[str, Method] = {}
        self._hasher = CodeHasher(project_root, self.methods_dirs)
        self._cache = cache
        self._installed: dict[str, bool] = {}

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
        reading = _Reading(name, path, tree, source)
        try:
            return self._read(reading)
        except AcbuildError:
            if not reading.imported:  # an import that fails was always the first error
                self._import(reading)
            raise

    def _read(self, reading: _Reading) -> Method:
        path = reading.path
        keyed = self._keyed(reading)
        extra = _checked(keyed.get("depend_extra", ()), "depend_extra", (tuple, list),
                         reading)
        try:
            code = self._hasher.method_code(reading.name, path, reading.source,
                                            list(declarations.module_refs(extra)))
        except MethodError as e:
            if e.where == str(path):  # about depend_extra: name its line
                e.where = reading.where("depend_extra")
            raise
        self._check_installed(reading.name, code)
        code_hash, equivalence = _equivalent(
            types.SimpleNamespace(**{k: v for k, v in keyed.items() if k == EQUIVALENT_NAME}),
            code.hash, path)
        key = f"{code.hash}:{record.FORMAT}:{sys.version_info[0]}.{sys.version_info[1]}:" \
              f"{acbuild.__version__}"
        kept = self._cached(key) if reading.module is None else None
        keep = kept is None
        if kept is None:
            kept, keep = self._kept(reading, code)
        values, phases, read_by = kept
        method = _method(reading, code, code_hash, values, phases, read_by,
                         (*reading.warnings, *equivalence))
        if keep and self._cache is not None:
            text = record.encode(values, phases, read_by)
            if text is not None:
                self._cache.keep_declarations(key, text)
        return method

    def _keyed(self, reading: _Reading) -> dict[str, Any]:
        """depend_extra and equivalent_hashes: read at every planning (they make the key)."""
        try:
            return self._evaluate(reading, KEYED).values
        except NeedsImport as why:
            module = self._import(reading, why, every_time=True)
            return read_module(module, KEYED, reading.path)[0]

    def _kept(self, reading: _Reading, code: MethodCode
              ) -> tuple[tuple[dict[str, Any], tuple[str, ...], str], bool]:
        """((values, phases, read_by), whether to keep them) from the source, or else from
        the module, imported."""
        if reading.module is None:
            try:
                evaluated = self._evaluate(reading, KEPT)
                phases = declarations.read_phases(reading.tree, reading.path,
                                                  declarations.star_names(self._locate(reading)))
                # Kept only when the code hash (the key) covers all they were read from.
                keep = evaluated.pure and evaluated.modules <= code.local
                return (evaluated.values, phases, "source"), keep
            except NeedsImport as why:
                self._import(reading, why)
        assert reading.module is not None
        values, phases = read_module(reading.module, KEPT, reading.path)
        return (values, phases, "import"), True

    def _evaluate(self, reading: _Reading, names: Sequence[str]) -> declarations.Evaluated:
        return declarations.evaluate(reading.tree, reading.path,
                                     f"acbuild_method_{reading.name}", names,
                                     self._locate(reading))

    def _locate(self, reading: _Reading) -> declarations.Locate:
        """Where the method's job finds a project module (None: not in the project)."""
        return functools.partial(self._hasher.local_module, method_path=reading.path)

    def _cached(self, key: str) -> tuple[dict[str, Any], tuple[str, ...], str] | None:
        text = self._cache.cached_declarations(key) if self._cache is not None else None
        return record.decode(text) if text is not None else None

    def _import(self, reading: _Reading, why: NeedsImport | None = None,
                every_time: bool = False) -> ModuleType:
        if reading.module is None:
            reading.imported = True
            reading.module = import_method(reading.name, reading.path, self.search_roots)
        if why is not None:
            when = "at every planning: it decides the code hash" if every_time else \
                "once per change of its code"
            reading.warnings.append(
                f"{why.where or reading.path}: method {reading.name!r} was imported to read "
                f"its declarations ({why.reason}); this happens {when}. Declarations made of "
                "plain values, standard-library types and project modules are read without "
                "importing the method")
        return reading.module

    def _check_installed(self, name: str, code: MethodCode) -> None:
        """A module the method surely imports but that is not installed: the error its import
        would give, before any job (found without importing it)."""
        for top, where in code.loads:
            if top not in self._installed:
                import importlib.util  # here: only a method that imports an outside module
                try:
                    self._installed[top] = (top in sys.modules
                                            or importlib.util.find_spec(top) is not None)
                except (ImportError, ValueError):
                    self._installed[top] = True  # not ours to judge: the job will say
            if not self._installed[top]:
                raise MethodError(f"cannot load method {name!r}: ModuleNotFoundError: "
                                  f"No module named {top!r}", where=where)


def _method(reading: _Reading, code: MethodCode, code_hash: str, values: dict[str, Any],
            phases: tuple[str, ...], read_by: str, warnings: tuple[str, ...]) -> Method:
    """The Method, its declarations checked: the same errors however they were read."""
    name, path = reading.name, reading.path
    declared_options = _checked(values.get("options", {}), "options", dict, reading)
    try:
        spec = options.parse_declarations(name, declared_options)
    except AcbuildError as e:
        e.where = e.where or reading.where("options")
        raise
    declared_inputs = _checked(values.get("jobs", ()), "jobs", (tuple, list), reading)
    inputs, list_inputs = _input_names(declared_inputs, reading)
    clash = set(inputs) & set(spec)
    if clash:
        raise MethodError(f"{', '.join(sorted(clash))} is both an option and an input job",
                          where=str(path))
    if not phases:
        raise MethodError("defines none of prepare, analysis, synthesis", where=str(path))
    resources = (declarations.check_resources(values["resources"], reading.where("resources"))
                 if "resources" in values else {})
    return Method(
        name=name,
        file=path,
        description=declarations.description(reading.tree),
        options=spec,
        inputs=inputs,
        phases=phases,
        code_hash=code_hash,
        current_hash=code.hash,
        sources=code.sources,
        external_modules=code.external,
        warnings=warnings,
        resources=resources,
        read_by=read_by,
        list_inputs=list_inputs,
    )


def _input_names(declared: tuple[Any, ...] | list[Any],
                 reading: _Reading) -> tuple[tuple[str, ...], frozenset[str]]:
    """The names of ``jobs = ("one", ["many"])``, and which of them are list inputs (a
    name in a list of its own, as in the Accelerator)."""
    names, lists = [], set()
    for item in declared:
        if isinstance(item, (list, tuple)) and len(item) == 1:
            item = item[0]
            lists.add(item)
        if not (isinstance(item, str) and item.isidentifier()):
            raise MethodError(f"'jobs' must be a tuple of names (a name in a list of its own, "
                              f"[\"name\"], for a list input), not {declared!r}",
                              where=reading.where("jobs"))
        names.append(item)
    if len(set(names)) != len(names):
        raise MethodError(f"'jobs' names an input twice: {declared!r}", where=reading.where("jobs"))
    return tuple(names), frozenset(lists)


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


def _checked(value: Any, name: str, kind: type | tuple[type, ...], reading: _Reading) -> Any:
    if not isinstance(value, kind):
        raise MethodError(f"'{name}' must be a {_kind_names(kind)}, not {type(value).__name__}",
                          where=reading.where(name))
    return value


def _kind_names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _equivalent(module: object, current: str, path: Path) -> tuple[str, tuple[str, ...]]:
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
