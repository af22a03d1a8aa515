"""Importing a job's code from its ``source/`` snapshot: what runs is what was hashed.

A job's ``source/`` holds the very bytes its code hash was computed from: the
method file and every project-local module it imports. ``import_method``
executes the method from there, and a finder placed first on ``sys.meta_path``
resolves the project-local modules it imports (when it is imported, and later,
inside a phase) to their copies in the snapshot, searched as the code hash
searched them: the method's directory first, then the project root. Never the
live files, which may have been edited since. Whatever the snapshot does not
hold (the standard library, installed packages) is imported as always.

Code compiled from a snapshot keeps the live file's name, so tracebacks and
``__file__`` name the user's file, and ``linecache`` gets the snapshot's lines,
so a traceback quotes the code that ran.

The modules of two snapshots never mix: importing or activating one takes every
module imported from another out of ``sys.modules`` first. A ``Code`` (one
method imported from one code hash) is imported once and activated for each
job that runs it. Each file read from source/ is checked against the blake3
setup.json records for it (its ``code.files``): source/ files are links shared
by every job of that content, and a job that wrote through one must not make
another run code its hash does not name. Standard library, ``acbuild.errors``
(and blake3, when a file is checked) only: the job process imports this.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import linecache
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

from acbuild.errors import MethodError

SOURCE_DIR = "source"
METHOD_PREFIX = "acbuild_method_"  # a method's module is acbuild_method_<name>


def method_module(method: str) -> str:
    """The module a method runs as: ``acbuild_method_<name>``, a dot in the name written
    ``%2E`` (and ``%`` as ``%25``, so that no two names meet). pickle imports a class's
    module by name, and a dotted one (``v1.2``) would be a package ``acbuild_method_v1``
    that does not exist: a result of a class the method defines could not be pickled."""
    return METHOD_PREFIX + method.replace("%", "%25").replace(".", "%2E")
# Built into the interpreter: found before any file, whatever file shares the name (a
# module of the standard library in a file is found as sys.path orders it, as it always was).
_BUILTIN = frozenset(sys.builtin_module_names)


@dataclass(frozen=True)
class Layout:
    """Where a job's code lies in its ``source/``, the same for every job of a code hash."""

    method: str
    method_file: str  # the live file: the name its code is compiled under
    method_copy: str  # its path in source/
    files: frozenset[str]  # every path source/ holds
    roots: tuple[tuple[str, str], ...]  # (prefix in source/, live directory), searched in order
    # path in source/ -> the blake3 of the bytes hashed (setup.json's code.files; none in
    # an older job's): a file there is a link shared with other jobs, which one of them may
    # have written through, so what is read is checked against it before it runs
    digests: Mapping[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, setup: Mapping[str, Any]) -> Layout:
        """From a setup.json: its method, project root, sys_path and code sources."""
        try:
            code, root = setup["code"], os.path.realpath(setup["project_root"])
            method_file = setup["method_file"]
            roots = tuple((_copy_dir(live, root), live) for live in setup["sys_path"])
            digests = code.get("files")
            return cls(setup["method"], method_file,
                       _copy_dir(os.path.dirname(method_file), root)
                       + os.path.basename(method_file),
                       frozenset(code["sources"]), roots,
                       digests if isinstance(digests, dict) else {})
        except (KeyError, TypeError) as exc:
            raise MethodError(f"setup.json does not say where its code is ({exc})") from None

    def find(self, name: str) -> tuple[str, str, bool] | None:
        """Where module ``name`` is in the snapshot: (path in source/, live path, is a
        package), or None when the snapshot does not hold it (nor a builtin module)."""
        parts = name.split(".")
        if parts[0] in _BUILTIN:
            return None
        for prefix, live in self.roots:
            if prefix.startswith("external/") and len(parts) > 1:
                continue  # files from outside the project are copied flat: no packages
            stem = "/".join(parts)
            for suffix, package in ((".py", False), ("/__init__.py", True)):
                if prefix + stem + suffix in self.files:
                    return (prefix + stem + suffix, os.path.join(live, *parts) + suffix,
                            package)
        return None


def code_key(setup: Mapping[str, Any]) -> tuple[str, str]:
    """What a launcher caches a method's import by: the hash of the code in source/ (the
    code hash covers the method's name), and the live file it is named after."""
    try:
        return setup["code"]["hash"], setup["method_file"]
    except (KeyError, TypeError) as exc:
        raise MethodError(f"setup.json does not say which code the job runs ({exc})") from None


def _copy_dir(live_dir: str, root: str) -> str:
    """The prefix in source/ of the copies of a live directory's files, as the code hash
    names them (codehash.CodeHasher._relpath): project-relative, else ``external/``."""
    relative = os.path.relpath(os.path.realpath(live_dir), root)
    if relative == os.curdir:
        return ""
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return "external/"
    return relative.replace(os.sep, "/") + "/"


@dataclass
class Code:
    """A method imported from a snapshot, with the project-local modules it imported."""

    layout: Layout
    module: ModuleType
    modules: dict[str, ModuleType] = field(default_factory=dict)  # by name, the method too
    lines: dict[str, Any] = field(default_factory=dict)  # linecache entries, by file name


class _Finder:
    """First on ``sys.meta_path``: project-local modules come from the active snapshot."""

    def __init__(self) -> None:
        self.layout: Layout | None = None
        self.source = ""  # the source/ directory of the job running (or being imported)
        self.active: Code | None = None  # whose modules are in sys.modules now
        self.loading: Code | None = None  # the code an import is collecting modules for
        self.names: set[str] = set()  # every module name ever loaded from a snapshot

    def find_spec(self, name: str, path: object = None, target: object = None
                  ) -> ModuleSpec | None:
        if self.layout is None:
            return None
        found = self.layout.find(name)
        if found is None:
            return None
        copy, live, package = found
        return self.spec(name, copy, live, package)

    def spec(self, name: str, copy: str, live: str, package: bool = False) -> ModuleSpec:
        digest = None if self.layout is None else self.layout.digests.get(copy)
        loader: Any = _Loader(os.path.join(self.source, copy), live, digest)  # duck-typed, as importlib allows
        spec = importlib.util.spec_from_file_location(
            name, live, loader=loader, submodule_search_locations=[] if package else None)
        assert spec is not None  # it is None only without a loader
        return spec

    def take_out(self) -> None:
        """No module from any snapshot in sys.modules: the next import gets fresh ones."""
        for name in self.names:
            sys.modules.pop(name, None)
        self.active = None


class _Loader:
    """Executes a snapshot's copy of a file, compiled under the live file's name."""

    def __init__(self, copy: str, live: str, digest: str | None = None):
        self.copy, self.live, self.digest = copy, live, digest

    def create_module(self, spec: ModuleSpec) -> None:
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        with open(self.copy, "rb") as f:
            data = f.read()
        if self.digest is not None:
            from blake3 import blake3  # (the job process has it: it hashes what it wrote)
            if blake3(data).hexdigest() != self.digest:
                raise MethodError(f"{self.copy} is not the file the job's code hash was "
                                  "computed from: it changed since the job was staged (a job "
                                  "sharing it wrote to it?)", where=self.live)
        code = compile(data, self.live, "exec", dont_inherit=True)
        lines = importlib.util.decode_source(data).splitlines(True)
        entry = (len(data), None, lines, self.live)  # no mtime: linecache never drops it
        linecache.cache[self.live] = entry
        _FINDER.names.add(module.__name__)
        if _FINDER.loading is not None:
            _FINDER.loading.modules[module.__name__] = module
            _FINDER.loading.lines[self.live] = entry
        exec(code, module.__dict__)


_FINDER = _Finder()


def _install() -> None:
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def import_method(layout: Layout, job_dir: str) -> Code:
    """Import the method of ``layout`` from the job's source/ as ``acbuild_method_<name>``,
    and the project-local modules it imports from there too; it is then the active code.
    What the import raises (the method's top level failing) propagates."""
    _install()
    _FINDER.take_out()
    name = method_module(layout.method)
    if layout.method_copy not in layout.files:
        raise MethodError(f"the job's source/ has no copy of the method ({layout.method_copy})",
                          where=layout.method_file)
    _FINDER.layout, _FINDER.source = layout, os.path.join(job_dir, SOURCE_DIR)
    spec = _FINDER.spec(name, layout.method_copy, layout.method_file)
    module = importlib.util.module_from_spec(spec)
    code = Code(layout, module)
    _FINDER.loading = code
    sys.modules[name] = module  # so that the method's classes pickle, and import itself
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except BaseException:
        _FINDER.take_out()
        raise
    finally:
        _FINDER.loading = None
    _FINDER.active = code
    return code


def activate(code: Code, job_dir: str) -> None:
    """Make ``code`` what the job in ``job_dir`` imports: its modules in sys.modules (no
    other snapshot's), its lines in linecache, later imports from this job's source/. For
    the code activated last, only the directory changes: a few attribute stores a job."""
    _FINDER.layout, _FINDER.source = code.layout, os.path.join(job_dir, SOURCE_DIR)
    if _FINDER.active is code and sys.modules.get(code.module.__name__) is code.module:
        return  # and still in sys.modules (a switch of methods directory takes modules out)
    _FINDER.take_out()
    sys.modules.update(code.modules)
    linecache.cache.update(code.lines)
    _FINDER.active = code


def import_producer(job_dir: str, module_name: str) -> bool:
    """Import, as ``module_name``, the method of the finished job in ``job_dir`` from its
    source/, so that its result (whose classes the method defined) can be unpickled; the
    code active before stays active. False when ``module_name`` is not that job's method.

    What the method prints at its top level goes to stderr (stdout may be a JSON report).
    """
    try:
        with open(os.path.join(job_dir, "setup.json"), "rb") as f:
            setup = json.load(f)
    except (OSError, ValueError):
        return False
    if not isinstance(setup, dict) or module_name != method_module(str(setup.get("method"))):
        return False
    before, layout, source = _FINDER.active, _FINDER.layout, _FINDER.source
    try:
        with contextlib.redirect_stdout(sys.stderr):
            code = import_method(Layout.of(setup), job_dir)
    except SystemExit as exc:  # the method's top level: it ends the import, not this process
        raise ImportError(f"{module_name} exited while imported ({exc})") from None
    finally:
        _FINDER.take_out()  # the producer's helpers must not stand in for the job's own
        if before is not None:
            sys.modules.update(before.modules)
            linecache.cache.update(before.lines)
        _FINDER.active, _FINDER.layout, _FINDER.source = before, layout, source
    sys.modules[module_name] = code.module  # beside the active code: pickling finds it
    return True


def import_helper(job_dir: str, module_name: str) -> bool:
    """Import ``module_name``, a project module the finished job in ``job_dir`` holds in its
    source/ (a helper that defines a class of its result), from there: for a process that
    has no such module on its path (the script's: planning imports no method, so puts no
    methods directory on sys.path). False when the job's source/ does not hold it."""
    try:
        with open(os.path.join(job_dir, "setup.json"), "rb") as f:
            layout = Layout.of(json.load(f))
    except (OSError, ValueError, MethodError):
        return False
    if layout.find(module_name) is None:
        return False
    _install()
    before = _FINDER.layout, _FINDER.source
    _FINDER.layout, _FINDER.source = layout, os.path.join(job_dir, SOURCE_DIR)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            importlib.import_module(module_name)
    finally:
        _FINDER.layout, _FINDER.source = before
    return True
