"""The source store: one read-only file per content, hard-linked; a copy where a link fails."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from acbuild.hashing import hash_bytes
from acbuild.sourcestore import SourceStore, sharing


def files(root: Path) -> list[Path]:
    return sorted(p for p in (root / ".sources").rglob("*") if p.is_file())


def test_place_links_one_read_only_file_per_content(tmp_path: Path) -> None:
    store = SourceStore(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    store.place(str(tmp_path / "a" / "m.py"), b"x = 1\n")
    store.place(str(tmp_path / "b" / "m.py"), b"x = 1\n")
    store.place(str(tmp_path / "b" / "n.py"), b"y = 2\n")
    stored = files(tmp_path)
    assert stored == sorted(Path(store.path(hash_bytes(d))) for d in (b"x = 1\n", b"y = 2\n"))
    a, b = os.stat(tmp_path / "a" / "m.py"), os.stat(tmp_path / "b" / "m.py")
    assert (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino) == \
        (os.stat(store.path(hash_bytes(b"x = 1\n"))).st_dev,
         os.stat(store.path(hash_bytes(b"x = 1\n"))).st_ino)
    assert a.st_nlink == 3  # the store's own name, and two jobs
    assert stat.S_IMODE(a.st_mode) == 0o444
    assert (tmp_path / "b" / "n.py").read_bytes() == b"y = 2\n"
    for job in ("a", "b"):
        (tmp_path / job / "source").mkdir()
        os.link(tmp_path / job / "m.py", tmp_path / job / "source" / "m.py")
    (tmp_path / "c" / "source").mkdir(parents=True)
    assert sharing([tmp_path / "a", tmp_path / "b", tmp_path / "c"])[
        (a.st_dev, a.st_ino)] == ["a", "b"]
    assert store.digests({"m.py": b"x = 1\n"}) == {"m.py": hash_bytes(b"x = 1\n")}


def test_a_changed_store_file_is_replaced_before_it_is_linked_again(tmp_path: Path) -> None:
    store = SourceStore(tmp_path)
    store.place(str(tmp_path / "old.py"), b"x = 1\n")
    stored = Path(store.path(hash_bytes(b"x = 1\n")))
    stored.chmod(0o644)
    stored.write_bytes(b"x = 666\n")  # through the link: the old job's file changed too
    fresh = SourceStore(tmp_path)  # the next run
    fresh.place(str(tmp_path / "new.py"), b"x = 1\n")
    assert (tmp_path / "new.py").read_bytes() == b"x = 1\n" == stored.read_bytes()
    assert (tmp_path / "old.py").read_bytes() == b"x = 666\n"
    assert os.stat(tmp_path / "new.py").st_ino == stored.stat().st_ino
    assert os.stat(tmp_path / "old.py").st_ino != stored.stat().st_ino


def test_another_file_system_gets_a_read_only_copy(tmp_path: Path) -> None:
    if not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs a second file system (/dev/shm)")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as elsewhere:
        store = SourceStore(Path(elsewhere))  # the store on tmpfs, the job on the disk
        store.place(str(tmp_path / "m.py"), b"x = 1\n")
        store.place(str(tmp_path / "n.py"), b"y = 2\n")
        st = os.stat(tmp_path / "m.py")
        assert st.st_nlink == 1 and stat.S_IMODE(st.st_mode) == 0o444
        assert (tmp_path / "m.py").read_bytes() == b"x = 1\n"
        assert (tmp_path / "n.py").read_bytes() == b"y = 2\n"
        assert not store.linked  # once a link failed, the rest are copied at once


def test_remove_unused_removes_only_what_no_job_links(tmp_path: Path) -> None:
    store = SourceStore(tmp_path)
    store.place(str(tmp_path / "kept.py"), b"kept\n")
    store.place(str(tmp_path / "gone.py"), b"gone\n")
    (tmp_path / "gone.py").unlink()  # its job was removed
    leftover = Path(store.path(hash_bytes(b"kept\n")) + ".123.tmp")
    leftover.write_bytes(b"half")  # what a run that died while writing left
    assert sorted(store.unused()) == sorted([Path(store.path(hash_bytes(b"gone\n"))), leftover])
    assert sorted(store.remove_unused()) == sorted([Path(store.path(hash_bytes(b"gone\n"))),
                                                    leftover])
    assert files(tmp_path) == [Path(store.path(hash_bytes(b"kept\n")))]
    assert (tmp_path / "kept.py").read_bytes() == b"kept\n"
    assert SourceStore(tmp_path / "none").remove_unused() == []


def test_what_took_a_store_file_s_name_is_replaced_not_followed(tmp_path: Path) -> None:
    store = SourceStore(tmp_path)
    digest = hash_bytes(b"x = 1\n")
    Path(store.path(digest)).parent.mkdir(parents=True)
    os.mkfifo(store.path(digest))  # opening it to read would block
    store.place(str(tmp_path / "a.py"), b"x = 1\n")
    assert (tmp_path / "a.py").read_bytes() == b"x = 1\n"
    outside = tmp_path / "outside.py"
    outside.write_bytes(b"x = 1\n")
    fresh = SourceStore(tmp_path)
    os.unlink(fresh.path(digest))
    os.symlink(outside, fresh.path(digest))
    fresh.place(str(tmp_path / "b.py"), b"x = 1\n")
    assert not os.path.islink(fresh.path(digest))
    assert os.stat(tmp_path / "b.py").st_ino != outside.stat().st_ino
