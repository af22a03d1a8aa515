"""Shared by the board's tests: the board of a project through Starlette's test client, and
what the matching command prints with ``--json`` (its pages' JSON twins are compared to it).
``board_client`` wants starlette (and httpx): call it after ``pytest.importorskip``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from starlette.testclient import TestClient

# A method that waits until the file named exists (at most a minute): a run going on.
WAIT = '''
"""Wait until the file named exists (at most a minute)."""
import os
import time

options = {"release": ""}


def synthesis(options):
    deadline = time.monotonic() + 60
    while not os.path.exists(options.release) and time.monotonic() < deadline:
        time.sleep(0.05)
'''


@contextmanager
def board_client(project: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A test client on ``project``'s board, opened from the project's root as `acbuild
    board` is."""
    from starlette.testclient import TestClient

    from acbuild.board.app import create_app
    from acbuild.config import load_project

    monkeypatch.chdir(project.root)
    with TestClient(create_app(load_project())) as client:
        yield client


def cli_json(project: Any, *args: str) -> Any:
    """What ``acbuild ARGS --json`` prints, parsed."""
    return json.loads(project.acbuild(*args, "--json").stdout)


def replace_result(job_dir: Any, data: bytes) -> None:
    """Make ``data`` the job's result, as its post.json records it (an edited result, one
    post.json does not record, is never loaded: this is the job's own)."""
    from acbuild.hashing import hash_file

    result = job_dir / "result.pickle"
    result.write_bytes(data)
    post = json.loads((job_dir / "post.json").read_text())
    post["files"]["result.pickle"] = {"size": result.stat().st_size,
                                      "mtime_ns": result.stat().st_mtime_ns,
                                      "blake3": hash_file(result)}
    (job_dir / "post.json").write_text(json.dumps(post))
