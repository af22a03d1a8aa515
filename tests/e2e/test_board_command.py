"""`acbuild board` as a command: loopback by default; another address only with a warning."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("uvicorn")
SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_once(project: Any, *args: str) -> tuple[str, str]:
    """Start the board, fetch its runs page as JSON, stop it: (the page, its stderr)."""
    port, page = free_port(), ""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    server = subprocess.Popen([sys.executable, "-m", "acbuild", "board", "--port", str(port),
                               *args], cwd=project.root, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/?format=json",
                                            timeout=5) as answer:
                    page = answer.read().decode()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
    finally:
        server.terminate()
        _, err = server.communicate(timeout=10)
    return page, err


def test_loopback_by_default_and_a_warning_for_another_address(project: Any) -> None:
    project.write("methods/.keep", "")
    page, err = serve_once(project)
    assert page.strip().startswith("{") and '"runs": []' in page
    assert "http://127.0.0.1:" in err and "warning" not in err
    # Another address is warned of before anything listens. A test serves on 127.0.0.1 only,
    # so the address is one no machine here has (TEST-NET-1): the warning, then a clear error.
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    other = subprocess.run([sys.executable, "-m", "acbuild", "board", "--host", "192.0.2.1",
                            "--port", str(free_port())], cwd=project.root, env=env,
                           capture_output=True, text=True, timeout=60)
    assert "warning:" in other.stderr and "results are pickles" in other.stderr
    assert other.returncode == 2 and "192.0.2.1" in other.stderr


def test_help_says_what_it_is(project: Any) -> None:
    out = project.acbuild("board", "--help").stdout
    assert "--host" in out and "--port" in out and "--open" in out and "Read-only" in out
