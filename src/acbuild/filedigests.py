"""The digests of a project's input files, through a stat cache: a file unchanged since it
was last hashed (the same size, mtime, inode and ctime) is not read again.

The cache is kept in this process and in the target work directory's database
(``dbcaches.cached_digest``/``store_digests``); hashing itself is ``acbuild.hashing``'s.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from acbuild import dbcaches, hashing
from acbuild.db import Database
from acbuild.dbcaches import FileStat


class FileDigests:
    """The stat cache of one store; ``target_db``: the target's database, opened when first
    needed."""

    def __init__(self, target_db: Callable[[], Database]):
        self.target_db = target_db
        self._digests: dict[str, tuple[FileStat, str]] = {}  # stat cache, in this process
        self._fresh: list[tuple[str, FileStat, str]] = []  # new digests, not yet stored

    def file_digest(self, path: Path) -> str:
        """blake3 of a file or directory; a file unchanged since it was last hashed is not read.

        "Unchanged" is the stat cache's word: the same size, mtime, inode and ctime as when
        its digest was stored. A touched file is read again, and gives the same digest.
        A directory's files each go through the cache.
        """
        if path.is_dir():
            digest = hashing.hash_tree(path, self.cached_file_digest)
        else:
            digest = self.cached_file_digest(path)
        self.store_fresh_digests()
        return digest

    def store_fresh_digests(self) -> None:
        if self._fresh:  # one write transaction for all of a directory's new digests
            dbcaches.store_digests(self.target_db(), self._fresh)
            self._fresh.clear()

    def cached_file_digest(self, path: Path) -> str:
        st = os.stat(path)
        stat = FileStat(st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
        key = str(path)
        known = self._digests.get(key)
        if known is not None and known[0] == stat:
            return known[1]
        digest = dbcaches.cached_digest(self.target_db(), key, stat)
        if digest is None:
            # Raises UnhashableFile, and so stores nothing, for a file that changed while
            # it was read; the digest is stored under the stat it was read with.
            digest, st = hashing.hash_file_stat(path)
            stat = FileStat(st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
            # A file changed within the clock tick it was hashed in could keep its stat:
            # trust no stat this fresh.
            if time.time_ns() - st.st_mtime_ns < 2_000_000_000:
                return digest
            self._fresh.append((key, stat, digest))
        self._digests[key] = (stat, digest)
        return digest
