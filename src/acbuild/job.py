"""The handles that build scripts and methods hold.

``Job`` is a finished (or, inside its own process, running) job directory:
``path``, ``id``, ``open``, ``filename`` and ``load``. ``JobDir`` is a job directory
held open, which the job being built writes through: names are opened relative to it,
one component at a time and never through a link, so neither the process's current
directory nor a link the method made (or swapped in) can lead a write elsewhere.
``Namespace`` gives attribute access to options (at every depth) and input jobs.
As the Accelerator's: ``JobWithFile`` is a file of a job (an option type), ``JobList``
a list input, and ``follow_chain`` walks the ``previous`` input (``Job.chain``, and the
script's handles). Standard library only: the job process imports this.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections import OrderedDict
from pathlib import Path
from typing import IO, Any

from acbuild import jobfiles
from acbuild.jobapi import AcceleratorAPI
from acbuild.joblog import LOGS, SLICE_LOGS
from acbuild.statusmsg import STATUS_FILE

RESULT_FILE = "result.pickle"
# acbuild's own records in a job directory: a method reads them, never writes them.
OWN_FILES = frozenset({"setup.json", "post.json", *LOGS, SLICE_LOGS, "source", RESULT_FILE,
                       STATUS_FILE})
_WRITE_MODES = frozenset("wax+")
# The input a withfile option makes (its job is an input): "withfile:" + where the option is.
WITHFILE = "withfile:"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# A file is opened without blocking (a FIFO the method made must not hang it) and never
# through a link; O_TRUNC waits until it is known to be the job's own file.
_FILE_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


class Job(AcceleratorAPI):
    """A job directory. Inside a method, ``job`` is the job being built (``writable``);
    every other job — an input, a finished job — is only read through this handle.
    The Accelerator's method API (``save``, ``json_load``, ``finish_early``, ...) is
    ``AcceleratorAPI``'s."""

    _OWN = OWN_FILES

    def __init__(self, path: str | os.PathLike[str], job_id: str | None = None,
                 writable: bool = False):
        self.path = Path(path)
        self.id = job_id or self.path.name
        self.writable = writable
        # Held open from the start: what the method does later to its current directory or
        # to the path cannot move the job's writes.
        self._dir = JobDir(self.path) if writable else None

    def __repr__(self) -> str:
        return f"Job({self.id!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # A handle in a result (or a slice's return) is read later, elsewhere: read-only,
        # without the descriptor of the process that made it.
        return (Job, (str(self.path), self.id))

    def __eq__(self, other: object) -> bool:
        # Equal to its id, as the Accelerator's (a str there): ``job == "clean-3f9a2c1be07d"``.
        if isinstance(other, str):
            return other == self.id
        return isinstance(other, Job) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)  # the id's hash: a handle and its id are one dict key

    def filename(self, name: str | os.PathLike[str], sliceno: int | None = None) -> Path:
        """The path of ``name`` inside the job directory (``name.N`` for slice N); a name
        that leaves it is refused, and, for the job being built, one through a link
        (``open`` is safer still: the name is checked as it is opened, not before)."""
        name = jobfiles.sliced_name(name, sliceno)
        if self._dir is None:
            return contained_path(self.path, name)
        if name and os.path.normpath(name) == os.curdir:
            return self.path
        parts = _parts(name)
        self._dir.check_no_links(parts, name)
        return self.path.joinpath(*parts)

    def open(self, name: str | os.PathLike[str], mode: str = "r", *, sliceno: int | None = None,
             temp: bool = False, **kwargs: Any) -> IO[Any]:
        """Open a file of the job; writing is for the job being built, and not its records.
        A write creates the directories the name needs. ``sliceno``: the file ``name.N``;
        ``temp``: a file written now is removed when the job finishes."""
        name = jobfiles.sliced_name(name, sliceno)
        if not _WRITE_MODES & set(mode):
            return open(self.filename(name), mode, **kwargs)
        if self._dir is None:
            raise PermissionError(f"{self.id} is not the job being built: its files are "
                                  f"only read (open {name!r} with mode 'r' or 'rb')")
        parts = _parts(name)
        if parts[0] in OWN_FILES:
            raise PermissionError(f"{name!r} is acbuild's record of the job; write your "
                                  "files under other names")
        parent, owned = self._dir.open_parent(parts, name)
        try:
            f = open(self.path.joinpath(*parts), mode, **kwargs,  # noqa: SIM115 (returned)
                     opener=lambda _, flags: _open_own_file(parts[-1], flags, parent, name))
        finally:
            if owned:
                os.close(parent)
        if temp:
            jobfiles.add_temps([name])
        return f

    def load(self, name: str | os.PathLike[str] = RESULT_FILE, sliceno: int | None = None,
             default: Any = jobfiles._NO_DEFAULT) -> Any:
        """The job's result (what synthesis, or prepare, returned; None if nothing), or
        the pickle ``name`` it saved (``default`` if there is no such file)."""
        name = jobfiles.sliced_name(name, sliceno)
        if name == RESULT_FILE and default is jobfiles._NO_DEFAULT:
            default = None
        return jobfiles.load(self, name, default)

    @property
    def params(self) -> Namespace:
        """The job's setup.json (method, options, inputs, ...), with attribute access."""
        import json  # here: a handle that is never asked for its setup does not load it

        with open(self.filename("setup.json"), "rb") as f:
            return namespaces(json.load(f))

    def files(self) -> list[str]:
        return sorted(
            str(p.relative_to(self.path)) for p in self.path.rglob("*") if p.is_file()
        )

    def withfile(self, name: str, sliced: bool = False) -> JobWithFile:
        """A file of this job, as an option type the Accelerator's way."""
        return JobWithFile(self, name, sliced)

    def input(self, name: str) -> Any:
        """The input ``name`` this job was built with (a handle, a list of them, or None),
        as its setup.json records it."""
        import json  # here: most jobs never look at an input's inputs

        with open(self.path / "setup.json") as f:
            info = (json.load(f).get("inputs") or {}).get(name)
        if type(info) is list:
            return JobList(None if i is None else Job(i["path"], i["id"]) for i in info)
        return None if not info else Job(info["path"], info["id"])

    def chain(self, length: int = -1, reverse: bool = False, stop_job: Any = None) -> list[Job]:
        """This job and those before it along the ``previous`` input, oldest first
        (``reverse=True``: newest first), as the Accelerator's ``Job.chain``."""
        return follow_chain(self, lambda job: job.input("previous"), length, reverse, stop_job)


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


def _parts(name: str | os.PathLike[str]) -> list[str]:
    """The components of a file name inside a job directory; absolute names and ``..``
    that leaves it are refused. (Lexical: the name is never followed through a link.)"""
    name = os.fspath(name)
    if not name or os.path.isabs(name):
        raise ValueError(f"{name!r}: a job file name must be relative to the job directory")
    norm = os.path.normpath(name)
    if norm == os.curdir:
        raise ValueError(f"{name!r} is the job directory itself, not a file in it")
    if norm == os.pardir or norm.startswith(os.pardir + os.sep):
        raise ValueError(f"{name!r} leaves the job directory")
    return norm.split(os.sep)


def _through_link(name: str, part: str) -> ValueError:
    return ValueError(f"{name!r} goes through the link {part!r}: the job being built writes "
                      "its files by their own names, never through a link")


class JobDir:
    """A job directory held open by a file descriptor, and known by its device and inode:
    ``fd()`` is always that directory, or an error, wherever it was moved and whatever
    the process did to its current directory or its file descriptors."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = os.fspath(path)
        self._fd = os.open(self.path, _DIR_FLAGS)
        st = os.fstat(self._fd)
        self._key = (st.st_dev, st.st_ino)

    def fd(self) -> int:
        """The directory's fd. If the method closed it (and perhaps reused its number), the
        path is opened again, and must still name the same directory."""
        if self._is_ours(self._fd):
            return self._fd
        fd = os.open(self.path, _DIR_FLAGS)  # FileNotFoundError: it was moved or removed
        if not self._is_ours(fd):
            os.close(fd)
            raise FileNotFoundError(errno.ENOENT, "the job directory was replaced", self.path)
        self._fd = fd
        return fd

    def _is_ours(self, fd: int) -> bool:
        try:
            st = os.fstat(fd)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self._key and stat.S_ISDIR(st.st_mode)

    def open_parent(self, parts: list[str], name: str) -> tuple[int, bool]:
        """An fd of the directory holding ``parts[-1]`` (the directories on the way made
        where missing), and whether it is a new one for the caller to close."""
        current = top = self.fd()
        for part in parts[:-1]:
            try:
                child = _open_dir(part, current, name)
            except FileNotFoundError:
                # made at this moment by someone else: opened as any other
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o777, dir_fd=current)
                child = _open_dir(part, current, name)
            finally:
                if current != top:
                    os.close(current)
            current = child
        return current, current != top

    def check_no_links(self, parts: list[str], name: str) -> None:
        """Refuse a name that goes through a link, as far as it exists now."""
        current = top = self.fd()
        try:
            for i, part in enumerate(parts):
                try:
                    st = os.stat(part, dir_fd=current, follow_symlinks=False)
                except FileNotFoundError:
                    return
                if stat.S_ISLNK(st.st_mode):
                    raise _through_link(name, part)
                if i + 1 < len(parts):
                    if not stat.S_ISDIR(st.st_mode):
                        return  # the name leads nowhere: opening it will say so
                    child = _open_dir(part, current, name)
                    if current != top:
                        os.close(current)
                    current = child
        finally:
            if current != top:
                os.close(current)

    def __del__(self) -> None:
        if self._is_ours(self._fd):  # never an fd the method got with our old number
            os.close(self._fd)


def _open_dir(part: str, dir_fd: int, name: str) -> int:
    try:
        return os.open(part, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(part, dir_fd):
            raise _through_link(name, part) from None
        raise


def _is_link(part: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(part, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _open_own_file(leaf: str, flags: int, dir_fd: int, name: str) -> int:
    """Open the job's own file ``leaf`` in ``dir_fd``, with the flags ``open`` asks for:
    never through a link, never a FIFO or device, never a file with another name elsewhere
    (a hard link into another job), and truncated only once that is known."""
    try:
        fd = os.open(leaf, (flags & ~os.O_TRUNC) | _FILE_FLAGS, 0o666, dir_fd=dir_fd)
    except OSError as e:
        if e.errno == errno.ELOOP and _is_link(leaf, dir_fd):
            raise _through_link(name, leaf) from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{name!r} is not a regular file")
        if st.st_nlink > 1:
            raise ValueError(f"{name!r} is a hard link ({st.st_nlink} names): the job being "
                             "built writes only files of its own")
        if flags & os.O_TRUNC:
            os.ftruncate(fd, 0)
        return fd
    except BaseException:
        os.close(fd)
        raise


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


def follow_chain(tip: Any, previous: Any, length: int, reverse: bool, stop_job: Any) -> list[Any]:
    """``tip`` and the jobs before it (``previous(job)`` gives the one before, or None), at
    most ``length`` of them (-1: all), stopping before ``stop_job``. ``stop_job`` may be
    ``{job: input_name}``: stop at that job's input of that name. Oldest first, unless
    ``reverse``. Handles compare equal to their ids, so a stop job may be either."""
    if isinstance(stop_job, dict):
        if len(stop_job) != 1:
            raise ValueError("pass a single stop_job={job: input_name}")
        [(holder, name)] = stop_job.items()
        stop_job = holder.input(name) if holder else None
    chain: list[Any] = []
    current = tip
    seen = set()
    while length != len(chain) and current is not None and current != stop_job:
        if current.id in seen:
            raise ValueError(f"the chain of {tip.id} loops at {current.id}")
        seen.add(current.id)
        chain.append(current)
        current = previous(current)
    if not reverse:
        chain.reverse()
    return chain


class JobWithFile:
    """A file of a job: the option value ``handle.withfile(name)`` becomes in the method
    (and ``job.withfile(name)``), as the Accelerator's. A sliced file is one per slice,
    ``name.<sliceno>``; ``filename`` refuses a slice number for an unsliced file and the
    other way round. As an option declaration, ``JobWithFile`` is its type."""

    __slots__ = ("job", "name", "sliced")

    def __init__(self, job: Job, name: str | os.PathLike[str], sliced: bool = False):
        self.job, self.name, self.sliced = job, os.fspath(name), bool(sliced)
        if os.path.isabs(self.name):
            raise ValueError(f"{self.name!r}: a job file name must be relative to the job")

    def __repr__(self) -> str:
        return f"JobWithFile({self.job.id!r}, {self.name!r}, sliced={self.sliced})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, JobWithFile) and (other.job, other.name, other.sliced)
                == (self.job, self.name, self.sliced))

    def __hash__(self) -> int:
        return hash((self.job.id, self.name, self.sliced))

    def filename(self, sliceno: int | None = None) -> Path:
        if sliceno is None and self.sliced:
            raise ValueError(f"{self.name!r} of {self.job.id} is sliced: give a sliceno")
        if sliceno is not None and not self.sliced:
            raise ValueError(f"{self.name!r} of {self.job.id} is not sliced: no sliceno")
        name = self.name if sliceno is None else f"{self.name}.{sliceno}"
        return contained_path(self.job.path, name)

    def open(self, mode: str = "r", sliceno: int | None = None, **kwargs: Any) -> IO[Any]:
        if _WRITE_MODES & set(mode):
            raise PermissionError(f"{self.name!r} is a file of {self.job.id}: only read it")
        return open(self.filename(sliceno), mode, **kwargs)

    def load(self, sliceno: int | None = None) -> Any:
        """The file unpickled."""
        from acbuild import results  # here: a method that reads no pickle does not load it

        return results.load(self.job.path, str(self.filename(sliceno).relative_to(self.job.path)))

    def json_load(self, sliceno: int | None = None) -> Any:
        import json

        with self.open("r", sliceno) as f:
            return json.load(f)


class JobList(list[Any]):
    """A list input in a method (``jobs.many``): a list of handles (None where the script
    gave None), in order, with the Accelerator's ``[method]``, ``find`` and ``get``."""

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, str):
            return self.find(item)[-1]  # the last of that method, or IndexError
        if isinstance(item, slice):
            return JobList(list.__getitem__(self, item))
        return list.__getitem__(self, item)

    def find(self, method: str) -> JobList:
        """The jobs of ``method``, in order (an id is ``<method>-<hash>``)."""
        return JobList(j for j in self if j is not None and j.id.rsplit("-", 1)[0] == method)

    def get(self, method: str, default: Any = None) -> Any:
        found = self.find(method)
        return found[-1] if found else default
