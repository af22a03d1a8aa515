"""The modules a build script imports from its own directory (``helpers.py`` beside
``build.py``), found there and compiled from their source while the script evaluates.

Never from a cached ``.pyc``: Python takes a ``__pycache__`` file as current while its
source has the same size and the same mtime in whole seconds, so a helper edited twice
within a second (an editor's autosave, a generator, a test) would plan the graph of its
older text — jobs with the old options, reported as "nothing to build". Nothing is
written beside the helpers either. Modules from anywhere else (the standard library,
installed packages, a virtualenv inside the project) are imported as always.

Each evaluation imports them afresh: a process that evaluates a script again (the board,
a notebook) sees the helpers as they read then, not as the first evaluation found them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from types import CodeType


class _SourceOnlyLoader(SourceFileLoader):
    """A ``.py`` file compiled from its bytes on each import: no bytecode read or written."""

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        return self.source_to_code(self.get_data(path), path)


class _ScriptDirFinder:
    """Before the path finder on ``sys.meta_path``: a top-level module in the script's
    directory, and the submodules of a package this finder loaded."""

    def __init__(self, directory: str):
        self.directory = directory
        self.packages: set[str] = set()
        self.loaded: list[str] = []  # the modules found here, to forget after the evaluation

    def find_spec(self, name: str, path: Sequence[str] | None = None,
                  target: object = None) -> ModuleSpec | None:
        parent = name.rpartition(".")[0]
        if parent and parent not in self.packages:
            return None
        spec = PathFinder.find_spec(name, [self.directory] if not parent else path)
        if (spec is not None and parent and spec.origin is None
                and spec.submodule_search_locations is not None):
            # A directory without __init__.py in a package of ours: wholly ours too (its
            # modules from source, forgotten after). At the top level it is left alone: a
            # namespace package may have portions installed elsewhere.
            self.packages.add(name)
            self.loaded.append(name)
            return spec
        if spec is None or type(spec.loader) is not SourceFileLoader or spec.origin is None:
            return None  # a namespace package, an extension module: as always
        spec.loader = _SourceOnlyLoader(name, spec.origin)
        if spec.submodule_search_locations is not None:
            self.packages.add(name)
        self.loaded.append(name)
        return spec


@contextmanager
def script_directory_imports(directory: str) -> Iterator[None]:
    """While the block runs, ``directory`` is first on ``sys.path`` (it stays there: a
    module the script imports later finds it too) and its modules come from their source;
    after it, the modules found there are out of ``sys.modules`` again."""
    if directory not in sys.path:
        sys.path.insert(0, directory)
    finder = _ScriptDirFinder(os.path.abspath(directory))
    at = next((i for i, f in enumerate(sys.meta_path) if f is PathFinder), len(sys.meta_path))
    sys.meta_path.insert(at, finder)  # after the built-in and frozen modules' finders
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in finder.loaded:
            sys.modules.pop(name, None)
