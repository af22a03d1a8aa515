"""How a result crosses a process boundary: a job's ``result.pickle``, and what an analysis
slice returns to its job.

``dumps`` pickles with every ``defaultdict`` turned into a plain dict, at any depth, as
the Accelerator does: its factory is often a lambda, which pickle refuses, and a result is
data, not a factory. ``load`` unpickles a job's result; a class that the producing method
defined (module ``acbuild_method_<name>``), when this process has no such module, is
found by importing that job's method from its ``source/`` (``acbuild.snapshot``), the code
that made the result; so is a project helper module that defines one, when this process
cannot import it (the build script's). Standard library and ``acbuild.snapshot`` only: the job process
imports this.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
from collections import defaultdict
from typing import Any

from acbuild.snapshot import METHOD_PREFIX, import_helper, import_producer


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        # Called for every object but the exact builtins (int, str, list, dict, ...): it costs
        # nothing on plain data.
        if type(obj) is defaultdict:
            return dict, (), None, None, iter(obj.items())
        return NotImplemented


def dumps(value: Any) -> bytes:
    """``pickle.dumps``, but every defaultdict (in lists, tuples, dicts, objects) a dict."""
    buffer = io.BytesIO()
    _Pickler(buffer, pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: Any, job_dir: str):
        super().__init__(file)
        self.job_dir = job_dir

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith(METHOD_PREFIX) and module not in sys.modules:
            import_producer(self.job_dir, module)
        try:
            return super().find_class(module, name)
        except ModuleNotFoundError as e:
            missing = e.name or ""
            if not (module == missing or module.startswith(missing + ".")):
                raise  # the module is there; something it imports is not
            if not import_helper(self.job_dir, module):
                raise
        return super().find_class(module, name)


def load(job_dir: str | os.PathLike[str], name: str) -> Any:
    """Unpickle the file ``name`` of the job in ``job_dir``."""
    with open(os.path.join(job_dir, name), "rb") as f:
        return _Unpickler(f, os.fspath(job_dir)).load()
