"""The handles that build scripts and methods hold.

``Job`` is a finished (or, inside its own process, running) job directory:
``path``, ``id``, ``open``, ``filename`` and ``load``.
``Namespace`` gives attribute access to options (at every depth) and input jobs.
Standard library only: the job process imports this.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import IO, Any

RESULT_FILE = "result.pickle"
# acbuild's own records in a job directory: a method reads them, never writes them.
OWN_FILES = frozenset({"setup.json", "post.json", "stdout.log", "stderr.log", "source",
                       RESULT_FILE})
_WRITE_MODES = frozenset("wax+")


class Job:
    """A job directory. Inside a method, ``job`` is the job being built (``writable``);
    every other job — an input, a finished job — is only read through this handle."""

    def __init__(self, path: str | os.PathLike[str], job_id: str | None = None,
                 writable: bool = False):
        self.path = Path(path)
        self.id = job_id or self.path.name
        self.writable = writable

    def __repr__(self) -> str:
        return f"Job({self.id!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Job) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def filename(self, name: str) -> Path:
        """The path of ``name`` inside the job directory; a name that leaves it is refused."""
        return contained_path(self.path, name)

    def open(self, name: str, mode: str = "r", **kwargs: Any) -> IO[Any]:
        """Open a file of the job; writing is for the job being built, and not its records."""
        path = self.filename(name)
        if _WRITE_MODES & set(mode):
            if not self.writable:
                raise PermissionError(f"{self.id} is not the job being built: its files are "
                                      f"only read (open {name!r} with mode 'r' or 'rb')")
            first = os.path.normpath(name).split(os.sep)[0]
            if first in OWN_FILES:
                raise PermissionError(f"{name!r} is acbuild's record of the job; write your "
                                      "files under other names")
        return open(path, mode, **kwargs)

    def load(self) -> Any:
        """The job's result: what synthesis (or prepare) returned."""
        from acbuild import results  # here: a command that reads no result does not load it

        if not (self.path / RESULT_FILE).exists():
            return None
        return results.load(self.path, RESULT_FILE)

    def files(self) -> list[str]:
        return sorted(
            str(p.relative_to(self.path)) for p in self.path.rglob("*") if p.is_file()
        )


def contained_path(root: Path, name: str | os.PathLike[str]) -> Path:
    """``root / name``, refusing absolute names, ``..`` and links that lead outside ``root``."""
    name = os.fspath(name)
    if not name or os.path.isabs(name):
        raise ValueError(f"{name!r}: a job file name must be relative to the job directory")
    candidate = root / name
    real_root = os.path.realpath(root)
    real = os.path.realpath(candidate)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise ValueError(f"{name!r} leaves the job directory {root}")
    return candidate


class Namespace(dict[str, Any]):
    """A dict whose keys are also attributes: ``options.threshold``, ``jobs.raw``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"no {name!r} here; known: {', '.join(sorted(map(str, self))) or 'none'}"
            ) from None


class OrderedNamespace(OrderedDict[str, Any]):
    """An OrderedDict option value, with its keys also attributes, as ``Namespace``."""

    __getattr__ = Namespace.__getattr__


def namespaces(value: Any) -> Any:
    """``value`` with every dict in it, at any depth (in lists too), a ``Namespace`` (an
    OrderedDict an ``OrderedNamespace``): ``options.cfg.inner`` reads as ``options["cfg"]["inner"]``."""
    if isinstance(value, dict):
        kind = OrderedNamespace if isinstance(value, OrderedDict) else Namespace
        return kind((key, namespaces(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(namespaces(item) for item in value)
    return value
