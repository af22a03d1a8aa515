"""The board: a read-only web view of a project (``acbuild board``), beside ``cli`` in the
top layer. starlette and uvicorn are imported here only, and only when the board runs
(``serve``): ``import acbuild.board`` costs nothing.

``app`` routes, ``documents`` gets each page's data from the modules the command line
uses, ``pages`` draws HTML, ``svg`` lays out and draws graphs, ``files`` keeps served
files inside their job directory.
"""

from __future__ import annotations

import importlib.util
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


def serve(project: Project, host: str, port: int, open_browser: bool = False) -> None:
    """Serve the board until interrupted."""
    import uvicorn

    from acbuild.board.app import create_app

    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    if open_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    uvicorn.run(create_app(project), host=host, port=port, log_level="warning")
