"""A work directory's store of source files by content: ``<workdir>/.sources/ab/cdef…``.

Every file a job's ``source/`` holds (its method, the project-local modules it
imports, its ``depend_extra`` files) is stored once per work directory, named by
its blake3, read-only (mode 0444), and hard-linked into each job's ``source/``:
a thousand jobs of one method cost one file, and staging a job costs a link per
file instead of a copy. Where a link cannot be made (another file system, a file
system without hard links, too many links), the job gets a read-only copy.

A hard-linked file is one file: writing to it (root ignores the mode) changes the
source of every job that shares it. ``acbuild verify`` finds that, as each job's
setup.json records the blake3 of each of its source files (``code.files``), and
``sharing`` says which jobs share each file. ``gc`` removes the store files
no job links to any more (``remove_unused``), under its exclusive hold.

Before a run's first link to a store file, its content is compared with the bytes
to be staged: a store file changed since it was written is replaced (the jobs that
linked the changed one keep it, and verify reports them), never linked again.
Knows nothing of jobs beyond their ``source/`` directories.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from acbuild.hashing import hash_bytes
from acbuild.joblog import open_regular_file

SOURCES_DIR = ".sources"
SOURCE_DIR = "source"  # in a job directory
READ_ONLY = 0o444
# A link that cannot be made here: another file system (EXDEV), a file system without
# hard links or a policy against them (EPERM, ENOTSUP, EACCES), too many links (EMLINK),
# a store that cannot be written (EACCES, EROFS).
_NO_LINK = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EACCES, errno.EROFS,
                      getattr(errno, "ENOTSUP", errno.EOPNOTSUPP), errno.EOPNOTSUPP})


# The names the store gives its files (see ``path`` and ``_write``).
_FAN = re.compile(r"[0-9a-f]{2}")
_STORED = re.compile(r"[0-9a-f]{62}(?:\.\d+\.tmp)?")


class SourceStore:
    """The store of one work directory; remembers, for one process, what it has checked."""

    def __init__(self, workdir: Path):
        self.root = str(workdir / SOURCES_DIR)
        self._digests: dict[bytes, str] = {}  # by content: a method's bytes are hashed once
        self._checked: dict[str, str] = {}  # digest -> store path, checked this process
        # digest -> (dev, ino, size, mtime_ns) of the store file when checked: a job's link
        # to it that no longer has them was written through (``restore``)
        self._stats: dict[str, tuple[int, int, int, int]] = {}
        self.linked = True  # False once a link failed: later files are copied at once

    def digest(self, data: bytes) -> str:
        found = self._digests.get(data)
        if found is None:
            found = self._digests[data] = hash_bytes(data)
        return found

    def digests(self, sources: Mapping[str, bytes]) -> dict[str, str]:
        """The blake3 of each source file, by its path in source/ (setup.json's record)."""
        return {relpath: self.digest(data) for relpath, data in sorted(sources.items())}

    def path(self, digest: str) -> str:
        return os.path.join(self.root, digest[:2], digest[2:])

    def place(self, target: str, data: bytes) -> None:
        """Make ``target`` (a new name) a read-only file holding ``data``: a hard link to
        the store's file, or where that cannot be, a copy."""
        if self.linked:
            try:
                self._link(data, target)
                return
            except OSError as e:
                if e.errno not in _NO_LINK:
                    raise
                self.linked = False
        write_new_file(target, data)

    def _link(self, data: bytes, target: str) -> None:
        stored = self._stored(data)
        try:
            os.link(stored, target)
        except OSError as e:
            if e.errno != errno.EMLINK:
                raise
            self._write(stored, data)  # a new inode for the next jobs; the linked keep theirs
            self._remember(self.digest(data), stored)
            os.link(stored, target)

    def _stored(self, data: bytes) -> str:
        """The store's file of ``data``, written if absent, replaced if changed."""
        digest = self.digest(data)
        path = self._checked.get(digest)
        if path is not None:
            return path
        path = self.path(digest)
        if not _holds(path, data):
            self._write(path, data)
        self._checked[digest] = path
        self._remember(digest, path)
        return path

    def _remember(self, digest: str, path: str) -> None:
        st = os.lstat(path)
        self._stats[digest] = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def restore(self, job_dir: str, sources: Mapping[str, bytes]) -> list[str]:
        """The files of ``job_dir``'s source/ (staged from ``sources``) that its job wrote
        through while it ran, where they are the store's file: each gets its bytes back,
        so no other job sharing it is changed. A stat per file; a file the job replaced
        (a new inode) is only its own record; one it removed is looked at in the store."""
        changed = []
        for relpath, data in sources.items():
            digest = self.digest(data)
            expected = self._stats.get(digest)
            if expected is None:
                continue
            target = os.path.join(job_dir, SOURCE_DIR, relpath)
            try:
                st = os.lstat(target)
            except OSError:  # its link gone (source/ removed after writing through it?):
                target = self.path(digest)  # the store's own link, if it is that file still
                try:
                    st = os.lstat(target)
                except OSError:
                    continue
            if ((st.st_dev, st.st_ino) != expected[:2]
                    or ((st.st_size, st.st_mtime_ns) == expected[2:]
                        and stat.S_IMODE(st.st_mode) == READ_ONLY)):
                continue
            _put_back(target, data, expected[3])
            changed.append(relpath)
        return changed

    def _write(self, path: str, data: bytes) -> None:
        """Write the store file anew, under a temporary name first: nobody ever links half
        a file. A changed one is replaced: the jobs linked to it keep theirs."""
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        try:
            write_new_file(temporary, data)
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def unused(self, without: Iterable[Path] = ()) -> list[Path]:
        """The store files no job links to: each link but the store's own is in the
        source/ of the job directories ``without`` (none: their only link is the store's).
        ``gc --dry-run`` counts those its jobs would leave unlinked."""
        links = Counter(inode for job in without for inode in _inodes(job / SOURCE_DIR))
        found = []
        for entry in _files(self.root):
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if st.st_nlink - 1 <= links[(st.st_dev, st.st_ino)]:
                found.append(Path(entry.path))
        return found

    def remove_unused(self) -> list[Path]:
        """Remove the store files no job links to (and temporary files a dead run left).
        Only under ``gc``'s exclusive hold: no run is linking meanwhile."""
        removed = []
        for path in self.unused():
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed.append(path)
        for fan in {path.parent for path in removed}:  # a directory left empty goes too
            with contextlib.suppress(OSError):
                fan.rmdir()
        return removed


def _holds(path: str, data: bytes) -> bool:
    """Whether ``path`` is a regular file holding ``data`` (never through a link, never
    blocking on a FIFO someone put there)."""
    try:
        with open_regular_file(path) as f:
            return f.read(len(data) + 1) == data
    except OSError:
        return False


def sharing(job_dirs: Iterable[Path]) -> dict[tuple[int, int], list[str]]:
    """For each file (device and inode) in the source/ of the jobs in ``job_dirs``, the
    names of the jobs whose source/ holds it: more than one where it is hard-linked."""
    by_inode: dict[tuple[int, int], list[str]] = {}
    for job in sorted(job_dirs):
        for inode in set(_inodes(job / SOURCE_DIR)):
            by_inode.setdefault(inode, []).append(job.name)
    return by_inode


def _put_back(path: str, data: bytes, mtime_ns: int) -> None:
    """Write ``data`` into the file ``path`` itself (every link to it sees it), read-only
    and with its former mtime again."""
    os.chmod(path, 0o600)  # (an owner who is not root may write; it is a file: lstat said so)
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fchmod(fd, READ_ONLY)
        os.utime(fd, ns=(os.fstat(fd).st_atime_ns, mtime_ns))
    finally:
        os.close(fd)


def write_new_file(path: str, data: bytes, mode: int = READ_ONLY) -> None:
    """``data`` as a new file at ``path`` (one that is there is an error), by plain os calls:
    a file object costs four system calls more (fstat, isatty, two lseeks) and its text
    layer, for each of thousands of files a cold build writes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _files(root: str) -> Iterator[os.DirEntry[str]]:
    """The store's files: only what acbuild names so (``ab/cdef…``, and a dead run's
    ``ab/cdef….<pid>.tmp``). ``.sources`` may be a link to another disk, which may hold
    other files: those are never the store's to remove."""
    try:
        with os.scandir(root) as fans:
            subdirs = [e.path for e in fans
                       if _FAN.fullmatch(e.name) and e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return
    for sub in subdirs:
        with os.scandir(sub) as entries:
            yield from (e for e in entries
                        if _STORED.fullmatch(e.name) and e.is_file(follow_symlinks=False))


def _inodes(directory: Path) -> Iterator[tuple[int, int]]:
    stack = [str(directory)]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif entry.is_file(follow_symlinks=False):
                st = entry.stat(follow_symlinks=False)
                yield (st.st_dev, st.st_ino)
