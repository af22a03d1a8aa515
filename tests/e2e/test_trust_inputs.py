"""Inputs that are not plain files, or change while they are hashed: a clear error naming
the file and the script line, exit status 2 and nothing built — never a hang or a signal."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from blake3 import blake3

from conftest import Project

READER = '''
options = {"src": None}

def synthesis(options):
    return open(options.src, "rb").read() if options.src.is_file() else sorted(
        p.name for p in options.src.iterdir())
'''
# Far above what refusing takes, far below forever: a hang fails the test, never the suite.
BOUNDED = 60


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _fifo_in_directory(path: Path) -> None:
    path.mkdir()
    (path / "a.csv").write_text("a\n")
    os.mkfifo(path / "pipe")


def _socket(path: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()  # the socket file stays


def _device_link(path: Path) -> None:
    path.symlink_to("/dev/zero")  # reading it would never end


@pytest.mark.parametrize("make", [_fifo, _fifo_in_directory, _socket, _device_link])
@pytest.mark.parametrize("command", ["run", "status"])
def test_an_input_that_is_not_a_plain_file_is_refused_at_once(
        project: Project, command: str, make: object) -> None:
    project.method("reader", READER)
    project.method("other", "def synthesis():\n    return 1\n")
    (project.root / "data").mkdir()
    make(project.root / "data" / "odd")  # type: ignore[operator]
    project.script('''
        def main(urd):
            urd.build("other")
            urd.build("reader", src=urd.file("data/odd"))
    ''')
    proc = project.acbuild(command, check=2, timeout=BOUNDED)
    assert "Traceback" not in proc.stderr
    assert "data/odd" in proc.stderr and "build.py:3" in proc.stderr, proc.stderr
    if make is _fifo_in_directory:
        assert "data/odd/pipe" in proc.stderr, proc.stderr  # the file inside is named
    assert project.job_dirs() == []  # nothing built, not even the job before it


def test_a_depend_extra_that_is_a_fifo_is_refused_at_once(project: Project) -> None:
    os.mkfifo(project.root / "schema.json")
    project.method("m", 'depend_extra = ("../schema.json",)\n\ndef synthesis():\n    return 1\n')
    project.script('def main(urd):\n    urd.build("m")\n')
    proc = project.acbuild("run", check=2, timeout=BOUNDED)
    assert "schema.json" in proc.stderr and "build.py:2" in proc.stderr, proc.stderr
    assert project.job_dirs() == []


def test_a_link_to_a_file_is_an_input_by_its_content(project: Project) -> None:
    project.method("reader", READER)
    project.write("data/v1.csv", "one\n")
    project.write("data/v2.csv", "two\n")
    (project.root / "data" / "current.csv").symlink_to("v1.csv")
    project.script('def main(urd):\n    urd.build("reader", src=urd.file("data/current.csv"))\n')
    first = project.run_json()
    assert [j["state"] for j in first["jobs"]] == ["built"]
    (project.root / "data" / "current.csv").unlink()
    (project.root / "data" / "current.csv").symlink_to("v2.csv")
    second = project.run_json()
    assert [j["state"] for j in second["jobs"]] == ["built"]  # new content, new job
    assert first["jobs"][0]["id"] != second["jobs"][0]["id"]


# The build script cuts the input file as soon as acbuild has it open to hash it (a thread
# of the script watches /proc/self/fd): another program writing the file at the wrong time.
CUTTING_SCRIPT = '''
import os
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIG = os.path.realpath(os.path.join(HERE, "data/big.bin"))
ONCE = os.path.join(HERE, "cut-once")  # the test's order: cut in this run


def cut_once_open():
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{fd}") == BIG:
                    os.truncate(BIG, os.path.getsize(BIG) // 2)
                    return
            except OSError:
                pass


def main(urd):
    if os.path.exists(ONCE):
        os.unlink(ONCE)
        threading.Thread(target=cut_once_open, daemon=True).start()
    urd.build("reader", src=urd.file("data/big.bin"))
'''


def _recorded_digest(project: Project, job_id: str) -> str:
    setup = json.loads((project.workdir / job_id / "setup.json").read_text())
    return str(setup["options"]["src"]["blake3"])


def _sparse(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        f.truncate(size)  # no disk used; reading it is as slow to hash as any data


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_an_input_cut_while_hashed_is_an_error_never_a_crash_nor_a_wrong_digest(
        project: Project) -> None:
    project.method("reader", 'options = {"src": None}\n\ndef synthesis(options):\n'
                             '    return options.src.stat().st_size\n')
    (project.root / "data").mkdir()
    big = project.root / "data" / "big.bin"
    size = 512 << 20
    _sparse(big, size)
    project.script(CUTTING_SCRIPT)
    project.write("cut-once", "")
    proc = project.acbuild("run", "--json", check=None, timeout=BOUNDED)
    assert proc.returncode in (0, 2), (proc.returncode, proc.stderr)  # -7 was SIGBUS
    assert "Traceback" not in proc.stderr
    if proc.returncode == 2:  # the cut fell while acbuild read the file: the usual case
        assert "data/big.bin" in proc.stderr and "changed while it was hashed" in proc.stderr
        assert "build.py:" in proc.stderr
        assert project.job_dirs() == []
    else:  # the cut came after the hashing: the digest is that of the whole file
        [job] = json.loads(proc.stdout)["jobs"]
        assert _recorded_digest(project, job["id"]) == blake3(bytes(size)).hexdigest()
    # The file keeps still now: the next run hashes what it holds, whatever was cached.
    report = project.run_json()
    [job] = report["jobs"]
    assert _recorded_digest(project, job["id"]) == blake3(bytes(size // 2)).hexdigest()


@pytest.mark.parametrize(("path", "needle"), [
    ('"nul\\0byte.csv"', "nul\\x00byte.csv"),
    ('"x" * 5000', "File name too long"),
    ('5', "int 5"),
    ('"data/loop"', "data/loop"),
])
def test_a_path_that_cannot_name_a_file_is_a_clear_error(project: Project, path: str,
                                                         needle: str) -> None:
    project.method("reader", READER)
    (project.root / "data").mkdir()
    (project.root / "data" / "loop").symlink_to("loop")
    project.script(f'def main(urd):\n    urd.build("reader", src=urd.file({path}))\n')
    proc = project.acbuild("run", check=2, timeout=BOUNDED)
    assert "Traceback" not in proc.stderr and "build script raised" not in proc.stderr
    assert needle in proc.stderr and "build.py:2" in proc.stderr, proc.stderr
    assert len(proc.stderr) < 500  # a 5,000-character name is not printed whole
    assert project.job_dirs() == []


def test_a_build_script_or_method_file_that_is_a_fifo_is_refused_at_once(
        project: Project) -> None:
    os.mkfifo(project.root / "pipe.py")
    proc = project.acbuild("run", "pipe.py", check=2, timeout=BOUNDED)
    assert "pipe.py" in proc.stderr and "not a regular file" in proc.stderr, proc.stderr
    (project.root / "methods").mkdir()
    os.mkfifo(project.root / "methods" / "m.py")
    project.script('def main(urd):\n    urd.build("m")\n')
    for command in ("run", "status"):
        proc = project.acbuild(command, check=2, timeout=BOUNDED)
        assert "methods/m.py" in proc.stderr and "build.py:2" in proc.stderr, proc.stderr
    listing = project.acbuild("methods", timeout=BOUNDED)  # lists the others, says why not it
    assert "methods/m.py" in listing.stdout + listing.stderr
    assert project.job_dirs() == []
