"""The board: a read-only web view of a project (``acbuild board``), beside ``cli`` in the
top layer. starlette and uvicorn are imported here only, and only when the board runs
(``serve``): ``import acbuild.board`` costs nothing.

``app`` routes, ``documents`` gets each page's data from the modules the command line
uses, ``pages`` draws HTML, ``svg`` lays out and draws graphs, ``files`` keeps served
files inside their job directory.
"""

from __future__ import annotations

import errno
import importlib.util
import socket
import threading
import webbrowser
from typing import TYPE_CHECKING

from acbuild.errors import ConfigError

if TYPE_CHECKING:
    from acbuild.config import Project

LOOPBACK = ("127.0.0.1", "localhost", "::1")
WARNING = ("the board answers every machine that can reach {host}:{port}: results are "
           "pickles and job files may be private")


def check_installed() -> None:
    """The board's libraries are there (the ``board`` extra), or a ConfigError says how."""
    missing = [m for m in ("starlette", "uvicorn") if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(f"the board needs {' and '.join(missing)}",
                          hint="pip install 'acbuild[board]'")


def listen(host: str, port: int) -> socket.socket:
    """The board's listening socket; an address in use (or not this machine's) is a
    ConfigError here, before the board says where it serves (uvicorn logged it, exit 3)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as e:
        raise ConfigError(f"the board cannot listen on {host}:{port}: "
                          f"{e.strerror or e}",
                          hint="--port another port" if e.errno == errno.EADDRINUSE else
                          "--host an address of this machine (127.0.0.1 by default)") from None


def serve(project: Project, host: str, port: int, open_browser: bool = False,
          sock: socket.socket | None = None) -> None:
    """Serve the board until interrupted (on ``sock`` from ``listen``, or a new one)."""
    import uvicorn

    from acbuild.board.app import create_app

    sock = sock or listen(host, port)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    if open_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    server = uvicorn.Server(uvicorn.Config(create_app(project), log_level="warning"))
    server.run(sockets=[sock])
