"""Identity is pinned: a change to the scheme must be deliberate (bump JOB_FORMAT)."""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from acbuild import canonical, graph, hashing
from acbuild.errors import UnhashableFile

SRC = Path(__file__).resolve().parents[2] / "src"


def test_pinned_job_ids() -> None:
    spec = graph.make_spec("clean", "0" * 64, {"threshold": 0.5, "columns": ["a", "b"]}, {}, None)
    assert spec.id == "clean-f6602c0def58"
    upstream = graph.make_spec("ingest", "1" * 64,
                               {"src": canonical.InputFile("data/raw.csv", "2" * 64)}, {}, 2)
    assert upstream.id == "ingest-65130b4e11ce"
    down = graph.make_spec("train", "3" * 64, {"day": datetime.date(2020, 1, 2)},
                           {"data": upstream, "other": None}, None)
    assert down.id == "train-bd52ecc6078c"


def test_job_id_shape() -> None:
    assert hashing.job_id("m", "abcdef0123456789" * 4) == "m-abcdef012345"


def test_hash_is_independent_of_option_order() -> None:
    a = graph.make_spec("m", "0" * 64, {"a": 1, "b": 2}, {}, None)
    b = graph.make_spec("m", "0" * 64, {"b": 2, "a": 1}, {}, None)
    assert a.hash == b.hash


def test_every_identity_part_changes_the_hash() -> None:
    base = dict(method="m", code_hash="0" * 64, options={"a": 1}, inputs={}, slices=None)
    reference = graph.make_spec(**base).hash  # type: ignore[arg-type]
    upstream = graph.make_spec("u", "0" * 64, {}, {}, None)
    for change in ({"method": "n"}, {"code_hash": "1" * 64}, {"options": {"a": 2}},
                   {"inputs": {"x": upstream}}, {"inputs": {"x": None}}, {"slices": 2}):
        assert graph.make_spec(**{**base, **change}).hash != reference, change  # type: ignore[arg-type]


def test_input_file_identity_is_content_not_path() -> None:
    a = graph.make_spec("m", "0" * 64, {"src": canonical.InputFile("a.csv", "9" * 64)}, {}, None)
    b = graph.make_spec("m", "0" * 64, {"src": canonical.InputFile("b.csv", "9" * 64)}, {}, None)
    c = graph.make_spec("m", "0" * 64, {"src": canonical.InputFile("a.csv", "8" * 64)}, {}, None)
    assert a.hash == b.hash != c.hash


def test_hash_file_and_tree(tmp_path: Path) -> None:
    f = tmp_path / "f.bin"
    f.write_bytes(b"x" * (3 << 20))  # above the memory-map threshold
    assert hashing.hash_file(f) == hashing.hash_bytes(b"x" * (3 << 20))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a").write_text("1")
    first = hashing.hash_tree(tmp_path / "d")
    (tmp_path / "d" / "a").write_text("2")
    assert hashing.hash_tree(tmp_path / "d") != first


# --- files that are not plain files, or change while they are read ---------------------

def _truncate_after_first_read(monkeypatch: pytest.MonkeyPatch, path: Path,
                               change: Callable[[Path], None]) -> None:
    """Make ``change`` happen to the real file right after hashing's first read of it: a
    deterministic stand-in for another process writing while acbuild hashes."""
    changed = []
    real_read, real_readv = os.read, os.readv

    def after_first(result: object) -> object:
        if not changed:
            changed.append(True)
            change(path)
        return result

    monkeypatch.setattr(os, "read", lambda fd, n: after_first(real_read(fd, n)))
    monkeypatch.setattr(os, "readv", lambda fd, bufs: after_first(real_readv(fd, bufs)))


def _cut(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _overwrite_keeping_size(path: Path) -> None:
    st = path.stat()
    with open(path, "r+b") as f:
        f.write(b"y" * 16)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a later clock tick


def _grow(path: Path) -> None:
    with open(path, "ab") as f:
        f.write(b"more")


@pytest.mark.parametrize("size", [100, 3 << 20], ids=["small", "large"])
@pytest.mark.parametrize("change", [_cut, _overwrite_keeping_size, _grow])
def test_a_file_changed_while_hashed_is_an_error_not_a_digest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int,
        change: Callable[[Path], None]) -> None:
    f = tmp_path / "data.bin"
    f.write_bytes(b"x" * size)
    _truncate_after_first_read(monkeypatch, f, change)
    with pytest.raises(UnhashableFile) as raised:
        hashing.hash_file(f)
    assert raised.value.path == str(f)
    assert "changed while it was hashed" in raised.value.reason
    monkeypatch.undo()
    assert hashing.hash_file(f) == hashing.hash_bytes(f.read_bytes())  # stable again: hashed


def test_a_file_truncated_while_hashed_in_another_thread_never_kills_the_process(
        tmp_path: Path) -> None:
    """The real race, in a child process (a SIGBUS would kill it): a thread cuts a large
    file as soon as the hashing has it open. Every outcome is an error or the digest of a
    state the file was in; never a signal."""
    script = tmp_path / "race.py"
    script.write_text(textwrap.dedent('''
        import os, sys, threading, time
        from acbuild import hashing
        from acbuild.errors import UnhashableFile

        path, size = sys.argv[1], 256 << 20
        full = None
        for attempt in range(3):
            with open(path, "wb") as f:
                f.truncate(size)  # sparse: costs no disk
            full = full or hashing.hash_file(path)

            def cut():
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    for fd in os.listdir("/proc/self/fd"):
                        try:
                            if os.readlink(f"/proc/self/fd/{fd}") == path:
                                os.truncate(path, size // 2)
                                return
                        except OSError:
                            pass

            thread = threading.Thread(target=cut)
            thread.start()
            try:
                print("digest", hashing.hash_file(path))
            except UnhashableFile as e:
                print("error", e.reason)
            thread.join()
        print("full", full, "half", hashing.hash_bytes(bytes(size // 2)))
    '''))
    big = os.path.realpath(tmp_path / "big.bin")  # as /proc/self/fd/N names it
    proc = subprocess.run([sys.executable, str(script), big],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(SRC)})
    assert proc.returncode == 0, (proc.returncode, proc.stderr)  # -7: SIGBUS
    *outcomes, last = proc.stdout.splitlines()
    _, full, _, half = last.split()
    assert len(outcomes) == 3
    for outcome in outcomes:
        kind, _, value = outcome.partition(" ")
        assert (kind == "error" and value == "changed while it was hashed"
                or kind == "digest" and value in (full, half)), outcome


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_a_fifo_is_refused_at_once_alone_or_in_a_directory(tmp_path: Path) -> None:
    fifo = tmp_path / "d" / "pipe"
    fifo.parent.mkdir()
    (tmp_path / "d" / "a.txt").write_text("a")
    os.mkfifo(fifo)
    with pytest.raises(UnhashableFile, match="is a FIFO"):
        hashing.hash_file(fifo)  # would wait for a writer forever if it opened it to read
    with pytest.raises(UnhashableFile) as raised:
        hashing.hash_tree(tmp_path / "d")
    assert raised.value.path == str(fifo)


def test_a_device_or_socket_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnhashableFile, match="character device"):
        hashing.hash_file("/dev/null")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "s"))
        with pytest.raises(UnhashableFile, match="socket"):
            hashing.hash_file(tmp_path / "s")
    finally:
        sock.close()


def test_links_to_files_are_content_and_dangling_links_add_nothing(tmp_path: Path) -> None:
    (tmp_path / "target.txt").write_text("content")
    (tmp_path / "link.txt").symlink_to(tmp_path / "target.txt")
    assert hashing.hash_file(tmp_path / "link.txt") == hashing.hash_bytes(b"content")
    d = tmp_path / "d"
    d.mkdir()
    (d / "a").write_text("1")
    before = hashing.hash_tree(d)
    (d / "dangling").symlink_to(tmp_path / "nowhere")
    assert hashing.hash_tree(d) == before
