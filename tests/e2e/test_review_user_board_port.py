"""`acbuild board` on a port in use: one error naming the address and --port, exit 2,
and never "serving at ..." first (uvicorn logged the bind error and exited 3)."""

from __future__ import annotations

import socket

import pytest

from conftest import Project

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")


def test_board_on_a_port_in_use(project: Project) -> None:
    project.method("one", "def synthesis():\n    return 1\n")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        proc = project.acbuild("board", "--port", str(port), check=2, timeout=60)
    assert f"the board cannot listen on 127.0.0.1:{port}" in proc.stderr
    assert "--port another port" in proc.stderr
    assert "Ctrl-C stops it" not in proc.stderr and "Traceback" not in proc.stderr
