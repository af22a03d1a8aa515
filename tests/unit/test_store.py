"""store: the stat cache of input file digests never keeps a digest of a changing file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from acbuild import dbcaches, hashing
from acbuild.dbcaches import FileStat
from acbuild.errors import UnhashableFile
from acbuild.store import Found, JobStore


def _stat(path: Path) -> FileStat:
    st = path.stat()
    return FileStat(st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def test_a_file_changed_while_hashed_leaves_nothing_in_the_stat_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data.bin"
    data.write_bytes(b"x" * (3 << 20))
    old = time.time() - 3600  # old enough for the cache to keep its digest
    os.utime(data, (old, old))
    before = _stat(data)
    real_readv = os.readv

    def cut_after_first_read(fd: int, buffers: list[bytearray]) -> int:
        n = real_readv(fd, buffers)
        if data.stat().st_size == 3 << 20:
            os.truncate(data, 1 << 20)
            os.utime(data, (old, old))  # even with its mtime put back
        return n

    store = JobStore(tmp_path / "workdir")
    try:
        monkeypatch.setattr(os, "readv", cut_after_first_read)
        with pytest.raises(UnhashableFile, match="changed while it was hashed"):
            store.digests.file_digest(data)
        monkeypatch.undo()
        db = store.target_db()
        assert dbcaches.cached_digest(db, str(data), before) is None
        assert dbcaches.cached_digest(db, str(data), _stat(data)) is None
        # Stable now: hashed, and the digest kept is the content's.
        assert store.digests.file_digest(data) == hashing.hash_bytes(b"x" * (1 << 20))
        assert (dbcaches.cached_digest(db, str(data), _stat(data))
                == hashing.hash_bytes(b"x" * (1 << 20)))
    finally:
        store.close()


def test_built_after_orders_one_work_directory_by_its_sequence_and_others_by_time(
        tmp_path: Path) -> None:
    store = JobStore(tmp_path / "dev")
    try:
        def job(root: str, seq: int | None, created: float) -> Found:
            return Found("h", "m-h", "m", f"{tmp_path}/{root}/m-h", created, seq)
        # One database: its order of publication, whatever the clock said.
        assert store.built_after(job("dev", 5, 100.0), job("dev", 4, 200.0))
        assert not store.built_after(job("dev", 4, 200.0), job("dev", 5, 100.0))
        # A row without a number is older than any numbered one; two without, by time.
        assert store.built_after(job("dev", 1, 0.0), job("dev", None, 50.0))
        assert not store.built_after(job("dev", None, 50.0), job("dev", 1, 0.0))
        assert store.built_after(job("dev", None, 2.0), job("dev", None, 1.0))
        # Two databases share no order: the rows' times.
        assert store.built_after(job("shared", 1, 200.0), job("dev", 9, 100.0))
        assert not store.built_after(job("shared", 9, 100.0), job("dev", 1, 200.0))
    finally:
        store.close()
